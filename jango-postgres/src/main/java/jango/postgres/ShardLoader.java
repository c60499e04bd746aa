package jango.postgres;

import jango.engine.Engine;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.SnapshotCodec;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.LoadedShard;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A shard's committed state into a fresh engine, in the caller's snapshot transaction (so the
 * epoch check and every row come from one moment). Rows stream with a fetch size, not all at once.
 */
final class ShardLoader {
    private static final int FETCH_ROWS = 10_000;

    private ShardLoader() {
    }

    /** Counts of what was loaded, for the log. */
    record Loaded(LoadedShard shard, int balances, int holds, int results) {
    }

    static Loaded load(Connection connection, int shard, long epoch) throws SQLException {
        Engine engine = new Engine();
        long nextOffset;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT epoch, owner, next_offset, last_seq, last_at_micros FROM shards WHERE shard = ?")) {
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
                engine.restorePosition(row.getLong("last_seq"), row.getLong("last_at_micros"));
            }
        }
        loadAssets(connection, engine);
        int balances = loadBalances(connection, shard, engine);
        int holds = loadHolds(connection, shard, engine);
        int results = loadResults(connection, shard, engine);
        return new Loaded(new LoadedShard(shard, epoch, nextOffset, engine), balances, holds, results);
    }

    private static void loadAssets(Connection connection, Engine engine) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT code, scale FROM assets");
             ResultSet row = select.executeQuery()) {
            while (row.next()) {
                engine.restoreAsset(row.getString("code"), row.getInt("scale"));
            }
        }
    }

    private static int loadBalances(Connection connection, int shard, Engine engine) throws SQLException {
        int count = 0;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT owner, asset, available, held, revision FROM balances WHERE shard = ?")) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    engine.restoreAccount(row.getString("owner"), row.getString("asset"), Amounts.get(row, "available"),
                            Amounts.get(row, "held"), row.getLong("revision"));
                    count++;
                }
            }
        }
        return count;
    }

    private static int loadHolds(Connection connection, int shard, Engine engine) throws SQLException {
        int count = 0;
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT hold_id, account, asset, amount, remaining, expires_at_micros, state
                FROM holds WHERE shard = ?""")) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    engine.restoreHold(holdView(row));
                    count++;
                }
            }
        }
        return count;
    }

    static HoldView holdView(ResultSet row) throws SQLException {
        return new HoldView(row.getString("hold_id"), row.getString("account"), row.getString("asset"),
                Amounts.get(row, "amount"), Amounts.get(row, "remaining"), row.getLong("expires_at_micros"),
                HoldState.valueOf(row.getString("state")));
    }

    private static int loadResults(Connection connection, int shard, Engine engine) throws SQLException {
        int count = 0;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT command_id, fingerprint, result FROM results WHERE shard = ?")) {
            select.setFetchSize(FETCH_ROWS);
            select.setInt(1, shard);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    Engine.StoredResult stored = storedResult(row);
                    engine.restoreResult(stored.fingerprint(), stored.result());
                    count++;
                }
            }
        }
        return count;
    }

    static Engine.StoredResult storedResult(ResultSet row) throws SQLException {
        String commandId = row.getString("command_id");
        Result result;
        try {
            result = SnapshotCodec.decodeResult(row.getBytes("result"));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("result of command " + commandId + " does not decode", e);
        }
        if (!commandId.equals(result.id())) {
            throw new IllegalStateException("result stored under command " + commandId + " is of command " + result.id());
        }
        return new Engine.StoredResult(row.getBytes("fingerprint"), result);
    }
}
