package jango.bench.postgres;

import jango.bench.postgres.PostgresLedger.Kind;
import jango.bench.postgres.PostgresLedger.LedgerResult;
import jango.bench.postgres.PostgresLedger.LockOrder;
import jango.bench.postgres.WorkingSet.BalanceRow;
import jango.bench.postgres.WorkingSet.Change;
import jango.bench.postgres.WorkingSet.HoldRow;
import jango.bench.postgres.WorkingSet.Key;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.HoldState;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Reason;
import jango.engine.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.TreeSet;

/**
 * One client's connection to a {@link PostgresLedger}: auto-commit off, READ COMMITTED. Not
 * thread-safe. {@link #apply} is the classic design (a transaction per command, a row lock per
 * balance); {@link #applyBatch} is the redesign (a transaction per batch, set-based locking, JDBC
 * batching). Locks are always taken holds first, then balances, so the two orders never cross.
 */
public final class LedgerSession implements AutoCloseable {
    private static final String LOCK_HOLD =
            "SELECT owner, asset, amount, remaining, expires_at_micros, state FROM holds WHERE hold_id = ? FOR UPDATE";
    private static final String LOCK_HOLDS = "SELECT hold_id, owner, asset, amount, remaining, expires_at_micros, state"
            + " FROM holds WHERE hold_id = ANY(?) ORDER BY hold_id COLLATE \"C\" FOR UPDATE";
    private static final String LOCK_BALANCE = "SELECT available, held, revision FROM balances WHERE owner = ? AND asset = ? FOR UPDATE";
    private static final String LOCK_BALANCES = "SELECT b.owner, b.asset, b.available, b.held, b.revision FROM balances b"
            + " JOIN unnest(?::text[], ?::text[]) AS k(owner, asset) ON b.owner = k.owner AND b.asset = k.asset"
            + " ORDER BY b.owner COLLATE \"C\", b.asset COLLATE \"C\" FOR UPDATE OF b";
    private static final String SELECT_RESULT = "SELECT status, reason, message, body FROM results WHERE command_id = ?";
    private static final String SELECT_RESULTS = "SELECT command_id, status, reason, message, body FROM results WHERE command_id = ANY(?)";

    private final PostgresLedger ledger;
    private final Connection connection;
    private final PreparedStatement lockHold;
    private final PreparedStatement lockHolds;
    private final PreparedStatement lockBalance;
    private final PreparedStatement lockBalances;
    private final PreparedStatement selectResult;
    private final PreparedStatement selectResults;
    private final PreparedStatement insertBalance;
    private final PreparedStatement updateBalance;
    private final PreparedStatement insertHold;
    private final PreparedStatement updateHold;
    private final PreparedStatement insertResult;
    private final PreparedStatement insertHistory;
    private final List<PreparedStatement> writes;

    private record Stored(Status status, Reason reason, String message, byte[] body) {
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    LedgerSession(PostgresLedger ledger, Connection connection) throws SQLException {
        this.ledger = ledger;
        this.connection = connection;
        lockHold = connection.prepareStatement(LOCK_HOLD);
        lockHolds = connection.prepareStatement(LOCK_HOLDS);
        lockBalance = connection.prepareStatement(LOCK_BALANCE);
        lockBalances = connection.prepareStatement(LOCK_BALANCES);
        selectResult = connection.prepareStatement(SELECT_RESULT);
        selectResults = connection.prepareStatement(SELECT_RESULTS);
        insertBalance = connection.prepareStatement(
                "INSERT INTO balances (owner, asset, available, held, revision) VALUES (?, ?, ?, ?, ?)");
        updateBalance = connection.prepareStatement(
                "UPDATE balances SET available = ?, held = ?, revision = ? WHERE owner = ? AND asset = ?");
        insertHold = connection.prepareStatement("INSERT INTO holds (hold_id, owner, asset, amount, remaining, expires_at_micros, state)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)");
        updateHold = connection.prepareStatement("UPDATE holds SET remaining = ?, state = ? WHERE hold_id = ?");
        insertResult = connection.prepareStatement("INSERT INTO results (command_id, status, reason, message, body) VALUES (?, ?, ?, ?, ?)");
        insertHistory = connection.prepareStatement("INSERT INTO history (command_id, type, owner, asset, available, held,"
                + " available_delta, held_delta, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        writes = List.of(insertBalance, updateBalance, insertHold, updateHold, insertResult, insertHistory);
    }

    // ---- ROW_LOCK: one transaction per command ------------------------------------------------------

    /**
     * Applies one command in a transaction of its own: looks up a stored result, locks the holds
     * and then each balance row it names ({@code SELECT ... FOR UPDATE}, one statement per row, in
     * the ledger's {@link LockOrder}), applies the rules, writes the rows, the result and the
     * history, and commits. Retried whole on a deadlock or a concurrent insert of the same key.
     */
    public LedgerResult apply(Command command) throws SQLException {
        return switch (command) {
            case Command.RegisterAsset register -> registerAsset(register);
            case Command.Tick tick -> throw new UnsupportedOperationException("hold expiry (tick) is not part of the PostgreSQL baseline");
            default -> retrying(() -> applyInTransaction(command));
        };
    }

    private LedgerResult applyInTransaction(Command command) throws SQLException {
        byte[] body = CommandCodec.encode(command);
        Stored stored = selectResult(command.id());
        if (stored != null) {
            return replay(command.id(), stored, body);
        }
        boolean sorted = ledger.options().lockOrder() == LockOrder.SORTED;
        WorkingSet rows = new WorkingSet();
        for (String holdId : ordered(holdIdsOf(List.of(command)), sorted)) {
            lockHold(rows, holdId);
        }
        rows.useScales(ledger.scalesOf(connection, assetsOf(List.of(command), rows)));
        for (Key key : ordered(keysOf(List.of(command), rows), sorted)) {
            lockBalance(rows, key);
        }
        WorkingSet.Applied applied = rows.apply(command);
        writeRows(rows, false);
        insertResult(command.id(), applied, body, false);
        writeHistory(rows, false);
        return new LedgerResult(command.id(), Kind.NEW, applied.status(), applied.reason(), applied.message(), applied.balancesChanged());
    }

    private void lockHold(WorkingSet rows, String holdId) throws SQLException {
        lockHold.setString(1, holdId);
        try (ResultSet found = lockHold.executeQuery()) {
            if (found.next()) {
                rows.addStoredHold(holdId, found.getString(1), found.getString(2), PostgresLedger.integer(found, 3),
                        PostgresLedger.integer(found, 4), found.getLong(5), HoldState.valueOf(found.getString(6)));
            }
        }
    }

    private void lockBalance(WorkingSet rows, Key key) throws SQLException {
        lockBalance.setString(1, key.owner());
        lockBalance.setString(2, key.asset());
        try (ResultSet found = lockBalance.executeQuery()) {
            if (found.next()) {
                rows.addStoredBalance(key.owner(), key.asset(), PostgresLedger.integer(found, 1), PostgresLedger.integer(found, 2),
                        found.getLong(3));
            }
        }
    }

    private Stored selectResult(String commandId) throws SQLException {
        selectResult.setString(1, commandId);
        try (ResultSet found = selectResult.executeQuery()) {
            return found.next() ? stored(found, 1) : null;
        }
    }

    // ---- BATCHED: one transaction per batch ---------------------------------------------------------

    /**
     * Applies commands in order, one transaction per run of client commands (an asset registration
     * in the list commits what came before it and then registers): stored results are read with one
     * query, every hold and balance row the batch names is locked with one query each (sorted, so
     * batches never deadlock), the commands are applied in memory, and the rows, results and history
     * are written with JDBC batching and committed once. Each command is still applied on its own:
     * one rejected command does not reject the batch. Retried whole on a deadlock or a concurrent
     * insert of the same key.
     */
    public List<LedgerResult> applyBatch(List<Command> commands) throws SQLException {
        List<LedgerResult> results = new ArrayList<>(commands.size());
        int start = 0;
        for (int i = 0; i <= commands.size(); i++) {
            Command command = i < commands.size() ? commands.get(i) : null;
            if (command instanceof Command.Tick) {
                throw new UnsupportedOperationException("hold expiry (tick) is not part of the PostgreSQL baseline");
            }
            if (command == null || command instanceof Command.RegisterAsset) {
                if (i > start) {
                    List<Command> run = commands.subList(start, i);
                    results.addAll(retrying(() -> applyBatchInTransaction(run)));
                }
                if (command != null) {
                    results.add(registerAsset((Command.RegisterAsset) command));
                }
                start = i + 1;
            }
        }
        return results;
    }

    private List<LedgerResult> applyBatchInTransaction(List<Command> commands) throws SQLException {
        Map<String, Stored> stored = selectResults(commands);
        List<Command> fresh = new ArrayList<>();
        for (Command command : commands) {
            if (!stored.containsKey(command.id())) {
                fresh.add(command);
            }
        }
        WorkingSet rows = new WorkingSet();
        lockHolds(rows, holdIdsOf(fresh));
        rows.useScales(ledger.scalesOf(connection, assetsOf(fresh, rows)));
        lockBalances(rows, keysOf(fresh, rows));
        List<LedgerResult> results = new ArrayList<>(commands.size());
        for (Command command : commands) {
            byte[] body = CommandCodec.encode(command);
            Stored prior = stored.get(command.id());
            if (prior != null) {
                results.add(replay(command.id(), prior, body));
                continue;
            }
            WorkingSet.Applied applied = rows.apply(command);
            stored.put(command.id(), new Stored(applied.status(), applied.reason(), applied.message(), body));
            insertResult(command.id(), applied, body, true);
            results.add(new LedgerResult(command.id(), Kind.NEW, applied.status(), applied.reason(), applied.message(),
                    applied.balancesChanged()));
        }
        writeRows(rows, true);
        writeHistory(rows, true);
        for (PreparedStatement write : writes) {
            write.executeBatch();
        }
        return results;
    }

    private Map<String, Stored> selectResults(List<Command> commands) throws SQLException {
        Map<String, Stored> stored = new HashMap<>();
        List<String> ids = new ArrayList<>(commands.size());
        for (Command command : commands) {
            ids.add(command.id());
        }
        selectResults.setArray(1, PostgresLedger.textArray(connection, ids));
        try (ResultSet found = selectResults.executeQuery()) {
            while (found.next()) {
                stored.put(found.getString(1), stored(found, 2));
            }
        }
        return stored;
    }

    private void lockHolds(WorkingSet rows, Collection<String> holdIds) throws SQLException {
        if (holdIds.isEmpty()) {
            return;
        }
        lockHolds.setArray(1, PostgresLedger.textArray(connection, holdIds));
        try (ResultSet found = lockHolds.executeQuery()) {
            while (found.next()) {
                rows.addStoredHold(found.getString(1), found.getString(2), found.getString(3), PostgresLedger.integer(found, 4),
                        PostgresLedger.integer(found, 5), found.getLong(6), HoldState.valueOf(found.getString(7)));
            }
        }
    }

    private void lockBalances(WorkingSet rows, Collection<Key> keys) throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        List<String> owners = new ArrayList<>(keys.size());
        List<String> assets = new ArrayList<>(keys.size());
        for (Key key : keys) {
            owners.add(key.owner());
            assets.add(key.asset());
        }
        lockBalances.setArray(1, PostgresLedger.textArray(connection, owners));
        lockBalances.setArray(2, PostgresLedger.textArray(connection, assets));
        try (ResultSet found = lockBalances.executeQuery()) {
            while (found.next()) {
                rows.addStoredBalance(found.getString(1), found.getString(2), PostgresLedger.integer(found, 3),
                        PostgresLedger.integer(found, 4), found.getLong(5));
            }
        }
    }

    // ---- asset registration ---------------------------------------------------------------------------

    /** Registers an asset in a transaction of its own: created, already there with the same scale, or a conflict. */
    public LedgerResult registerAsset(Command.RegisterAsset register) throws SQLException {
        LedgerResult result = retrying(() -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO assets (code, scale) VALUES (?, ?) ON CONFLICT (code) DO NOTHING")) {
                insert.setString(1, register.code());
                insert.setInt(2, register.scale());
                if (insert.executeUpdate() == 1) {
                    return new LedgerResult(null, Kind.ASSET_CREATED, null, null, null, 0);
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT scale FROM assets WHERE code = ?")) {
                select.setString(1, register.code());
                try (ResultSet found = select.executeQuery()) {
                    found.next();
                    int existing = found.getInt(1);
                    return existing == register.scale()
                            ? new LedgerResult(null, Kind.ASSET_EXISTS, null, null, null, 0)
                            : new LedgerResult(null, Kind.ASSET_CONFLICT, null, null,
                                    "asset " + register.code() + " exists with scale " + existing, 0);
                }
            }
        });
        if (result.kind() != Kind.ASSET_CONFLICT) {
            ledger.rememberScale(register.code(), register.scale());
        }
        return result;
    }

    // ---- writes (executed one by one for ROW_LOCK, added to JDBC batches for BATCHED) -----------------

    private void writeRows(WorkingSet rows, boolean batched) throws SQLException {
        for (BalanceRow row : rows.balances()) {
            if (!row.stored) {
                insertBalance.setString(1, row.key.owner());
                insertBalance.setString(2, row.key.asset());
                insertBalance.setBigDecimal(3, PostgresLedger.decimal(row.available));
                insertBalance.setBigDecimal(4, PostgresLedger.decimal(row.held));
                insertBalance.setLong(5, row.revision);
                execute(insertBalance, batched);
            } else if (row.changed) {
                updateBalance.setBigDecimal(1, PostgresLedger.decimal(row.available));
                updateBalance.setBigDecimal(2, PostgresLedger.decimal(row.held));
                updateBalance.setLong(3, row.revision);
                updateBalance.setString(4, row.key.owner());
                updateBalance.setString(5, row.key.asset());
                execute(updateBalance, batched);
            }
        }
        for (HoldRow hold : rows.holds()) {
            if (!hold.stored) {
                insertHold.setString(1, hold.holdId);
                insertHold.setString(2, hold.owner);
                insertHold.setString(3, hold.asset);
                insertHold.setBigDecimal(4, PostgresLedger.decimal(hold.amount));
                insertHold.setBigDecimal(5, PostgresLedger.decimal(hold.remaining));
                insertHold.setLong(6, hold.expiresAtMicros);
                insertHold.setString(7, hold.state.name());
                execute(insertHold, batched);
            } else if (hold.changed) {
                updateHold.setBigDecimal(1, PostgresLedger.decimal(hold.remaining));
                updateHold.setString(2, hold.state.name());
                updateHold.setString(3, hold.holdId);
                execute(updateHold, batched);
            }
        }
    }

    private void insertResult(String commandId, WorkingSet.Applied applied, byte[] body, boolean batched) throws SQLException {
        insertResult.setString(1, commandId);
        insertResult.setString(2, applied.status().name());
        insertResult.setString(3, applied.reason() == null ? null : applied.reason().name());
        insertResult.setString(4, applied.message());
        insertResult.setBytes(5, body);
        execute(insertResult, batched);
    }

    private void writeHistory(WorkingSet rows, boolean batched) throws SQLException {
        for (Change change : rows.changes()) {
            insertHistory.setString(1, change.commandId());
            insertHistory.setString(2, change.type());
            insertHistory.setString(3, change.owner());
            insertHistory.setString(4, change.asset());
            insertHistory.setBigDecimal(5, PostgresLedger.decimal(change.available()));
            insertHistory.setBigDecimal(6, PostgresLedger.decimal(change.held()));
            insertHistory.setBigDecimal(7, PostgresLedger.decimal(change.availableDelta()));
            insertHistory.setBigDecimal(8, PostgresLedger.decimal(change.heldDelta()));
            insertHistory.setLong(9, change.revision());
            execute(insertHistory, batched);
        }
    }

    private static void execute(PreparedStatement statement, boolean batched) throws SQLException {
        if (batched) {
            statement.addBatch();
        } else {
            statement.executeUpdate();
        }
    }

    // ---- what a command names --------------------------------------------------------------------------

    private static SequencedSet<String> holdIdsOf(List<Command> commands) {
        SequencedSet<String> holdIds = new LinkedHashSet<>();
        for (Command command : commands) {
            switch (command) {
                case Command.PlaceHold h -> holdIds.add(h.holdId());
                case Command.Release r -> holdIds.add(r.holdId());
                case Command.Transfer t -> {
                    for (Leg leg : t.legs()) {
                        if (leg.holdId() != null) {
                            holdIds.add(leg.holdId());
                        }
                    }
                }
                default -> {
                }
            }
        }
        return holdIds;
    }

    /** The balance rows the commands may touch, in the order they name them; a hold's row once the hold is locked. */
    private static SequencedSet<Key> keysOf(List<Command> commands, WorkingSet rows) {
        SequencedSet<Key> keys = new LinkedHashSet<>();
        for (Command command : commands) {
            switch (command) {
                case Command.Deposit d -> {
                    keys.add(new Key(d.account(), d.asset()));
                    keys.add(new Key(Names.EXTERNAL, d.asset()));
                }
                case Command.Withdraw w -> {
                    keys.add(new Key(w.account(), w.asset()));
                    keys.add(new Key(Names.EXTERNAL, w.asset()));
                }
                case Command.PlaceHold h -> keys.add(new Key(h.account(), h.asset()));
                case Command.Release r -> {
                    HoldRow hold = rows.hold(r.holdId());
                    if (hold != null) {
                        keys.add(new Key(hold.owner, hold.asset));
                    }
                }
                case Command.Transfer t -> {
                    for (Leg leg : t.legs()) {
                        HoldRow hold = leg.holdId() == null ? null : rows.hold(leg.holdId());
                        if (hold != null) {
                            keys.add(new Key(hold.owner, hold.asset));
                        }
                        keys.add(new Key(leg.from(), leg.asset()));
                        keys.add(new Key(leg.to(), leg.asset()));
                    }
                }
                case Command.Adjust a -> {
                    keys.add(new Key(a.account(), a.asset()));
                    keys.add(new Key(Names.ADJUSTMENTS, a.asset()));
                }
                default -> throw new IllegalArgumentException("not a client command: " + command.type());
            }
        }
        return keys;
    }

    /** The assets whose scales the commands need: those they name, and those of the locked holds (a release names none). */
    private static Collection<String> assetsOf(List<Command> commands, WorkingSet rows) {
        SequencedSet<String> assets = new LinkedHashSet<>();
        for (Command command : commands) {
            switch (command) {
                case Command.Deposit d -> assets.add(d.asset());
                case Command.Withdraw w -> assets.add(w.asset());
                case Command.PlaceHold h -> assets.add(h.asset());
                case Command.Transfer t -> t.legs().forEach(leg -> assets.add(leg.asset()));
                case Command.Adjust a -> assets.add(a.asset());
                default -> {
                }
            }
        }
        for (HoldRow hold : rows.holds()) {
            assets.add(hold.asset);
        }
        return assets;
    }

    private static <T extends Comparable<T>> Collection<T> ordered(SequencedSet<T> named, boolean sorted) {
        return sorted ? new TreeSet<>(named) : named;
    }

    // ---- results and retries ---------------------------------------------------------------------------

    private static Stored stored(ResultSet row, int first) throws SQLException {
        String reason = row.getString(first + 1);
        return new Stored(Status.valueOf(row.getString(first)), reason == null ? null : Reason.valueOf(reason),
                row.getString(first + 2), row.getBytes(first + 3));
    }

    private static LedgerResult replay(String commandId, Stored stored, byte[] body) {
        Kind kind = Arrays.equals(stored.body(), body) ? Kind.REPLAYED : Kind.ID_CONFLICT;
        return new LedgerResult(commandId, kind, stored.status(), stored.reason(), stored.message(), 0);
    }

    /** Runs {@code work} and commits; on a retryable failure rolls back and runs it again, at most maxRetries times. */
    private <T> T retrying(Work<T> work) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                for (PreparedStatement write : writes) {
                    write.clearBatch();
                }
                T value = work.run();
                connection.commit();
                return value;
            } catch (SQLException e) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                    throw e;
                }
                String state = retryableState(e);
                if (state == null) {
                    throw e;
                }
                ledger.countFailure(state);
                if (attempt >= ledger.options().maxRetries()) {
                    throw e;
                }
                ledger.countRetry();
            }
        }
    }

    /** The SQLSTATE that makes a failure worth retrying, looking through batch and cause chains, or null. */
    static String retryableState(SQLException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            for (SQLException e = t instanceof SQLException sql ? sql : null; e != null; e = e.getNextException()) {
                String state = e.getSQLState();
                if (PostgresLedger.DEADLOCK.equals(state) || PostgresLedger.SERIALIZATION_FAILURE.equals(state)
                        || PostgresLedger.UNIQUE_VIOLATION.equals(state)) {
                    return state;
                }
            }
        }
        return null;
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
