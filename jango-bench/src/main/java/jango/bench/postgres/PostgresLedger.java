package jango.bench.postgres;

import jango.engine.Command;
import jango.engine.HoldState;
import jango.engine.Reason;
import jango.engine.Status;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Jango's money model as "the classic way" builds it: a balances table in PostgreSQL, changed under
 * row locks. Same commands, same outcomes and rejection reasons as Jango's engine; results are
 * stored forever for idempotency and every balance change writes a history row, so the database
 * does work comparable to Jango's (journal + results + history index).
 *
 * <p>Two ways to apply commands, both through a {@link LedgerSession} (one connection each):
 * <ul>
 *   <li>{@link Mode#ROW_LOCK}: {@link LedgerSession#apply} runs one transaction per command, locking each
 *       balance row with its own {@code SELECT ... FOR UPDATE} (the design that ran at 250 TPS);</li>
 *   <li>{@link Mode#BATCHED}: {@link LedgerSession#applyBatch} locks every row a batch touches with one
 *       query, applies the batch in memory, writes with JDBC batching and commits once (the redesign).</li>
 * </ul>
 * Deadlocks (40P01), serialization failures (40001) and a concurrent insert of the same key (23505)
 * roll the transaction back and retry it, a bounded number of times; each is counted.
 */
public final class PostgresLedger {

    public enum Mode {
        /** One transaction per command, a row lock per balance. */
        ROW_LOCK,
        /** One transaction per batch of commands, applied in memory, written with JDBC batching. */
        BATCHED
    }

    /** The order in which {@link LedgerSession#apply} takes its row locks. */
    public enum LockOrder {
        /** Sorted by (owner, asset): no two transactions wait on each other in a cycle. */
        SORTED,
        /** In the order the command names the accounts, as naive code does: deadlocks happen and are retried. */
        AS_NAMED
    }

    /** How the ledger runs; {@link #defaults()} is sorted locks and at most 10 retries per transaction. */
    public record Options(LockOrder lockOrder, int maxRetries) {
        public Options {
            Objects.requireNonNull(lockOrder, "lockOrder");
            if (maxRetries < 0 || maxRetries > 1_000) {
                throw new IllegalArgumentException("maxRetries: " + maxRetries + " (expected: 0..1000)");
            }
        }

        public static Options defaults() {
            return new Options(LockOrder.SORTED, 10);
        }

        public Options withLockOrder(LockOrder order) {
            return new Options(order, maxRetries);
        }

        public Options withMaxRetries(int retries) {
            return new Options(lockOrder, retries);
        }
    }

    /** How a command (or an asset registration) came out. */
    public enum Kind {
        /** Applied or rejected now; the result is stored. */
        NEW,
        /** The same id and body were seen before: the stored result, nothing applied again. */
        REPLAYED,
        /** The same id was seen with another body: the stored result, nothing changed. */
        ID_CONFLICT,
        ASSET_CREATED,
        ASSET_EXISTS,
        ASSET_CONFLICT
    }

    /**
     * The outcome of one command. {@code status}, {@code reason} and {@code message} are the stored
     * result's (null for asset registrations; reason and message null when APPLIED);
     * {@code balancesChanged} is the number of balances this call changed (history rows written).
     */
    public record LedgerResult(String commandId, Kind kind, Status status, Reason reason, String message, int balancesChanged) {
        public boolean applied() {
            return kind == Kind.NEW && status == Status.APPLIED;
        }

        public boolean rejected() {
            return kind == Kind.NEW && status == Status.REJECTED;
        }
    }

    /** A balance as stored. */
    public record Balance(String owner, String asset, BigInteger available, BigInteger held, long revision) {
    }

    /** A hold as stored. */
    public record Hold(String holdId, String owner, String asset, BigInteger amount, BigInteger remaining,
                       long expiresAtMicros, HoldState state) {
    }

    /**
     * Counters since the ledger was created; read them before and after a run for the run's share.
     * The first three count failed attempts by cause; {@code retries} counts attempts made again.
     */
    public record Counters(long deadlocks, long serializationFailures, long uniqueConflicts, long retries) {
        public Counters minus(Counters before) {
            return new Counters(deadlocks - before.deadlocks, serializationFailures - before.serializationFailures,
                    uniqueConflicts - before.uniqueConflicts, retries - before.retries);
        }
    }

    static final String DEADLOCK = "40P01";
    static final String SERIALIZATION_FAILURE = "40001";
    static final String UNIQUE_VIOLATION = "23505";

    private static final List<String> SCHEMA = List.of(
            "DROP TABLE IF EXISTS history, results, holds, balances, assets",
            "CREATE TABLE assets (code text PRIMARY KEY, scale int NOT NULL CHECK (scale BETWEEN 0 AND 18))",
            """
            CREATE TABLE balances (
              owner text NOT NULL, asset text NOT NULL,
              available numeric(39,0) NOT NULL, held numeric(39,0) NOT NULL, revision bigint NOT NULL,
              PRIMARY KEY (owner, asset),
              CHECK (owner LIKE '@%' OR (available >= 0 AND held >= 0)))""",
            """
            CREATE TABLE holds (
              hold_id text PRIMARY KEY, owner text NOT NULL, asset text NOT NULL,
              amount numeric(39,0) NOT NULL, remaining numeric(39,0) NOT NULL,
              expires_at_micros bigint NOT NULL, state text NOT NULL)""",
            """
            CREATE TABLE results (
              command_id text PRIMARY KEY, seq bigserial NOT NULL, status text NOT NULL, reason text, message text,
              body bytea NOT NULL, at timestamptz NOT NULL DEFAULT now())""",
            """
            CREATE TABLE history (
              seq bigserial PRIMARY KEY, command_id text NOT NULL, type text NOT NULL, owner text NOT NULL, asset text NOT NULL,
              available numeric(39,0) NOT NULL, held numeric(39,0) NOT NULL,
              available_delta numeric(39,0) NOT NULL, held_delta numeric(39,0) NOT NULL, revision bigint NOT NULL,
              at timestamptz NOT NULL DEFAULT now())""",
            // The history API pages one account's entries newest first: the classic design needs this index.
            "CREATE INDEX history_by_account ON history (owner, asset, seq)");

    private final DataSource dataSource;
    private final Options options;
    private final Map<String, Integer> scales = new ConcurrentHashMap<>();
    private final LongAdder deadlocks = new LongAdder();
    private final LongAdder serializationFailures = new LongAdder();
    private final LongAdder uniqueConflicts = new LongAdder();
    private final LongAdder retries = new LongAdder();

    public PostgresLedger(DataSource dataSource, Options options) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.options = Objects.requireNonNull(options, "options");
    }

    public PostgresLedger(DataSource dataSource) {
        this(dataSource, Options.defaults());
    }

    public Options options() {
        return options;
    }

    /** Drops the ledger's tables if they exist and creates them empty. */
    public void resetSchema() throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            for (String sql : SCHEMA) {
                statement.execute(sql);
            }
        }
        scales.clear();
    }

    /** A connection of its own, auto-commit off, READ COMMITTED. Not thread-safe: one per client. */
    public LedgerSession openSession() throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            return new LedgerSession(this, connection);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    public Counters counters() {
        return new Counters(deadlocks.sum(), serializationFailures.sum(), uniqueConflicts.sum(), retries.sum());
    }

    void countRetry() {
        retries.increment();
    }

    void countFailure(String sqlState) {
        switch (sqlState) {
            case DEADLOCK -> deadlocks.increment();
            case SERIALIZATION_FAILURE -> serializationFailures.increment();
            case UNIQUE_VIOLATION -> uniqueConflicts.increment();
            default -> throw new IllegalArgumentException("not a retryable state: " + sqlState);
        }
    }

    /** The scale of each registered asset among {@code assets}, from the cache or, on a miss, the table. */
    Map<String, Integer> scalesOf(Connection connection, Collection<String> assets) throws SQLException {
        Map<String, Integer> found = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (String asset : assets) {
            Integer scale = scales.get(asset);
            if (scale != null) {
                found.put(asset, scale);
            } else if (!found.containsKey(asset)) {
                missing.add(asset);
            }
        }
        if (!missing.isEmpty()) {
            try (PreparedStatement select = connection.prepareStatement("SELECT code, scale FROM assets WHERE code = ANY(?)")) {
                select.setArray(1, connection.createArrayOf("text", missing.toArray()));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        scales.put(rows.getString(1), rows.getInt(2));
                        found.put(rows.getString(1), rows.getInt(2));
                    }
                }
            }
        }
        return found;
    }

    void rememberScale(String asset, int scale) {
        scales.put(asset, scale);
    }

    // ---- reads and checks (each on a connection of its own) ----------------------------------------

    /** Every balance row, sorted by owner and asset. */
    public List<Balance> balances() throws SQLException {
        List<Balance> balances = new ArrayList<>();
        query("SELECT owner, asset, available, held, revision FROM balances ORDER BY owner COLLATE \"C\", asset COLLATE \"C\"",
                rows -> balances.add(new Balance(rows.getString(1), rows.getString(2), integer(rows, 3), integer(rows, 4), rows.getLong(5))));
        return balances;
    }

    public Optional<Balance> balance(String owner, String asset) throws SQLException {
        return balances().stream().filter(b -> b.owner().equals(owner) && b.asset().equals(asset)).findFirst();
    }

    /** Every hold, by id. */
    public Map<String, Hold> holds() throws SQLException {
        Map<String, Hold> holds = new TreeMap<>();
        query("SELECT hold_id, owner, asset, amount, remaining, expires_at_micros, state FROM holds",
                rows -> holds.put(rows.getString(1), new Hold(rows.getString(1), rows.getString(2), rows.getString(3),
                        integer(rows, 4), integer(rows, 5), rows.getLong(6), HoldState.valueOf(rows.getString(7)))));
        return holds;
    }

    public long resultCount() throws SQLException {
        return count("SELECT count(*) FROM results");
    }

    public long historyCount() throws SQLException {
        return count("SELECT count(*) FROM history");
    }

    /** How many of {@code commandIds} have no stored result (0 when every command was recorded). */
    public long missingResults(Collection<String> commandIds) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT count(*) FROM unnest(?::text[]) AS i(id) WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.command_id = i.id)")) {
            select.setArray(1, connection.createArrayOf("text", commandIds.toArray()));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /**
     * The invariants, checked in SQL over all rows: conservation (available + held sums to zero per
     * asset), no user balance below zero, nothing held by a system account, and every account's
     * held equal to the sum of its open holds. Returns what broke; empty when all hold.
     */
    public List<String> checkInvariants() throws SQLException {
        List<String> problems = new ArrayList<>();
        query("SELECT asset, sum(available + held) FROM balances GROUP BY asset HAVING sum(available + held) <> 0",
                rows -> problems.add("conservation: " + rows.getString(1) + " sums to " + rows.getBigDecimal(2) + ", not 0"));
        query("SELECT owner, asset, available, held FROM balances WHERE (owner NOT LIKE '@%' AND (available < 0 OR held < 0))"
                        + " OR (owner LIKE '@%' AND held <> 0)",
                rows -> problems.add("bounds: " + rows.getString(1) + " " + rows.getString(2) + " has available "
                        + rows.getBigDecimal(3) + ", held " + rows.getBigDecimal(4)));
        query("""
                SELECT coalesce(b.owner, h.owner), coalesce(b.asset, h.asset), coalesce(b.held, 0), coalesce(h.open, 0)
                FROM (SELECT owner, asset, held FROM balances WHERE held <> 0) b
                FULL JOIN (SELECT owner, asset, sum(remaining) AS open FROM holds WHERE state = 'OPEN' GROUP BY owner, asset) h
                  ON b.owner = h.owner AND b.asset = h.asset
                WHERE coalesce(b.held, 0) <> coalesce(h.open, 0)""",
                rows -> problems.add("holds: " + rows.getString(1) + " " + rows.getString(2) + " holds " + rows.getBigDecimal(3)
                        + " but its open holds sum to " + rows.getBigDecimal(4)));
        query("SELECT hold_id, remaining FROM holds WHERE (state = 'OPEN') <> (remaining > 0)",
                rows -> problems.add("holds: " + rows.getString(1) + " has " + rows.getBigDecimal(2) + " left in the wrong state"));
        return problems;
    }

    private interface RowConsumer {
        void accept(ResultSet rows) throws SQLException;
    }

    private void query(String sql, RowConsumer consumer) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                consumer.accept(rows);
            }
        }
    }

    private long count(String sql) throws SQLException {
        long[] count = new long[1];
        query(sql, rows -> count[0] = rows.getLong(1));
        return count[0];
    }

    static BigInteger integer(ResultSet rows, int column) throws SQLException {
        return rows.getBigDecimal(column).toBigIntegerExact();
    }

    static BigDecimal decimal(BigInteger value) {
        return new BigDecimal(value);
    }

    static Array textArray(Connection connection, Collection<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray());
    }
}
