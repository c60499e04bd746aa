package jango.postgres;

import jango.engine.StoredResult;
import jango.engine.Archive;
import jango.engine.BalanceView;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.engine.Names;
import jango.engine.port.HistoryPage;
import jango.engine.port.ShardStore;
import jango.engine.port.StateSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link ShardStore} in PostgreSQL: every shard's balances, holds, results, history, outbox and log
 * position, each batch committed in one transaction behind an epoch check (see {@link CommitWriter}
 * for why the fencing update comes first). Thread-safe: every call borrows a pooled connection for
 * one transaction. Opening migrates the schema (Flyway, {@code db/migration}).
 *
 * <p>Two pools: the writers, the relay and the shards' loads take {@code database}'s connections;
 * the API's reads take {@code reads}' (those only the API makes always, and {@link #results} through
 * {@link #forReads}, since the writers' prefetch makes it too), so no burst of reads makes a writer
 * wait for a connection.
 */
public final class PgShardStore implements ShardStore {
    private static final Logger log = LoggerFactory.getLogger(PgShardStore.class);
    public static final int MAX_SHARDS = 4096;
    public static final int MAX_OUTBOX_PAGE = 10_000;
    /**
     * Bytes of outbox values one page holds at most (always at least one row): a row of change
     * events is tens of KB, so a page is bounded by size as well as by count.
     */
    static final long MAX_OUTBOX_PAGE_BYTES = 8L << 20;
    private static final String OUTBOX_PAGE = """
            SELECT id, shard, topic, partition, key, value FROM (
                SELECT id, shard, topic, partition, key, value, sum(octet_length(value)) OVER (ORDER BY id) AS running
                FROM outbox WHERE shard = ? AND id > ? ORDER BY id LIMIT ?) page
            WHERE running - octet_length(value) < ? ORDER BY id""";
    private static final int MAX_HALT_REASON_CHARS = 1_000;
    private static final int MAX_OWNER_NAME_CHARS = 200;
    private static final long SLOW_COMMIT_MICROS = 1_000_000;

    private final Database database;
    private final Database reads;
    private final String url;
    /** The same store with {@code reads} for {@code database}; this one itself for a view. */
    private final PgShardStore forReads;
    /** Fixed once set by {@link #init}; 0 until it is known. */
    private volatile int shardCount;

    private PgShardStore(Database database, Database reads, String url) {
        this.database = database;
        this.reads = reads;
        this.url = url;
        this.forReads = database == reads ? this : new PgShardStore(reads, reads, url);
    }

    /** Connects, migrates the schema and returns the store. @throws Unavailable when the database cannot be reached */
    public static PgShardStore open(PgConfig config) {
        Objects.requireNonNull(config, "config");
        Database database = Database.open(config);
        Database reads;
        try {
            reads = Database.openReads(config);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        return new PgShardStore(database, reads, config.safeUrl());
    }

    public static PgShardStore open(String jdbcUrl, String user, String password) {
        return open(PgConfig.of(jdbcUrl, user, password));
    }

    // ---- shards ------------------------------------------------------------------------------

    @Override
    public int init(int shards) {
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("shards: " + shards + " (expected: 1.." + MAX_SHARDS + ")");
        }
        int count = database.transaction("init of " + shards + " shards", connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO meta (id, shard_count) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
                insert.setInt(1, shards);
                if (insert.executeUpdate() == 0) {
                    return readShardCount(connection); // made before: the count never changes
                }
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO shards (shard) VALUES (?)")) {
                for (int shard = 0; shard < shards; shard++) {
                    insert.setInt(1, shard);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            log.info("event=pg_shards_created url={} shards={}", url, shards);
            return shards;
        });
        if (count != shards) {
            log.warn("event=pg_shard_count_kept url={} asked={} shards={}", url, shards, count);
        }
        shardCount = count;
        return count;
    }

    @Override
    public int shardCount() {
        int known = shardCount;
        if (known > 0) {
            return known;
        }
        int count = database.transaction("read of the shard count", PgShardStore::readShardCount);
        shardCount = count;
        return count;
    }

    private static int readShardCount(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT shard_count FROM meta WHERE id = 1");
             ResultSet row = select.executeQuery()) {
            return row.next() ? row.getInt(1) : 0;
        }
    }

    /**
     * Moves the epoch on in its own transaction, then loads under it. Once the update commits, no
     * commit under an older epoch can succeed, and one that held the row lock first has finished,
     * so the load sees every batch the previous owner got committed and nothing after it.
     */
    @Override
    public LoadedShard acquire(int shard, String owner, Archive archive) {
        Objects.requireNonNull(owner, "owner");
        if (owner.isEmpty() || owner.length() > MAX_OWNER_NAME_CHARS) {
            throw new IllegalArgumentException("owner: " + owner + " (expected: 1.." + MAX_OWNER_NAME_CHARS + " characters)");
        }
        long epoch = database.transaction("acquire of shard " + shard, connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE shards SET epoch = epoch + 1, owner = ? WHERE shard = ? RETURNING epoch")) {
                update.setString(1, owner);
                update.setInt(2, shard);
                try (ResultSet row = update.executeQuery()) {
                    if (!row.next()) {
                        throw new IllegalArgumentException("shard: " + shard + " (no such shard)");
                    }
                    return row.getLong(1);
                }
            }
        });
        log.info("event=pg_shard_acquired shard={} epoch={} owner={}", shard, epoch, owner);
        return reload(shard, epoch, archive);
    }

    @Override
    public LoadedShard reload(int shard, long epoch, Archive archive) {
        long startNanos = System.nanoTime();
        ShardLoader.Loaded loaded;
        try {
            loaded = database.snapshot("load of shard " + shard + " at epoch " + epoch,
                    connection -> ShardLoader.load(connection, shard, epoch, archive));
        } catch (Fenced e) {
            log.warn("event=pg_shard_fenced shard={} epoch={} on=load reason=\"{}\"", shard, epoch, e.getMessage());
            throw e;
        }
        LoadedShard result = loaded.shard();
        log.info("event=pg_shard_loaded shard={} epoch={} next_offset={} last_seq={} balances={} open_holds={} cross_shard={} ms={}",
                shard, epoch, result.nextOffset(), result.engine().lastSeq(), loaded.balances(), loaded.holds(),
                loaded.crossShardRecords(), (System.nanoTime() - startNanos) / 1_000_000);
        return result;
    }

    @Override
    public void commit(ShardCommit commit) {
        Objects.requireNonNull(commit, "commit");
        CommitWriter.check(commit);
        long startNanos = System.nanoTime();
        try {
            database.transaction("commit of shard " + commit.shard() + " at epoch " + commit.epoch(),
                    connection -> {
                        CommitWriter.write(connection, commit);
                        return null;
                    });
        } catch (Fenced e) {
            log.warn("event=pg_shard_fenced shard={} epoch={} on=commit reason=\"{}\"", commit.shard(), commit.epoch(),
                    e.getMessage());
            throw e;
        }
        long micros = (System.nanoTime() - startNanos) / 1_000;
        if (micros >= SLOW_COMMIT_MICROS || log.isDebugEnabled()) {
            String message = "event={} shard={} epoch={} next_offset={} last_seq={} balances={} holds={} results={}"
                    + " history={} outbox={} us={}";
            Object[] values = {micros >= SLOW_COMMIT_MICROS ? "pg_commit_slow" : "pg_commit", commit.shard(), commit.epoch(),
                    commit.nextOffset(), commit.lastSeq(), commit.balances().size(), commit.holds().size(),
                    commit.results().size(), commit.history().size(), commit.outbox().size(), micros};
            if (micros >= SLOW_COMMIT_MICROS) {
                log.warn(message, values);
            } else {
                log.debug(message, values);
            }
        }
    }

    @Override
    public List<String> userOwners(String after, int limit) {
        if (limit < 1 || limit > MAX_OUTBOX_PAGE) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_OUTBOX_PAGE + ")");
        }
        return reads.transaction("read of owners", connection -> {
            List<String> owners = new ArrayList<>();
            // One index range scan (balances_by_owner), skipping system owners, which sort among the users.
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT DISTINCT owner FROM balances WHERE owner > ? AND left(owner, 1) <> '@' ORDER BY owner LIMIT ?")) {
                select.setString(1, after == null ? "" : after);
                select.setInt(2, limit);
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        owners.add(row.getString(1));
                    }
                }
            }
            return List.copyOf(owners);
        });
    }

    @Override
    public List<ShardRow> shardRows() {
        return database.transaction("read of the shard rows", connection -> {
            List<ShardRow> rows = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT shard, epoch, owner, next_offset, last_seq, halted_reason FROM shards ORDER BY shard");
                 ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    rows.add(new ShardRow(row.getInt("shard"), row.getLong("epoch"), row.getString("owner"),
                            row.getLong("next_offset"), row.getLong("last_seq"), row.getString("halted_reason")));
                }
            }
            return List.copyOf(rows);
        });
    }

    @Override
    public void setHalted(int shard, String reason) {
        String kept = reason == null || reason.length() <= MAX_HALT_REASON_CHARS ? reason
                : reason.substring(0, MAX_HALT_REASON_CHARS);
        int updated = database.transaction("record of shard " + shard + "'s halt", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE shards SET halted_reason = ? WHERE shard = ?")) {
                update.setString(1, kept);
                update.setInt(2, shard);
                return update.executeUpdate();
            }
        });
        if (updated == 0) {
            throw new IllegalArgumentException("shard: " + shard + " (no such shard)");
        }
        if (kept == null) {
            log.info("event=pg_shard_halt_cleared shard={}", shard);
        } else {
            log.warn("event=pg_shard_halt_recorded shard={} reason=\"{}\"", shard, kept);
        }
    }

    // ---- outbox ------------------------------------------------------------------------------

    @Override
    public List<OutboxMessage> outbox(int shard, long afterId, int limit) {
        if (limit < 1 || limit > MAX_OUTBOX_PAGE) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_OUTBOX_PAGE + ")");
        }
        return database.read("read of shard " + shard + "'s outbox", connection -> {
            List<OutboxMessage> messages = new ArrayList<>();
            try (PreparedStatement select = Database.plannedEachRun(connection, OUTBOX_PAGE)) {
                select.setInt(1, shard);
                select.setLong(2, afterId);
                select.setInt(3, limit);
                select.setLong(4, MAX_OUTBOX_PAGE_BYTES);
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        messages.add(new OutboxMessage(row.getLong("id"), row.getInt("shard"), row.getString("topic"),
                                row.getInt("partition"), row.getString("key"), row.getBytes("value")));
                    }
                }
            }
            return List.copyOf(messages);
        });
    }

    /**
     * By the page's id range on {@code outbox_by_shard (shard, id)} as well as by the ids: the
     * outbox churns (every row is deleted soon after its insert), so its statistics say "nearly
     * empty" and {@code id = ANY (?)} alone was planned as a scan of that whole index, dead entries
     * included: 15 ms a call, a quarter of PostgreSQL's time under the 4-shard bench. The range keeps
     * the scan to the page whatever the statistics say, given a plan for the arguments: a plan cached
     * while the outbox was empty scanned the whole table ({@link Database#plannedEachRun}).
     */
    @Override
    public void deleteOutbox(int shard, Collection<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (long id : ids) {
            low = Math.min(low, id);
            high = Math.max(high, id);
        }
        long first = low;
        long last = high;
        database.transaction("delete of " + ids.size() + " outbox rows", connection -> {
            try (PreparedStatement delete = Database.plannedEachRun(connection,
                    "DELETE FROM outbox WHERE shard = ? AND id BETWEEN ? AND ? AND id = ANY (?)")) {
                Array array = connection.createArrayOf("bigint", ids.toArray());
                try {
                    delete.setInt(1, shard);
                    delete.setLong(2, first);
                    delete.setLong(3, last);
                    delete.setArray(4, array);
                    return delete.executeUpdate();
                } finally {
                    array.free();
                }
            }
        });
    }

    // ---- global ids --------------------------------------------------------------------------

    @Override
    public Map<String, StoredResult> results(Collection<String> commandIds) {
        if (commandIds.isEmpty()) {
            return Map.of();
        }
        return database.read("read of " + commandIds.size() + " results", connection -> {
            Map<String, StoredResult> found = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT command_id, fingerprint, result, pending_attempt FROM results WHERE command_id = ANY (?)")) {
                Array array = connection.createArrayOf("text", commandIds.toArray());
                try {
                    select.setArray(1, array);
                    try (ResultSet row = select.executeQuery()) {
                        while (row.next()) {
                            found.put(row.getString("command_id"), ShardLoader.storedResult(row));
                        }
                    }
                } finally {
                    array.free();
                }
            }
            return found;
        });
    }

    @Override
    public Map<String, ShardResult> resultsWithShard(Collection<String> commandIds) {
        if (commandIds.isEmpty()) {
            return Map.of();
        }
        return reads.read("read of " + commandIds.size() + " results with their shards", connection -> {
            Map<String, ShardResult> found = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT command_id, shard, fingerprint, result, pending_attempt FROM results WHERE command_id = ANY (?)")) {
                Array array = connection.createArrayOf("text", commandIds.toArray());
                try {
                    select.setArray(1, array);
                    try (ResultSet row = select.executeQuery()) {
                        while (row.next()) {
                            found.put(row.getString("command_id"), new ShardResult(row.getInt("shard"), ShardLoader.storedResult(row)));
                        }
                    }
                } finally {
                    array.free();
                }
            }
            return found;
        });
    }

    @Override
    public Map<String, HoldView> holds(Collection<String> holdIds) {
        if (holdIds.isEmpty()) {
            return Map.of();
        }
        return database.read("read of " + holdIds.size() + " holds", connection -> {
            Map<String, HoldView> found = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT hold_id, account, asset, amount, remaining, expires_at_micros, state, locked
                    FROM holds WHERE hold_id = ANY (?)""")) {
                Array array = connection.createArrayOf("text", holdIds.toArray());
                try {
                    select.setArray(1, array);
                    try (ResultSet row = select.executeQuery()) {
                        while (row.next()) {
                            found.put(row.getString("hold_id"), ShardLoader.holdView(row));
                        }
                    }
                } finally {
                    array.free();
                }
            }
            return found;
        });
    }

    // ---- assets ------------------------------------------------------------------------------

    @Override
    public Map<String, Integer> assets() {
        return database.transaction("read of the assets", connection -> {
            Map<String, Integer> assets = new LinkedHashMap<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT code, scale FROM assets ORDER BY code");
                 ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    assets.put(row.getString("code"), row.getInt("scale"));
                }
            }
            return java.util.Collections.unmodifiableMap(assets);
        });
    }

    /** The first registration wins for every shard; a later one learns the scale it has (equal: exists, else a conflict). */
    @Override
    public AssetRegistration registerAsset(String code, int scale) {
        if (code == null || !Names.ASSET.matches(code)) {
            throw new IllegalArgumentException("code: " + code + " (expected: " + Names.ASSET.pattern() + ")");
        }
        if (scale < 0 || scale > Names.MAX_SCALE) {
            throw new IllegalArgumentException("scale: " + scale + " (expected: 0.." + Names.MAX_SCALE + ")");
        }
        AssetRegistration registration = database.transaction("registration of asset " + code, connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO assets (code, scale) VALUES (?, ?) ON CONFLICT (code) DO NOTHING")) {
                insert.setString(1, code);
                insert.setInt(2, scale);
                if (insert.executeUpdate() == 1) {
                    return new AssetRegistration(true, scale);
                }
            }
            // Another registration won, maybe a moment ago: ON CONFLICT waited for it, and this statement sees it.
            try (PreparedStatement select = connection.prepareStatement("SELECT scale FROM assets WHERE code = ?")) {
                select.setString(1, code);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        throw new IllegalStateException("asset " + code + " conflicted on insert but is not there");
                    }
                    return new AssetRegistration(false, row.getInt(1));
                }
            }
        });
        if (registration.created()) {
            log.info("event=pg_asset_registered code={} scale={}", code, scale);
        }
        return registration;
    }

    // ---- reads of committed state ------------------------------------------------------------

    @Override
    public List<BalanceView> balances(String owner, String asset) {
        Objects.requireNonNull(owner, "owner");
        return reads.read("read of " + owner + "'s balances", connection -> {
            // A user owner has one row per asset; a system owner one per shard it was touched on, summed here.
            String sql = "SELECT asset, SUM(available) AS available, SUM(held) AS held, SUM(revision)::bigint AS revision"
                    + " FROM balances WHERE owner = ?" + (asset == null ? "" : " AND asset = ?")
                    + " GROUP BY asset ORDER BY asset";
            List<BalanceView> balances = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                select.setString(1, owner);
                if (asset != null) {
                    select.setString(2, asset);
                }
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        balances.add(new BalanceView(owner, row.getString("asset"), Amounts.get(row, "available"),
                                Amounts.get(row, "held"), row.getLong("revision")));
                    }
                }
            }
            return List.copyOf(balances);
        });
    }

    @Override
    public HoldView hold(String holdId) {
        Objects.requireNonNull(holdId, "holdId");
        return reads.read("read of hold " + holdId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT hold_id, account, asset, amount, remaining, expires_at_micros, state, locked
                    FROM holds WHERE hold_id = ?""")) {
                select.setString(1, holdId);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? ShardLoader.holdView(row) : null;
                }
            }
        });
    }

    @Override
    public StoredResult result(String commandId) {
        Objects.requireNonNull(commandId, "commandId");
        return reads.read("read of the result of " + commandId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT command_id, fingerprint, result, pending_attempt FROM results
                    WHERE command_id = ? AND pending_attempt IS NULL""")) {
                select.setString(1, commandId);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? ShardLoader.storedResult(row) : null;
                }
            }
        });
    }

    @Override
    public HistoryPage history(String owner, String asset, int limit, String cursor) {
        HistoryCursor.Position after = HistoryQuery.check(owner, asset, limit, cursor);
        return reads.read("read of " + owner + "'s history",
                connection -> HistoryQuery.page(connection, owner, asset, limit, after));
    }

    @Override
    public StateSummary stateSummary() {
        long startNanos = System.nanoTime();
        StateSummary summary = reads.snapshot("audit of all shards", StateAudit::summarize);
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        if (summary.invariantsHold()) {
            log.info("event=pg_audit seq={} state_hash={} ms={}", summary.seq(), summary.stateHash(), ms);
        } else {
            log.error("event=pg_audit_violation seq={} state_hash={} violation=\"{}\" ms={}", summary.seq(),
                    summary.stateHash(), summary.invariantViolation(), ms);
        }
        return summary;
    }

    @Override
    public ShardStore forReads() {
        return forReads;
    }

    /** The pool of the API's reads, for tests. */
    Database readDatabase() {
        return reads;
    }

    @Override
    public void close() {
        if (forReads == this) {
            return; // the view: its store closes the pools
        }
        database.close();
        reads.close();
        log.info("event=pg_store_closed url={}", url);
    }

    @Override
    public String toString() {
        return "PgShardStore[" + url + "]";
    }
}
