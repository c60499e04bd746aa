package jango.postgres;

import jango.engine.StoredResult;
import jango.engine.Archive;
import jango.engine.Engine;
import jango.engine.EngineRestore;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.ResultCodec;
import jango.engine.ShardMap;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.LoadedShard;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A shard's committed state into a fresh engine, in the caller's snapshot transaction (so the
 * epoch check and every row come from one moment). Rows stream with a fetch size, not all at once.
 */
final class ShardLoader {
    /** A shard's open holds, through the partial index {@code holds_open_by_shard} (V4): ended holds stay in the table. */
    static final String OPEN_HOLDS = """
            SELECT hold_id, account, asset, amount, remaining, expires_at_micros, state, locked
            FROM holds WHERE shard = ? AND state = 'OPEN'""";

    private static final int FETCH_ROWS = 10_000;

    private ShardLoader() {
    }

    /** Counts of what was loaded, for the log. */
    record Loaded(LoadedShard shard, int balances, int holds, int crossShardRecords) {
    }

    /**
     * Accounts, open holds and the shard's assets into an engine that asks {@code archive} for
     * everything else (stored results, closed holds): its id filter is off (size 0), since distributed
     * mode fetches each batch's ids in one query. Memory is set by accounts and open holds.
     */
    static Loaded load(Connection connection, int shard, long epoch, Archive archive) throws SQLException {
        Engine engine = new Engine(0, archive, new ShardMap(shard, shardCount(connection)));
        EngineRestore restore = engine.restore();
        long nextOffset;
        String haltedReason;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT epoch, owner, next_offset, last_seq, last_at_micros, halted_reason FROM shards WHERE shard = ?")) {
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalArgumentException("shard: " + shard + " (no such shard)");
                }
                if (row.getLong("epoch") != epoch) {
                    throw new ShardStore.Fenced("shard " + shard + ": epoch " + epoch + " is stale, the shard is at epoch "
                            + row.getLong("epoch") + " owned by " + row.getString("owner"));
                }
                nextOffset = row.getLong("next_offset");
                haltedReason = row.getString("halted_reason");
                restore.position(row.getLong("last_seq"), row.getLong("last_at_micros"));
            }
        }
        loadAssets(connection, shard, restore);
        int balances = loadBalances(connection, shard, restore);
        int holds = loadOpenHolds(connection, shard, restore);
        int records = loadCrossShard(connection, shard, restore);
        return new Loaded(new LoadedShard(shard, epoch, nextOffset, engine, haltedReason), balances, holds, records);
    }

    private static int shardCount(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT shard_count FROM meta WHERE id = 1");
             ResultSet row = select.executeQuery()) {
            if (!row.next()) {
                throw new IllegalStateException("the store has no shard count: run jango init");
            }
            return row.getInt(1);
        }
    }

    /** The shard's records of transfers between shards in flight (after its accounts and open holds). */
    private static int loadCrossShard(Connection connection, int shard, EngineRestore restore) throws SQLException {
        List<byte[]> records = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT record FROM cross_shard WHERE shard = ? ORDER BY kind, key")) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    records.add(row.getBytes(1));
                }
            }
        }
        restore.crossShardRecords(records);
        return records.size();
    }

    private static void loadAssets(Connection connection, int shard, EngineRestore restore) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT code, scale FROM shard_assets WHERE shard = ?")) {
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    restore.asset(row.getString("code"), row.getInt("scale"));
                }
            }
        }
    }

    private static int loadBalances(Connection connection, int shard, EngineRestore restore) throws SQLException {
        int count = 0;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT owner, asset, available, held, revision FROM balances WHERE shard = ?")) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    restore.account(row.getString("owner"), row.getString("asset"), Amounts.get(row, "available"),
                            Amounts.get(row, "held"), row.getLong("revision"));
                    count++;
                }
            }
        }
        return count;
    }

    private static int loadOpenHolds(Connection connection, int shard, EngineRestore restore) throws SQLException {
        int count = 0;
        try (PreparedStatement select = connection.prepareStatement(OPEN_HOLDS)) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    restore.openHold(holdView(row));
                    count++;
                }
            }
        }
        return count;
    }

    /** A hold row (selected with every column of {@code holds}, locked included). */
    static HoldView holdView(ResultSet row) throws SQLException {
        return new HoldView(row.getString("hold_id"), row.getString("account"), row.getString("asset"),
                Amounts.get(row, "amount"), Amounts.get(row, "remaining"), row.getLong("expires_at_micros"),
                HoldState.valueOf(row.getString("state")), Amounts.get(row, "locked"));
    }

    /** A result row (command_id, fingerprint, result, pending_attempt): a final result, or a transfer's pending one. */
    static StoredResult storedResult(ResultSet row) throws SQLException {
        String commandId = row.getString("command_id");
        int pendingAttempt = row.getInt("pending_attempt");
        if (!row.wasNull()) {
            return StoredResult.pending(row.getBytes("fingerprint"), pendingAttempt);
        }
        Result result;
        try {
            result = ResultCodec.decode(row.getBytes("result"));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("result of command " + commandId + " does not decode", e);
        }
        if (!commandId.equals(result.id())) {
            throw new IllegalStateException("result stored under command " + commandId + " is of command " + result.id());
        }
        return new StoredResult(row.getBytes("fingerprint"), result);
    }
}
