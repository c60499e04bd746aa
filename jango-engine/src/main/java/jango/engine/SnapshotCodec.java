package jango.engine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;

/**
 * The engine's state as bytes: position, assets, accounts and open holds, in a canonical order
 * (everything sorted by key), so equal states give equal bytes whichever order the slots were
 * filled in, in whichever mode; then the id filter. The state hash is the SHA-256 of the canonical
 * part: equal hashes mean equal states. Stored results and closed holds are not state held in
 * memory: they live in the archive, outside the snapshot. The caller owns the streams: the engine
 * never opens a file.
 */
public final class SnapshotCodec {
    private static final int MAGIC = 0x4A4E4753; // "JNGS"
    /** 3: the id filter's hash reads ids eight bytes at a time (a filter is only valid with the hash that filled it). */
    private static final int VERSION = 3;
    private static final int MAX_STRING_BYTES = 1 << 16;

    private SnapshotCodec() {
    }

    /** Writes the state of {@code engine} (a {@link Engine#copy()} when the engine goes on meanwhile). */
    public static void write(Engine engine, OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(stream);
        writeState(engine, out);
        int[] words = engine.filter.words();
        out.writeInt(words == null ? 0 : words.length);
        if (words != null) {
            for (int word : words) {
                out.writeInt(word);
            }
        }
        out.writeInt(MAGIC);
        out.flush();
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
            out.writeLong(accounts.revisions[slot]);
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
        DataInputStream in = new DataInputStream(stream);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a Jango snapshot (bad magic)");
        }
        int version = in.readInt();
        if (version != VERSION) {
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
        int filterWords = in.readInt();
        if (filterWords < 0 || (filterWords != 0 && (filterWords < 8 || Integer.bitCount(filterWords) != 1))) {
            throw new IOException("corrupt snapshot: id filter of " + filterWords + " words");
        }
        int[] words = filterWords == 0 ? null : new int[filterWords];
        for (int i = 0; i < filterWords; i++) {
            words[i] = in.readInt();
        }
        if (in.readInt() != MAGIC) {
            throw new IOException("snapshot trailer missing: the file is cut short");
        }

        Engine engine = new Engine(IdFilter.of(words), archive);
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
