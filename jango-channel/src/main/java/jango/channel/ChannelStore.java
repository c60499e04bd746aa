package jango.channel;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The channel copy in PostgreSQL (schema in db/channel): what applying a feed batch writes, what the
 * history and duplicates pages read, and what repairs and resyncs rewrite. Every write is keyed by
 * revision, so applying anything twice changes nothing.
 */
public final class ChannelStore {
    static final String ALL = "*";

    private static final String INSERT_HISTORY = "INSERT INTO history (account, asset, revision, seq, at_micros, command_id, type,"
            + " available, held, available_delta, held_delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    private static final String ADD_TO_BALANCE = "INSERT INTO balances AS b (account, asset, revision, entries, available, held)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, asset) DO UPDATE SET entries = b.entries + EXCLUDED.entries,"
            + " available = CASE WHEN EXCLUDED.revision > b.revision THEN EXCLUDED.available ELSE b.available END,"
            + " held = CASE WHEN EXCLUDED.revision > b.revision THEN EXCLUDED.held ELSE b.held END,"
            + " revision = GREATEST(b.revision, EXCLUDED.revision)";
    private static final String GAPS = "SELECT b.account, b.asset FROM balances b"
            + " JOIN unnest(?::text[], ?::text[]) AS t(account, asset) ON b.account = t.account AND b.asset = t.asset"
            + " WHERE b.entries < b.revision";
    private static final String INSERT_TRANSFER = "INSERT INTO transfers (seq, command_id, payer, payee, asset, amount, at_micros)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    /**
     * Flags each new transfer pair (command ids of the batch) against every other transfer with the same
     * payer, payee, asset and amount within the window, earlier or later: with several shards, seqs of
     * two shards do not compare, and a later transfer may reach the copy first. Which one is "earlier"
     * is decided by (time, seq, command id), the log's order on one shard, so a pair is flagged once,
     * whichever came in first.
     */
    private static final String FLAG_DUPLICATES = "INSERT INTO duplicates (command_id, earlier_command_id, payer, payee, asset, amount,"
            + " seq, at_micros, apart_micros)"
            + " SELECT CASE WHEN f.o_first THEN x.command_id ELSE o.command_id END,"
            + " CASE WHEN f.o_first THEN o.command_id ELSE x.command_id END, x.payer, x.payee, x.asset, x.amount,"
            + " CASE WHEN f.o_first THEN x.seq ELSE o.seq END, CASE WHEN f.o_first THEN x.at_micros ELSE o.at_micros END,"
            + " abs(x.at_micros - o.at_micros)"
            + " FROM transfers x JOIN transfers o ON o.payer = x.payer AND o.payee = x.payee AND o.asset = x.asset"
            + " AND o.amount = x.amount AND o.command_id <> x.command_id"
            + " AND o.at_micros BETWEEN x.at_micros - ? AND x.at_micros + ?"
            + " CROSS JOIN LATERAL (SELECT (o.at_micros, o.seq, o.command_id) < (x.at_micros, x.seq, x.command_id) AS o_first) f"
            + " WHERE x.command_id = ANY (?) ON CONFLICT DO NOTHING";
    private static final String QUEUE_REPAIR = "INSERT INTO repairs (account, asset, reason, queued_at) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT DO NOTHING";
    private static final String SAVE_POSITION = "INSERT INTO feed_position (id, position, updated_at) VALUES (1, ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at";
    private static final String RECOUNT = "INSERT INTO balances (account, asset, revision, entries, available, held)"
            + " SELECT account, asset, revision, (SELECT count(*) FROM history WHERE account = ? AND asset = ?), available, held"
            + " FROM history WHERE account = ? AND asset = ? ORDER BY revision DESC LIMIT 1"
            + " ON CONFLICT (account, asset) DO UPDATE SET revision = EXCLUDED.revision, entries = EXCLUDED.entries,"
            + " available = EXCLUDED.available, held = EXCLUDED.held";

    private final ChannelDb db;
    private final long duplicateWindowMicros;

    public ChannelStore(ChannelDb db, long duplicateWindowMicros) {
        this.db = db;
        this.duplicateWindowMicros = duplicateWindowMicros;
    }

    /** What one batch did: rows new to the copy, (account, asset) pairs found with a gap, duplicates flagged. */
    public record Applied(int newEntries, List<String> gaps, int duplicates) {
    }

    /** Where in the feed the copy stands, or null before the first batch. */
    public String position() throws SQLException {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT position FROM feed_position WHERE id = 1");
                 ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        });
    }

    /** Applies one feed batch and moves the position past it, in one transaction. */
    public Applied apply(FeedBatch batch) throws SQLException {
        return db.transaction(c -> {
            List<ChangeRecord> fresh = insertHistory(c, batch.changes());
            List<String> gaps = addToBalances(c, fresh);
            int duplicates = flagDuplicates(c, fresh);
            for (FeedBatch.Hole hole : batch.holes()) {
                queueRepair(c, ALL, ALL, "feed hole at log positions " + hole.fromSeq() + ".." + hole.toSeq());
            }
            for (String gap : gaps) {
                String[] pair = gap.split("/", 2);
                queueRepair(c, pair[0], pair[1], "gap");
            }
            try (PreparedStatement s = c.prepareStatement(SAVE_POSITION)) {
                s.setString(1, batch.next());
                s.setTimestamp(2, Timestamp.from(Instant.now()));
                s.executeUpdate();
            }
            return new Applied(fresh.size(), gaps, duplicates);
        });
    }

    /** Inserts the rows; returns those that were new (a replayed batch inserts none). */
    private static List<ChangeRecord> insertHistory(Connection c, List<ChangeRecord> changes) throws SQLException {
        List<ChangeRecord> fresh = new ArrayList<>();
        if (changes.isEmpty()) {
            return fresh;
        }
        try (PreparedStatement s = c.prepareStatement(INSERT_HISTORY)) {
            for (ChangeRecord change : changes) {
                bindHistory(s, change);
                s.addBatch();
            }
            int[] counts = s.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 0) {
                    fresh.add(changes.get(i));
                }
            }
        }
        return fresh;
    }

    private static void bindHistory(PreparedStatement s, ChangeRecord change) throws SQLException {
        s.setString(1, change.account());
        s.setString(2, change.asset());
        s.setLong(3, change.revision());
        s.setLong(4, change.seq());
        s.setLong(5, change.atMicros());
        s.setString(6, change.commandId());
        s.setString(7, change.type());
        s.setBigDecimal(8, change.available());
        s.setBigDecimal(9, change.held());
        s.setBigDecimal(10, change.availableDelta());
        s.setBigDecimal(11, change.heldDelta());
    }

    /** Counts the new rows into each (account, asset) and returns the pairs that now have fewer rows than revisions. */
    private static List<String> addToBalances(Connection c, List<ChangeRecord> fresh) throws SQLException {
        Map<String, ChangeRecord> newest = new LinkedHashMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (ChangeRecord change : fresh) {
            String key = change.account() + "/" + change.asset();
            counts.merge(key, 1, Integer::sum);
            newest.merge(key, change, (a, b) -> b.revision() > a.revision() ? b : a);
        }
        if (newest.isEmpty()) {
            return List.of();
        }
        // Sorted by key, so two writers lock balance rows in the same order.
        try (PreparedStatement s = c.prepareStatement(ADD_TO_BALANCE)) {
            for (Map.Entry<String, Integer> entry : counts.entrySet()) {
                ChangeRecord top = newest.get(entry.getKey());
                s.setString(1, top.account());
                s.setString(2, top.asset());
                s.setLong(3, top.revision());
                s.setLong(4, entry.getValue());
                s.setBigDecimal(5, top.available());
                s.setBigDecimal(6, top.held());
                s.addBatch();
            }
            s.executeBatch();
        }
        List<String> gaps = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(GAPS)) {
            List<String> accounts = new ArrayList<>();
            List<String> assets = new ArrayList<>();
            for (ChangeRecord top : newest.values()) {
                accounts.add(top.account());
                assets.add(top.asset());
            }
            s.setArray(1, c.createArrayOf("text", accounts.toArray()));
            s.setArray(2, c.createArrayOf("text", assets.toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    gaps.add(rows.getString(1) + "/" + rows.getString(2));
                }
            }
        }
        return gaps;
    }

    /** Records the payer -> payee amounts of the new transfers and flags those like an earlier one within the window. */
    private int flagDuplicates(Connection c, List<ChangeRecord> fresh) throws SQLException {
        List<TransferPairs.Pair> pairs = TransferPairs.of(fresh);
        if (pairs.isEmpty()) {
            return 0;
        }
        java.util.Set<String> commandIds = new java.util.LinkedHashSet<>();
        try (PreparedStatement s = c.prepareStatement(INSERT_TRANSFER)) {
            for (TransferPairs.Pair pair : pairs) {
                s.setLong(1, pair.seq());
                s.setString(2, pair.commandId());
                s.setString(3, pair.payer());
                s.setString(4, pair.payee());
                s.setString(5, pair.asset());
                s.setBigDecimal(6, pair.amount());
                s.setLong(7, pair.atMicros());
                s.addBatch();
                commandIds.add(pair.commandId());
            }
            s.executeBatch();
        }
        try (PreparedStatement s = c.prepareStatement(FLAG_DUPLICATES)) {
            s.setLong(1, duplicateWindowMicros);
            s.setLong(2, duplicateWindowMicros);
            s.setArray(3, c.createArrayOf("text", commandIds.toArray()));
            return s.executeUpdate();
        }
    }

    private static void queueRepair(Connection c, String account, String asset, String reason) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(QUEUE_REPAIR)) {
            s.setString(1, account);
            s.setString(2, asset);
            s.setString(3, reason);
            s.setTimestamp(4, Timestamp.from(Instant.now()));
            s.executeUpdate();
        }
    }

    /** Asks for a repair from outside a batch (a resync, an operator). */
    public void queueRepair(String account, String asset, String reason) throws SQLException {
        db.transaction(c -> {
            queueRepair(c, account, asset, reason);
            return null;
        });
    }

    // ---- reads --------------------------------------------------------------------------------

    /** A page of history, newest first, in the ledger's order and shape. */
    public record Page(List<ChangeRecord> entries, byte[] next) {
    }

    public Page history(String account, String asset, int limit, byte[] after) throws SQLException {
        return db.transaction(c -> {
            String sql;
            if (asset == null) {
                sql = "SELECT * FROM history WHERE account = ?" + (after == null ? "" : " AND (seq < ? OR (seq = ? AND asset > ?))")
                        + " ORDER BY seq DESC, asset LIMIT ?";
            } else {
                sql = "SELECT * FROM history WHERE account = ? AND asset = ?" + (after == null ? "" : " AND revision < ?")
                        + " ORDER BY revision DESC LIMIT ?";
            }
            try (PreparedStatement s = c.prepareStatement(sql)) {
                int i = 1;
                s.setString(i++, account);
                if (asset == null) {
                    if (after != null) {
                        ByteBuffer position = ByteBuffer.wrap(after);
                        long seq = position.getLong();
                        s.setLong(i++, seq);
                        s.setLong(i++, seq);
                        s.setString(i++, new String(after, 8, after.length - 8, StandardCharsets.UTF_8));
                    }
                } else {
                    s.setString(i++, asset);
                    if (after != null) {
                        s.setLong(i++, ByteBuffer.wrap(after).getLong());
                    }
                }
                s.setInt(i, limit + 1);
                List<ChangeRecord> entries = read(s);
                boolean more = entries.size() > limit;
                List<ChangeRecord> page = more ? entries.subList(0, limit) : entries;
                return new Page(List.copyOf(page), more ? position(page.get(page.size() - 1), asset) : null);
            }
        });
    }

    /** The position bytes after {@code last} (the channel server seals them into a cursor). */
    private static byte[] position(ChangeRecord last, String asset) {
        byte[] bytes;
        if (asset == null) {
            byte[] assetBytes = last.asset().getBytes(StandardCharsets.UTF_8);
            bytes = ByteBuffer.allocate(8 + assetBytes.length).putLong(last.seq()).put(assetBytes).array();
        } else {
            bytes = ByteBuffer.allocate(8).putLong(last.revision()).array();
        }
        return bytes;
    }

    private static List<ChangeRecord> read(PreparedStatement s) throws SQLException {
        List<ChangeRecord> entries = new ArrayList<>();
        try (ResultSet rows = s.executeQuery()) {
            while (rows.next()) {
                entries.add(new ChangeRecord(rows.getString("account"), rows.getString("asset"), rows.getLong("revision"),
                        rows.getLong("seq"), rows.getLong("at_micros"), rows.getString("command_id"), rows.getString("type"),
                        rows.getBigDecimal("available"), rows.getBigDecimal("held"), rows.getBigDecimal("available_delta"),
                        rows.getBigDecimal("held_delta")));
            }
        }
        return entries;
    }

    /** A flagged transfer: the same payer, payee, asset and amount as an earlier one, {@code apartMicros} before. */
    public record Duplicate(String commandId, String earlierCommandId, String payer, String payee, String asset, BigDecimal amount,
                            long seq, long atMicros, long apartMicros) {
    }

    /** Flags, newest first ({@code account} as payer, or null for all), after the seq {@code beforeSeq} (null: the newest). */
    public List<Duplicate> duplicates(String account, Long beforeSeq, int limit) throws SQLException {
        return db.transaction(c -> {
            String sql = "SELECT * FROM duplicates WHERE true" + (account == null ? "" : " AND payer = ?")
                    + (beforeSeq == null ? "" : " AND seq < ?") + " ORDER BY seq DESC, command_id LIMIT ?";
            try (PreparedStatement s = c.prepareStatement(sql)) {
                int i = 1;
                if (account != null) {
                    s.setString(i++, account);
                }
                if (beforeSeq != null) {
                    s.setLong(i++, beforeSeq);
                }
                s.setInt(i, limit);
                List<Duplicate> found = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(new Duplicate(rows.getString("command_id"), rows.getString("earlier_command_id"),
                                rows.getString("payer"), rows.getString("payee"), rows.getString("asset"), rows.getBigDecimal("amount"),
                                rows.getLong("seq"), rows.getLong("at_micros"), rows.getLong("apart_micros")));
                    }
                }
                return found;
            }
        });
    }

    // ---- repairs and resyncs ------------------------------------------------------------------

    public record Repair(String account, String asset, String reason) {
    }

    public List<Repair> repairs(int limit) throws SQLException {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT account, asset, reason FROM repairs ORDER BY queued_at LIMIT ?")) {
                s.setInt(1, limit);
                List<Repair> found = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(new Repair(rows.getString(1), rows.getString(2), rows.getString(3)));
                    }
                }
                return found;
            }
        });
    }

    public int repairsPending() throws SQLException {
        return count("SELECT count(*) FROM repairs");
    }

    public void repairDone(String account, String asset) throws SQLException {
        db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM repairs WHERE account = ? AND asset = ?")) {
                s.setString(1, account);
                s.setString(2, asset);
                return s.executeUpdate();
            }
        });
    }

    /**
     * Makes the copy of ({@code account}, {@code asset}) exactly {@code ledgerRows} (its full
     * history from the ledger): adds what is missing, removes what the ledger does not have, recounts.
     * Returns how many rows were added or removed.
     */
    public int rewrite(String account, String asset, List<ChangeRecord> ledgerRows) throws SQLException {
        return db.transaction(c -> {
            lockBalance(c, account, asset);
            int added;
            try (PreparedStatement s = c.prepareStatement(INSERT_HISTORY)) {
                for (ChangeRecord row : ledgerRows) {
                    bindHistory(s, row);
                    s.addBatch();
                }
                added = ledgerRows.isEmpty() ? 0 : java.util.Arrays.stream(s.executeBatch()).map(n -> n == 0 ? 0 : 1).sum();
            }
            // A row the ledger does not list (or lists with other values) is replaced by the ledger's.
            Map<Long, String> truth = new java.util.HashMap<>();
            ledgerRows.forEach(r -> truth.put(r.revision(), r.canonical()));
            List<Long> wrong = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT * FROM history WHERE account = ? AND asset = ?")) {
                s.setString(1, account);
                s.setString(2, asset);
                for (ChangeRecord row : read(s)) {
                    if (!row.canonical().equals(truth.get(row.revision()))) {
                        wrong.add(row.revision());
                    }
                }
            }
            if (!wrong.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM history WHERE account = ? AND asset = ? AND revision = ANY (?)")) {
                    s.setString(1, account);
                    s.setString(2, asset);
                    s.setArray(3, c.createArrayOf("bigint", wrong.toArray()));
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement(INSERT_HISTORY)) {
                    for (ChangeRecord row : ledgerRows) {
                        if (wrong.contains(row.revision())) {
                            bindHistory(s, row);
                            s.addBatch();
                        }
                    }
                    s.executeBatch();
                }
            }
            recount(c, account, asset);
            return added + wrong.size();
        });
    }

    /** Holds the balance row while rows are rewritten, so a feed batch's count lands after this one's recount. */
    private static void lockBalance(Connection c, String account, String asset) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM balances WHERE account = ? AND asset = ? FOR UPDATE")) {
            s.setString(1, account);
            s.setString(2, asset);
            s.executeQuery().close();
        }
    }

    private static void recount(Connection c, String account, String asset) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(RECOUNT)) {
            s.setString(1, account);
            s.setString(2, asset);
            s.setString(3, account);
            s.setString(4, asset);
            if (s.executeUpdate() == 0) {
                try (PreparedStatement d = c.prepareStatement("DELETE FROM balances WHERE account = ? AND asset = ?")) {
                    d.setString(1, account);
                    d.setString(2, asset);
                    d.executeUpdate();
                }
            }
        }
    }

    /** Entries and a checksum per asset of the copy of {@code account}. */
    public Map<String, Summary> summaries(String account) throws SQLException {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT * FROM history WHERE account = ? ORDER BY asset, revision")) {
                s.setString(1, account);
                return summarize(read(s));
            }
        });
    }

    /** How many entries and the SHA-256 over their canonical lines in revision order. */
    public record Summary(long entries, String checksum) {
    }

    /** Per asset, over rows in any order. */
    public static Map<String, Summary> summarize(List<ChangeRecord> rows) {
        Map<String, List<ChangeRecord>> byAsset = new TreeMap<>();
        rows.forEach(r -> byAsset.computeIfAbsent(r.asset(), a -> new ArrayList<>()).add(r));
        Map<String, Summary> summaries = new TreeMap<>();
        byAsset.forEach((asset, list) -> {
            list.sort(java.util.Comparator.comparingLong(ChangeRecord::revision));
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            for (ChangeRecord row : list) {
                sha.update(row.canonical().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
            summaries.put(asset, new Summary(list.size(), HexFormat.of().formatHex(sha.digest())));
        });
        return summaries;
    }

    /** Accounts the copy has, in byte order (the feed's order), after {@code after} (null: from the first). */
    public List<String> accounts(String after, int limit) throws SQLException {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT account COLLATE \"C\" AS account FROM balances WHERE account COLLATE \"C\" > ? ORDER BY 1 LIMIT ?")) {
                s.setString(1, after == null ? "" : after);
                s.setInt(2, limit);
                List<String> accounts = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        accounts.add(rows.getString(1));
                    }
                }
                return accounts;
            }
        });
    }

    public long entries() throws SQLException {
        return count("SELECT count(*) FROM history");
    }

    private int count(String sql) throws SQLException {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement(sql); ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        });
    }
}
