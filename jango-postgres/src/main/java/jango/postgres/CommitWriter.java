package jango.postgres;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.CrossShardRecord;
import jango.engine.HoldView;
import jango.engine.ResultCodec;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.ShardCommit;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The statements of one batch's commit, in the caller's transaction. The fencing update of the
 * shard's row comes first: it takes the row lock that {@code acquire}'s epoch update also needs, so
 * a commit and an acquire are ordered by the database. An acquire that got the lock first has
 * moved the epoch, and this update then matches no row; one that waits for the lock sees this
 * commit's outcome before it loads the shard. Everything else is plain JDBC batches.
 */
final class CommitWriter {
    private static final String FENCE = """
            UPDATE shards SET next_offset = ?, last_seq = ?, last_at_micros = ?
            WHERE shard = ? AND epoch = ?""";
    private static final String UPSERT_BALANCE = """
            INSERT INTO balances (shard, owner, asset, available, held, revision) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (shard, owner, asset) DO UPDATE
            SET available = EXCLUDED.available, held = EXCLUDED.held, revision = EXCLUDED.revision""";
    /** A hold id already on another shard is left alone here, and found by {@link #FOREIGN_HOLDS}. */
    private static final String UPSERT_HOLD = """
            INSERT INTO holds (hold_id, shard, account, asset, amount, remaining, expires_at_micros, state, locked)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (hold_id) DO UPDATE SET remaining = EXCLUDED.remaining, state = EXCLUDED.state, locked = EXCLUDED.locked
            WHERE holds.shard = EXCLUDED.shard""";
    private static final String FOREIGN_HOLDS = "SELECT hold_id, shard FROM holds WHERE hold_id = ANY (?) AND shard <> ? ORDER BY hold_id LIMIT 1";
    /** No ON CONFLICT: an id another shard stored meanwhile fails the whole commit. */
    private static final String INSERT_RESULT = """
            INSERT INTO results (command_id, shard, fingerprint, result, pending_attempt) VALUES (?, ?, ?, ?, ?)""";
    /** A pending row of this shard becomes the next attempt's, or the final result. */
    private static final String REPLACE_PENDING = """
            UPDATE results SET fingerprint = ?, result = ?, pending_attempt = ?
            WHERE command_id = ? AND shard = ? AND pending_attempt IS NOT NULL""";
    private static final String UPSERT_CROSS_SHARD = """
            INSERT INTO cross_shard (shard, kind, key, state, record) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (shard, kind, key) DO UPDATE SET state = EXCLUDED.state, record = EXCLUDED.record""";
    /**
     * The records a batch ended, in one statement planned at each run: these two tables churn
     * ({@link Database#plannedEachRun}). A cached plan for one delete per record read 743 pages a
     * call and took 26.5 s of PostgreSQL's 60 s under the 4-shard bench (docs/performance.md).
     */
    private static final String DELETE_CROSS_SHARD = """
            DELETE FROM cross_shard c USING unnest(?::text[], ?::text[]) AS ended(kind, key)
            WHERE c.shard = ? AND c.kind = ended.kind::char(1) AND c.key = ended.key""";
    private static final String DELETE_RESERVATIONS = "DELETE FROM reservations WHERE shard = ? AND transfer_id = ANY (?)";
    private static final String INSERT_RESERVATION = """
            INSERT INTO reservations (shard, transfer_id, owner, asset, amount) VALUES (?, ?, ?, ?, ?)""";
    private static final String INSERT_HISTORY = """
            INSERT INTO history (owner, asset, shard, seq, revision, at_micros, command_id, type,
                                 available, held, available_delta, held_delta)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";
    private static final String INSERT_OUTBOX = "INSERT INTO outbox (shard, topic, partition, key, value) VALUES (?, ?, ?, ?, ?)";
    private static final String INSERT_SHARD_ASSET = "INSERT INTO shard_assets (shard, code, scale) VALUES (?, ?, ?)";
    private static final String CURRENT_EPOCH = "SELECT epoch, owner FROM shards WHERE shard = ?";

    private CommitWriter() {
    }

    /**
     * Refuses a commit the statements would get wrong, before any connection is taken: one row
     * twice in an upsert fails ("cannot affect row a second time") or not depending on how the
     * driver splits the batch, and an outbox row belongs to the shard that commits it.
     */
    static void check(ShardCommit commit) {
        Set<String> keys = new HashSet<>();
        for (BalanceView balance : commit.balances()) {
            if (!keys.add(balance.account() + " " + balance.asset())) {
                throw new IllegalArgumentException("balances: " + balance.account() + " " + balance.asset()
                        + " twice (expected: the final state of each account once)");
            }
        }
        keys.clear();
        for (HoldView hold : commit.holds()) {
            if (!keys.add(hold.holdId())) {
                throw new IllegalArgumentException("holds: " + hold.holdId() + " twice (expected: the final state of each hold once)");
            }
        }
        for (ShardStore.OutboxMessage message : commit.outbox()) {
            if (message.shard() != commit.shard()) {
                throw new IllegalArgumentException("outbox: a message of shard " + message.shard() + " in a commit of shard "
                        + commit.shard() + " (expected: the committing shard; partition names the target)");
            }
        }
        keys.clear();
        for (ShardStore.NewResult result : commit.results()) {
            if (!keys.add(result.id())) {
                throw new IllegalArgumentException("results: " + result.id() + " twice (expected: each id's last row once)");
            }
        }
        keys.clear();
        for (CrossShardRecord record : commit.crossShard()) {
            if (!keys.add(record.kind() + " " + record.key())) {
                throw new IllegalArgumentException("crossShard: " + record.kind() + " " + record.key()
                        + " twice (expected: the last state of each record once)");
            }
        }
    }

    static void write(Connection connection, ShardCommit commit) throws SQLException {
        fence(connection, commit);
        upsertBalances(connection, commit.shard(), commit.balances());
        upsertHolds(connection, commit.shard(), commit.holds());
        insertResults(connection, commit.shard(), commit.results());
        replacePending(connection, commit.shard(), commit.results());
        insertHistory(connection, commit.shard(), commit.history());
        insertOutbox(connection, commit.shard(), commit.outbox());
        insertAssets(connection, commit.shard(), commit.assets());
        writeCrossShard(connection, commit.shard(), commit.crossShard());
    }

    /**
     * The shard's records of transfers between shards as the batch left them: written, or deleted
     * when ended; a participant's reservations with it. The writer hands each record's last state once.
     */
    private static void writeCrossShard(Connection connection, int shard, java.util.Collection<CrossShardRecord> records)
            throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        List<String> endedKinds = new ArrayList<>();
        List<String> endedKeys = new ArrayList<>();
        List<String> participants = new ArrayList<>();
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT_CROSS_SHARD);
             PreparedStatement reserve = connection.prepareStatement(INSERT_RESERVATION)) {
            int upserts = 0;
            int reservations = 0;
            for (CrossShardRecord record : records) {
                String kind = String.valueOf(record.kind());
                if (record.ended()) {
                    endedKinds.add(kind);
                    endedKeys.add(record.key());
                } else {
                    upsert.setInt(1, shard);
                    upsert.setString(2, kind);
                    upsert.setString(3, record.key());
                    upsert.setString(4, record.state());
                    upsert.setBytes(5, record.bytes());
                    upsert.addBatch();
                    upserts++;
                }
                if (record.kind() == CrossShardRecord.PARTICIPANT) {
                    participants.add(record.key());
                    for (CrossShardRecord.Reservation reserved : record.reservations()) {
                        reserve.setInt(1, shard);
                        reserve.setString(2, record.key());
                        reserve.setString(3, reserved.owner());
                        reserve.setString(4, reserved.asset());
                        Amounts.set(reserve, 5, reserved.amount());
                        reserve.addBatch();
                        reservations++;
                    }
                }
            }
            if (!endedKeys.isEmpty()) {
                try (PreparedStatement delete = Database.plannedEachRun(connection, DELETE_CROSS_SHARD)) {
                    delete.setArray(1, connection.createArrayOf("text", endedKinds.toArray()));
                    delete.setArray(2, connection.createArrayOf("text", endedKeys.toArray()));
                    delete.setInt(3, shard);
                    delete.executeUpdate();
                }
            }
            execute(upsert, upserts);
            if (!participants.isEmpty()) {
                try (PreparedStatement dropReserved = Database.plannedEachRun(connection, DELETE_RESERVATIONS)) {
                    dropReserved.setInt(1, shard);
                    dropReserved.setArray(2, connection.createArrayOf("text", participants.toArray()));
                    dropReserved.executeUpdate();
                }
            }
            execute(reserve, reservations);
        }
    }

    private static void execute(PreparedStatement statement, int rows) throws SQLException {
        if (rows > 0) {
            statement.executeBatch();
        }
    }

    /** Pending rows of this shard that the batch moved to a new attempt or to their final result. */
    private static void replacePending(Connection connection, int shard, List<ShardStore.NewResult> results) throws SQLException {
        List<ShardStore.NewResult> replacing = results.stream().filter(ShardStore.NewResult::replaces).toList();
        if (replacing.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement(REPLACE_PENDING)) {
            for (ShardStore.NewResult result : replacing) {
                update.setBytes(1, result.fingerprint());
                update.setBytes(2, result.pending() ? null : ResultCodec.encode(result.result()));
                setAttempt(update, 3, result);
                update.setString(4, result.id());
                update.setInt(5, shard);
                update.addBatch();
            }
            int[] counts = update.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == 0) {
                    throw new IllegalStateException("commit of shard " + shard + ": the pending result of " + replacing.get(i).id()
                            + " is not this shard's to replace");
                }
            }
        }
    }

    private static void setAttempt(PreparedStatement statement, int index, ShardStore.NewResult result) throws SQLException {
        if (result.pending()) {
            statement.setInt(index, result.pendingAttempt());
        } else {
            statement.setNull(index, Types.INTEGER);
        }
    }

    /** The assets the shard's log registered in this batch (the engine loads exactly these). */
    private static void insertAssets(Connection connection, int shard, java.util.Map<String, Integer> assets) throws SQLException {
        if (assets.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_SHARD_ASSET)) {
            for (java.util.Map.Entry<String, Integer> asset : assets.entrySet()) {
                insert.setInt(1, shard);
                insert.setString(2, asset.getKey());
                insert.setInt(3, asset.getValue());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static void fence(Connection connection, ShardCommit commit) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(FENCE)) {
            update.setLong(1, commit.nextOffset());
            update.setLong(2, commit.lastSeq());
            update.setLong(3, commit.lastAtMicros());
            update.setInt(4, commit.shard());
            update.setLong(5, commit.epoch());
            if (update.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement select = connection.prepareStatement(CURRENT_EPOCH)) {
            select.setInt(1, commit.shard());
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalArgumentException("shard: " + commit.shard() + " (no such shard)");
                }
                throw new ShardStore.Fenced("shard " + commit.shard() + ": epoch " + commit.epoch()
                        + " is stale, the shard is at epoch " + row.getLong("epoch") + " owned by " + row.getString("owner"));
            }
        }
    }

    private static void upsertBalances(Connection connection, int shard, Iterable<BalanceView> balances) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT_BALANCE)) {
            int rows = 0;
            for (BalanceView balance : balances) {
                upsert.setInt(1, shard);
                upsert.setString(2, balance.account());
                upsert.setString(3, balance.asset());
                Amounts.set(upsert, 4, balance.available());
                Amounts.set(upsert, 5, balance.held());
                upsert.setLong(6, balance.revision());
                upsert.addBatch();
                rows++;
            }
            if (rows > 0) {
                upsert.executeBatch();
            }
        }
    }

    private static void upsertHolds(Connection connection, int shard, Iterable<HoldView> holds) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT_HOLD)) {
            for (HoldView hold : holds) {
                upsert.setString(1, hold.holdId());
                upsert.setInt(2, shard);
                upsert.setString(3, hold.account());
                upsert.setString(4, hold.asset());
                Amounts.set(upsert, 5, hold.amount());
                Amounts.set(upsert, 6, hold.remaining());
                upsert.setLong(7, hold.expiresAtMicros());
                upsert.setString(8, hold.state().name());
                Amounts.set(upsert, 9, hold.locked());
                upsert.addBatch();
                ids.add(hold.holdId());
            }
            if (ids.isEmpty()) {
                return;
            }
            upsert.executeBatch();
        }
        requireOwnHolds(connection, shard, ids);
    }

    /** Another shard placed one of these hold ids between this batch's check and now: nothing of the batch may stay. */
    private static void requireOwnHolds(Connection connection, int shard, List<String> ids) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(FOREIGN_HOLDS)) {
            Array array = connection.createArrayOf("text", ids.toArray());
            select.setArray(1, array);
            select.setInt(2, shard);
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    throw new ShardStore.Unavailable("commit of shard " + shard + ": hold " + row.getString("hold_id")
                            + " already exists on shard " + row.getInt("shard"), null);
                }
            } finally {
                array.free();
            }
        }
    }

    private static void insertResults(Connection connection, int shard, List<ShardStore.NewResult> results) throws SQLException {
        int rows = 0;
        try (PreparedStatement insert = connection.prepareStatement(INSERT_RESULT)) {
            for (ShardStore.NewResult result : results) {
                if (result.replaces()) {
                    continue;
                }
                insert.setString(1, result.id());
                insert.setInt(2, shard);
                insert.setBytes(3, result.fingerprint());
                insert.setBytes(4, result.pending() ? null : ResultCodec.encode(result.result()));
                setAttempt(insert, 5, result);
                insert.addBatch();
                rows++;
            }
            execute(insert, rows);
        }
    }

    private static void insertHistory(Connection connection, int shard, List<BalanceChange> history) throws SQLException {
        if (history.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_HISTORY)) {
            for (BalanceChange change : history) {
                insert.setString(1, change.account());
                insert.setString(2, change.asset());
                insert.setInt(3, shard);
                insert.setLong(4, change.seq());
                insert.setLong(5, change.revision());
                insert.setLong(6, change.atMicros());
                if (change.commandId() == null) {
                    insert.setNull(7, Types.VARCHAR);
                } else {
                    insert.setString(7, change.commandId());
                }
                insert.setString(8, change.type());
                Amounts.set(insert, 9, change.available());
                Amounts.set(insert, 10, change.held());
                Amounts.set(insert, 11, change.availableDelta());
                Amounts.set(insert, 12, change.heldDelta());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static void insertOutbox(Connection connection, int shard, List<ShardStore.OutboxMessage> outbox) throws SQLException {
        if (outbox.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_OUTBOX)) {
            for (ShardStore.OutboxMessage message : outbox) {
                insert.setInt(1, shard);
                insert.setString(2, message.topic());
                insert.setInt(3, message.partition());
                insert.setString(4, message.key());
                insert.setBytes(5, message.value());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
