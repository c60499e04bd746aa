package jango.postgres;

import jango.engine.Int128;
import jango.engine.port.StateSummary;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * The full check over every shard's committed state, in the caller's snapshot transaction, in the
 * order and words of {@code Engine.checkInvariants}: holds, then accounts, then conservation per
 * asset (which counts {@code @clearing}, so money in flight between shards is conserved too).
 * Then a SHA-256 over a canonical dump of assets, balances, holds and the records of transfers
 * between shards in flight.
 */
final class StateAudit {
    private static final int FETCH_ROWS = 10_000;
    private static final int MAGIC = 0x4A4E4750; // "JNGP"

    private StateAudit() {
    }

    static StateSummary summarize(Connection connection) throws SQLException {
        long seq;
        try (PreparedStatement select = connection.prepareStatement("SELECT COALESCE(SUM(last_seq), 0)::bigint FROM shards");
             ResultSet row = select.executeQuery()) {
            row.next();
            seq = row.getLong(1);
        }
        return new StateSummary(seq, hash(connection), firstViolation(connection));
    }

    static String firstViolation(Connection connection) throws SQLException {
        String violation = first(connection, """
                SELECT 'open hold ' || h.hold_id || ' has no account or nothing left'
                FROM holds h LEFT JOIN balances b ON b.shard = h.shard AND b.owner = h.account AND b.asset = h.asset
                WHERE h.state = 'OPEN' AND (b.owner IS NULL OR h.remaining <= 0)
                ORDER BY h.hold_id LIMIT 1""");
        if (violation == null) {
            violation = first(connection, """
                    SELECT 'closed hold ' || hold_id || ' still has ' || remaining
                    FROM holds WHERE state <> 'OPEN' AND remaining <> 0 ORDER BY hold_id LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT owner || ' ' || asset || ' is negative on shard ' || shard || ': available ' || available
                           || ', held ' || held
                    FROM balances WHERE owner NOT LIKE '@%' AND (available < 0 OR held < 0)
                    ORDER BY owner, asset, shard LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT 'system account ' || owner || ' holds ' || held || ' ' || asset || ' on shard ' || shard
                    FROM balances WHERE owner LIKE '@%' AND held <> 0 ORDER BY owner, asset, shard LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT b.owner || ' ' || b.asset || ' holds ' || b.held || ' but its open holds sum to '
                           || COALESCE(o.open_held, 0) || ' and its reservations for transfers between shards to '
                           || COALESCE(r.reserved, 0)
                    FROM balances b LEFT JOIN (
                        SELECT shard, account, asset, SUM(remaining) AS open_held FROM holds WHERE state = 'OPEN'
                        GROUP BY shard, account, asset) o
                      ON o.shard = b.shard AND o.account = b.owner AND o.asset = b.asset
                    LEFT JOIN (
                        SELECT shard, owner, asset, SUM(amount) AS reserved FROM reservations GROUP BY shard, owner, asset) r
                      ON r.shard = b.shard AND r.owner = b.owner AND r.asset = b.asset
                    WHERE b.held <> COALESCE(o.open_held, 0) + COALESCE(r.reserved, 0)
                    ORDER BY b.owner, b.asset, b.shard LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT 'hold ' || hold_id || ' is ' || state || ' but transfers between shards lock ' || locked || ' of it'
                    FROM holds WHERE locked <> 0 AND state <> 'OPEN' ORDER BY hold_id LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT 'reservation of ' || r.owner || ' ' || r.asset || ' for ' || r.transfer_id || ' on shard ' || r.shard
                           || ' has no participant record'
                    FROM reservations r LEFT JOIN cross_shard x ON x.shard = r.shard AND x.kind = 'P' AND x.key = r.transfer_id
                    WHERE x.key IS NULL ORDER BY r.shard, r.transfer_id LIMIT 1""");
        }
        if (violation == null) {
            // A participant's record is written after its coordinator's and ended before the coordinator's
            // ends (the participant's Done ends it), so at one snapshot every P has its X on some shard.
            violation = first(connection, """
                    SELECT 'transfer ' || p.key || ' has a participant record on shard ' || p.shard
                           || ' and no coordinator record on any shard'
                    FROM cross_shard p
                    WHERE p.kind = 'P' AND NOT EXISTS (SELECT 1 FROM cross_shard x WHERE x.kind = 'X' AND x.key = p.key)
                    ORDER BY p.shard, p.key LIMIT 1""");
        }
        if (violation == null) {
            violation = first(connection, """
                    SELECT 'conservation: ' || asset || ' sums to ' || SUM(available + held) || ' over all accounts, not 0'
                    FROM balances GROUP BY asset HAVING SUM(available + held) <> 0 ORDER BY asset LIMIT 1""");
        }
        return violation;
    }

    private static String first(Connection connection, String sql) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql); ResultSet row = select.executeQuery()) {
            return row.next() ? row.getString(1) : null;
        }
    }

    /** Every asset, balance (per shard) and hold in key order, each field length-prefixed or fixed-width. */
    static String hash(Connection connection) throws SQLException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                new DigestOutputStream(OutputStream.nullOutputStream(), digest), 1 << 16))) {
            out.writeInt(MAGIC);
            dumpAssets(connection, out);
            dumpBalances(connection, out);
            dumpHolds(connection, out);
            dumpCrossShard(connection, out);
            out.writeInt(MAGIC);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a null stream does not fail
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void dumpAssets(Connection connection, DataOutputStream out) throws SQLException, IOException {
        try (PreparedStatement select = connection.prepareStatement("SELECT code, scale FROM assets ORDER BY code");
             ResultSet row = select.executeQuery()) {
            while (row.next()) {
                out.writeByte('A');
                writeString(out, row.getString("code"));
                out.writeByte(row.getInt("scale"));
            }
        }
    }

    private static void dumpBalances(Connection connection, DataOutputStream out) throws SQLException, IOException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT shard, owner, asset, available, held, revision FROM balances ORDER BY shard, owner, asset")) {
            select.setFetchSize(FETCH_ROWS);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    out.writeByte('B');
                    out.writeInt(row.getInt("shard"));
                    writeString(out, row.getString("owner"));
                    writeString(out, row.getString("asset"));
                    writeInt128(out, Amounts.get(row, "available"));
                    writeInt128(out, Amounts.get(row, "held"));
                    out.writeLong(row.getLong("revision"));
                }
            }
        }
    }

    private static void dumpHolds(Connection connection, DataOutputStream out) throws SQLException, IOException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT hold_id, shard, account, asset, amount, remaining, expires_at_micros, state, locked
                FROM holds ORDER BY hold_id""")) {
            select.setFetchSize(FETCH_ROWS);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    out.writeByte('H');
                    writeString(out, row.getString("hold_id"));
                    out.writeInt(row.getInt("shard"));
                    writeString(out, row.getString("account"));
                    writeString(out, row.getString("asset"));
                    writeInt128(out, Amounts.get(row, "amount"));
                    writeInt128(out, Amounts.get(row, "remaining"));
                    out.writeLong(row.getLong("expires_at_micros"));
                    writeString(out, row.getString("state"));
                    writeInt128(out, Amounts.get(row, "locked"));
                }
            }
        }
    }

    private static void dumpCrossShard(Connection connection, DataOutputStream out) throws SQLException, IOException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT shard, kind, key, state, record FROM cross_shard ORDER BY shard, kind, key")) {
            select.setFetchSize(FETCH_ROWS);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    out.writeByte('X');
                    out.writeInt(row.getInt("shard"));
                    writeString(out, row.getString("kind"));
                    writeString(out, row.getString("key"));
                    writeString(out, row.getString("state"));
                    byte[] record = row.getBytes("record");
                    out.writeInt(record.length);
                    out.write(record);
                }
            }
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static void writeInt128(DataOutputStream out, Int128 value) throws IOException {
        out.writeLong(value.hi());
        out.writeLong(value.lo());
    }
}
