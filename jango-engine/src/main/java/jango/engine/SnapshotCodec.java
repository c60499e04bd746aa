package jango.engine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The engine's state as bytes: position, assets, accounts, open holds and the records of transfers
 * between shards in flight, in a canonical order
 * (everything sorted by key), so equal states give equal bytes whichever order the slots were
 * filled in, in whichever mode; then the id filter. The state hash is the SHA-256 of the canonical
 * part: equal hashes mean equal states. Stored results and closed holds are not state held in
 * memory: they live in the archive, outside the snapshot. The caller owns the streams: the engine
 * never opens a file.
 */
public final class SnapshotCodec {
    private static final int MAGIC = 0x4A4E4753; // "JNGS"
    /**
     * 4: the records of transfers between shards (coordinator, participant, pending hold ends).
     * 3: the id filter's hash reads ids eight bytes at a time (a filter is only valid with the hash
     * that filled it); read still, as a snapshot with no transfer between shards in flight.
     */
    private static final int VERSION = 4;
    /** Snapshots before transfers between shards: no section of their records. */
    private static final int VERSION_WITHOUT_CROSS_SHARD = 3;
    private static final int MAX_STRING_BYTES = 1 << 16;
    private static final int MAX_RECORD_BYTES = 1 << 20;
    /** The id filter is written and read 64 KiB at a time. */
    private static final int WORDS_PER_CHUNK = 1 << 14;

    private SnapshotCodec() {
    }

    /** Writes the state of {@code engine} (a {@link Engine#copy()} when the engine goes on meanwhile). */
    public static void write(Engine engine, OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(stream);
        writeState(engine, out);
        int[] words = engine.filter.words();
        out.writeInt(words == null ? 0 : words.length);
        if (words != null) {
            writeWords(out, words);
        }
        out.writeInt(MAGIC);
        out.flush();
    }

    /**
     * The id filter's words, big-endian as {@link DataOutputStream#writeInt} would write them, a
     * chunk at a time: the filter is most of a snapshot (64 MiB by default), and sixteen million
     * single writes through the CRC stream took seconds where one pass takes milliseconds.
     */
    private static void writeWords(DataOutputStream out, int[] words) throws IOException {
        byte[] chunk = new byte[Math.min(words.length, WORDS_PER_CHUNK) * Integer.BYTES];
        IntBuffer view = ByteBuffer.wrap(chunk).asIntBuffer();
        for (int from = 0; from < words.length; from += WORDS_PER_CHUNK) {
            int count = Math.min(WORDS_PER_CHUNK, words.length - from);
            view.put(0, words, from, count);
            out.write(chunk, 0, count * Integer.BYTES);
        }
    }

    /** Reads what {@link #writeWords} wrote into {@code words}, a chunk at a time. */
    private static void readWords(DataInputStream in, int[] words) throws IOException {
        byte[] chunk = new byte[Math.min(words.length, WORDS_PER_CHUNK) * Integer.BYTES];
        IntBuffer view = ByteBuffer.wrap(chunk).asIntBuffer();
        for (int from = 0; from < words.length; from += WORDS_PER_CHUNK) {
            int count = Math.min(WORDS_PER_CHUNK, words.length - from);
            in.readFully(chunk, 0, count * Integer.BYTES);
            view.get(0, words, from, count);
        }
    }

    private static void writeState(Engine engine, DataOutputStream out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(engine.lastSeq);
        out.writeLong(engine.lastAtMicros);

        AssetTable assets = engine.assets;
        Integer[] assetOrder = order(assets.count(), Comparator.comparing(assets::code));
        out.writeInt(assetOrder.length);
        for (int id : assetOrder) {
            writeString(out, assets.code(id));
            out.writeByte(assets.scale(id));
        }

        AccountTable accounts = engine.accounts;
        Integer[] accountOrder = order(accounts.count(), Comparator.comparing(accounts::owner)
                .thenComparing(slot -> assets.code(accounts.assetOf(slot))));
        out.writeInt(accountOrder.length);
        for (int slot : accountOrder) {
            writeString(out, accounts.owner(slot));
            writeString(out, assets.code(accounts.assetOf(slot)));
            out.writeLong(accounts.availableHi(slot));
            out.writeLong(accounts.availableLo(slot));
            out.writeLong(accounts.heldHi(slot));
            out.writeLong(accounts.heldLo(slot));
            out.writeLong(accounts.revision(slot));
        }

        HoldTable holds = engine.holds;
        int[] inUse = new int[holds.count()];
        int found = 0;
        for (int slot = 0; slot < holds.highWater(); slot++) {
            if (holds.inUse(slot)) {
                inUse[found++] = slot;
            }
        }
        Integer[] holdOrder = Arrays.stream(inUse, 0, found).boxed().sorted(Comparator.comparing(holds::id)).toArray(Integer[]::new);
        out.writeInt(holdOrder.length);
        for (int slot : holdOrder) {
            int account = holds.accountOf(slot);
            writeString(out, holds.id(slot));
            writeString(out, accounts.owner(account));
            writeString(out, assets.code(accounts.assetOf(account)));
            out.writeLong(holds.amounts[4 * slot]);
            out.writeLong(holds.amounts[4 * slot + 1]);
            out.writeLong(holds.remainingHi(slot));
            out.writeLong(holds.remainingLo(slot));
            out.writeLong(holds.expiresAt(slot));
        }

        List<byte[]> records = crossShardRecords(engine.crossShard);
        out.writeInt(records.size());
        for (byte[] record : records) {
            out.writeInt(record.length);
            out.write(record);
        }
    }

    /** Every record of transfers between shards, in one order (kind, then key) whatever order they were made in. */
    private static List<byte[]> crossShardRecords(CrossShardTable table) {
        List<byte[]> records = new ArrayList<>();
        table.coordinators.keySet().stream().sorted().forEach(id -> records.add(CrossShardTable.encode(table.coordinators.get(id))));
        table.locks.keySet().stream().sorted().forEach(id -> {
            CrossShardTable.HoldLock lock = table.locks.get(id);
            if (lock.ending()) {
                records.add(CrossShardTable.encode(lock));
            }
        });
        table.participants.keySet().stream().sorted().forEach(id -> records.add(CrossShardTable.encode(table.participants.get(id))));
        return records;
    }

    private static Integer[] order(int count, Comparator<Integer> comparator) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, comparator);
        return order;
    }

    /** An engine in the snapshot's state, with the snapshot's id filter, storing into {@code archive}. */
    public static Engine read(InputStream stream, Archive archive) throws IOException {
        return read(stream, archive, ShardMap.SINGLE);
    }

    /** As {@link #read(InputStream, Archive)}, for one shard of several. */
    public static Engine read(InputStream stream, Archive archive, ShardMap shards) throws IOException {
        return read(stream, () -> archive, shards);
    }

    /**
     * As {@link #read(InputStream, Archive, ShardMap)}, the archive asked for only once the state is
     * decoded: a start reads the snapshot while it opens the index the archive reads.
     */
    public static Engine read(InputStream stream, java.util.function.Supplier<? extends Archive> archive, ShardMap shards)
            throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a Jango snapshot (bad magic)");
        }
        int version = in.readInt();
        if (version != VERSION && version != VERSION_WITHOUT_CROSS_SHARD) {
            throw new IOException("snapshot version " + version + " (expected: " + VERSION + ")");
        }
        long seq = in.readLong();
        long atMicros = in.readLong();
        String[] assetCodes = new String[count(in, "assets")];
        int[] assetScales = new int[assetCodes.length];
        for (int i = 0; i < assetCodes.length; i++) {
            assetCodes[i] = readString(in);
            assetScales[i] = in.readByte();
        }
        int accountCount = count(in, "accounts");
        String[] owners = new String[accountCount];
        String[] accountAssets = new String[accountCount];
        long[] values = new long[5 * accountCount];
        for (int i = 0; i < accountCount; i++) {
            owners[i] = readString(in);
            accountAssets[i] = readString(in);
            for (int j = 0; j < 5; j++) {
                values[5 * i + j] = in.readLong();
            }
        }
        int holdCount = count(in, "holds");
        HoldView[] holds = new HoldView[holdCount];
        for (int i = 0; i < holdCount; i++) {
            String id = readString(in);
            String owner = readString(in);
            String asset = readString(in);
            Int128 amount = Int128.of(in.readLong(), in.readLong());
            Int128 remaining = Int128.of(in.readLong(), in.readLong());
            holds[i] = new HoldView(id, owner, asset, amount, remaining, in.readLong(), HoldState.OPEN);
        }
        List<byte[]> crossShard = new ArrayList<>();
        if (version != VERSION_WITHOUT_CROSS_SHARD) {
            int recordCount = count(in, "cross-shard records");
            for (int i = 0; i < recordCount; i++) {
                int length = in.readInt();
                if (length < 2 || length > MAX_RECORD_BYTES) {
                    throw new IOException("corrupt snapshot: cross-shard record of " + length + " bytes");
                }
                byte[] record = new byte[length];
                in.readFully(record);
                crossShard.add(record);
            }
        }
        int filterWords = in.readInt();
        if (filterWords < 0 || (filterWords != 0 && (filterWords < 8 || Integer.bitCount(filterWords) != 1))) {
            throw new IOException("corrupt snapshot: id filter of " + filterWords + " words");
        }
        int[] words = filterWords == 0 ? null : new int[filterWords];
        if (words != null) {
            readWords(in, words);
        }
        if (in.readInt() != MAGIC) {
            throw new IOException("snapshot trailer missing: the file is cut short");
        }

        Engine engine = new Engine(IdFilter.of(words), archive.get(), shards);
        EngineRestore restore = engine.restore().position(seq, atMicros);
        for (int i = 0; i < assetCodes.length; i++) {
            restore.asset(assetCodes[i], assetScales[i]);
        }
        for (int i = 0; i < accountCount; i++) {
            int base = 5 * i;
            restore.account(owners[i], accountAssets[i], Int128.of(values[base], values[base + 1]),
                    Int128.of(values[base + 2], values[base + 3]), values[base + 4]);
        }
        for (HoldView hold : holds) {
            restore.openHold(hold);
        }
        try {
            restore.crossShardRecords(crossShard);
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt snapshot: " + e.getMessage(), e);
        }
        return engine;
    }

    /** A count from the stream; a negative one is corruption. */
    private static int count(DataInputStream in, String what) throws IOException {
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("corrupt snapshot: " + count + " " + what);
        }
        return count;
    }

    /** SHA-256 of the canonical state (position, assets, accounts, open holds), hex: equal exactly when the states are. */
    public static String stateHash(Engine engine) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(
                    new DigestOutputStream(OutputStream.nullOutputStream(), digest), 1 << 16))) {
                writeState(engine, out);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash state", e);
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new IOException("corrupt snapshot: string length " + length);
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
