package jango.postgres;

import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Pages of account history, newest first, in the order of the embedded ledger for an owner on one
 * shard (seq descending, then asset ascending, then revision descending), led by time so that a
 * system owner's rows of several shards interleave by when they happened; the shard breaks ties.
 * A page is keyset-paged from its cursor: one index range scan, whatever the page number.
 */
final class HistoryQuery {
    static final int MAX_PAGE_LIMIT = 1000;
    private static final int MAX_OWNER_BYTES = 1024;

    // Fragments are joined with a space by sql(): a text block drops the leading space of its first
    // line, and "?AND" after a parameter is refused by PostgreSQL 15 and newer ("$2AND").
    private static final String COLUMNS = """
            SELECT shard, seq, revision, at_micros, command_id, type, asset, available, held, available_delta, held_delta
            FROM history WHERE owner = ?""";
    private static final String ONE_ASSET = "AND asset = ?";
    /** After the cursor in ALL_ASSETS_ORDER; the first condition lets the index range start there. */
    private static final String ALL_ASSETS_AFTER = """
            AND at_micros <= ? AND (at_micros < ? OR (at_micros = ? AND (seq < ? OR (seq = ? AND (asset > ?
            OR (asset = ? AND (revision < ? OR (revision = ? AND shard > ?))))))))""";
    private static final String ONE_ASSET_AFTER = """
            AND at_micros <= ? AND (at_micros < ? OR (at_micros = ? AND (seq < ? OR (seq = ?
            AND (revision < ? OR (revision = ? AND shard > ?))))))""";
    private static final String ALL_ASSETS_ORDER = "ORDER BY at_micros DESC, seq DESC, asset, revision DESC, shard LIMIT ?";
    private static final String ONE_ASSET_ORDER = "ORDER BY at_micros DESC, seq DESC, revision DESC, shard LIMIT ?";

    private HistoryQuery() {
    }

    /** Checks the arguments before any connection is taken. @throws IllegalArgumentException */
    static HistoryCursor.Position check(String owner, String asset, int limit, String cursor) {
        if (owner == null || owner.isEmpty() || owner.getBytes(StandardCharsets.UTF_8).length > MAX_OWNER_BYTES) {
            throw new IllegalArgumentException("owner: " + owner + " (expected: a non-empty account id)");
        }
        if (asset != null && (asset.isEmpty() || asset.length() > 64)) {
            throw new IllegalArgumentException("asset: " + asset + " (expected: an asset code)");
        }
        if (limit < 1 || limit > MAX_PAGE_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_PAGE_LIMIT + ")");
        }
        return cursor == null ? null : HistoryCursor.decode(cursor, owner, asset);
    }

    static HistoryPage page(Connection connection, String owner, String asset, int limit, HistoryCursor.Position after)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql(asset != null, after != null))) {
            int i = 1;
            select.setString(i++, owner);
            if (asset != null) {
                select.setString(i++, asset);
            }
            if (after != null) {
                i = bindAfter(select, i, asset == null, after);
            }
            select.setInt(i, limit + 1); // one more than asked says whether there is a next page
            List<HistoryEntry> entries = new ArrayList<>(Math.min(limit, 128));
            HistoryCursor.Position last = null;
            boolean more = false;
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    if (entries.size() == limit) {
                        more = true;
                        break;
                    }
                    HistoryEntry entry = entry(row);
                    entries.add(entry);
                    last = new HistoryCursor.Position(entry.atMicros(), entry.seq(), entry.revision(), row.getInt("shard"),
                            entry.asset());
                }
            }
            String next = more ? HistoryCursor.encode(owner, asset, last) : null;
            return new HistoryPage(List.copyOf(entries), next);
        }
    }

    /** The statement for a page: of one asset or all, first or after a cursor. */
    static String sql(boolean oneAsset, boolean afterCursor) {
        List<String> parts = new ArrayList<>(4);
        parts.add(COLUMNS);
        if (oneAsset) {
            parts.add(ONE_ASSET);
        }
        if (afterCursor) {
            parts.add(oneAsset ? ONE_ASSET_AFTER : ALL_ASSETS_AFTER);
        }
        parts.add(oneAsset ? ONE_ASSET_ORDER : ALL_ASSETS_ORDER);
        return String.join(" ", parts);
    }

    private static int bindAfter(PreparedStatement select, int i, boolean allAssets, HistoryCursor.Position after)
            throws SQLException {
        select.setLong(i++, after.atMicros());
        select.setLong(i++, after.atMicros());
        select.setLong(i++, after.atMicros());
        select.setLong(i++, after.seq());
        select.setLong(i++, after.seq());
        if (allAssets) {
            select.setString(i++, after.asset());
            select.setString(i++, after.asset());
        }
        select.setLong(i++, after.revision());
        select.setLong(i++, after.revision());
        select.setInt(i++, after.shard());
        return i;
    }

    private static HistoryEntry entry(ResultSet row) throws SQLException {
        return new HistoryEntry(row.getLong("seq"), row.getLong("at_micros"), row.getString("command_id"),
                row.getString("type"), row.getString("asset"), Amounts.get(row, "available"), Amounts.get(row, "held"),
                Amounts.get(row, "available_delta"), Amounts.get(row, "held_delta"), row.getLong("revision"));
    }
}
