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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The engine's whole state as bytes, in a canonical order (everything sorted by key), so equal
 * states give equal bytes and the state hash is the SHA-256 of the snapshot. The caller owns the
 * streams: the engine never opens a file.
 */
public final class SnapshotCodec {
    private static final int MAGIC = 0x4A4E4753; // "JNGS"
    private static final int VERSION = 1;

    private SnapshotCodec() {
    }

    public static void write(Engine engine, OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(stream);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(engine.lastSeq());
        out.writeLong(engine.lastAtMicros());

        Map<String, Integer> assets = new TreeMap<>(engine.assetsForSnapshot());
        out.writeInt(assets.size());
        for (Map.Entry<String, Integer> asset : assets.entrySet()) {
            writeString(out, asset.getKey());
            out.writeByte(asset.getValue());
        }

        List<Engine.Account> accounts = new ArrayList<>();
        new TreeMap<>(engine.accountsForSnapshot()).forEach((owner, byAsset) ->
                new TreeMap<>(byAsset).values().forEach(accounts::add));
        out.writeInt(accounts.size());
        for (Engine.Account account : accounts) {
            writeString(out, account.owner);
            writeString(out, account.asset);
            writeInt128(out, account.available);
            writeInt128(out, account.held);
            out.writeLong(account.revision);
        }

        Map<String, Engine.Hold> holds = new TreeMap<>(engine.holdsForSnapshot());
        out.writeInt(holds.size());
        for (Engine.Hold hold : holds.values()) {
            writeString(out, hold.id);
            writeString(out, hold.account);
            writeString(out, hold.asset);
            writeInt128(out, hold.amount);
            writeInt128(out, hold.remaining);
            out.writeLong(hold.expiresAtMicros);
            out.writeByte(hold.state.ordinal());
        }

        // Millions of results: sorting the keys is much cheaper than building a TreeMap of them.
        Map<String, Engine.StoredResult> results = engine.resultsForSnapshot();
        String[] ids = results.keySet().toArray(new String[0]);
        java.util.Arrays.sort(ids);
        out.writeInt(ids.length);
        for (String id : ids) {
            Engine.StoredResult stored = results.get(id);
            out.writeInt(stored.fingerprint().length);
            out.write(stored.fingerprint());
            writeResult(out, stored.result());
        }
        out.writeInt(MAGIC);
        out.flush();
    }

    public static Engine read(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a Jango snapshot (bad magic)");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException("snapshot version " + version + " (expected: " + VERSION + ")");
        }
        Engine engine = new Engine();
        engine.restorePosition(in.readLong(), in.readLong());
        int assetCount = in.readInt();
        for (int i = 0; i < assetCount; i++) {
            engine.assetsForSnapshot().put(readString(in), (int) in.readByte());
        }
        int accountCount = in.readInt();
        for (int i = 0; i < accountCount; i++) {
            engine.restoreAccount(readString(in), readString(in), readInt128(in), readInt128(in), in.readLong());
        }
        int holdCount = in.readInt();
        HoldState[] states = HoldState.values();
        for (int i = 0; i < holdCount; i++) {
            engine.restoreHold(new HoldView(readString(in), readString(in), readString(in), readInt128(in), readInt128(in),
                    in.readLong(), states[in.readByte()]));
        }
        int resultCount = in.readInt();
        for (int i = 0; i < resultCount; i++) {
            byte[] fingerprint = new byte[in.readInt()];
            in.readFully(fingerprint);
            Result result = readResult(in);
            engine.resultsForSnapshot().put(result.id(), new Engine.StoredResult(fingerprint, result));
        }
        if (in.readInt() != MAGIC) {
            throw new IOException("snapshot trailer missing: the file is cut short");
        }
        return engine;
    }

    public static byte[] encodeResult(Result result) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(128);
        try {
            writeResult(new DataOutputStream(bytes), result);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public static Result decodeResult(byte[] encoded) {
        try {
            return readResult(new DataInputStream(new java.io.ByteArrayInputStream(encoded)));
        } catch (IOException e) {
            throw new IllegalArgumentException("not an encoded result", e);
        }
    }

    /** SHA-256 of the canonical snapshot, hex: equal exactly when the states are equal. */
    public static String stateHash(Engine engine) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestOutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
                write(engine, new java.io.BufferedOutputStream(out, 1 << 16));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash state", e);
        }
    }

    /** One result in the snapshot's encoding (also how distributed mode stores and ships results). */
    public static void writeResult(DataOutputStream out, Result result) throws IOException {
        writeString(out, result.id());
        out.writeByte(result.status().ordinal());
        out.writeByte(result.reason() == null ? -1 : result.reason().ordinal());
        writeString(out, result.message());
        out.writeLong(result.seq());
        out.writeLong(result.atMicros());
        out.writeShort(result.balances().size());
        for (BalanceView balance : result.balances()) {
            writeString(out, balance.account());
            writeString(out, balance.asset());
            writeInt128(out, balance.available());
            writeInt128(out, balance.held());
            out.writeLong(balance.revision());
        }
    }

    public static Result readResult(DataInputStream in) throws IOException {
        String id = readString(in);
        Status status = Status.values()[in.readByte()];
        int reasonOrdinal = in.readByte();
        Reason reason = reasonOrdinal < 0 ? null : Reason.values()[reasonOrdinal];
        String message = readString(in);
        long seq = in.readLong();
        long at = in.readLong();
        int count = in.readShort();
        List<BalanceView> balances = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            balances.add(new BalanceView(readString(in), readString(in), readInt128(in), readInt128(in), in.readLong()));
        }
        return new Result(id, status, reason, message, seq, at, balances);
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > (1 << 16)) {
            throw new IOException("corrupt snapshot: string length " + length);
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static void writeInt128(DataOutputStream out, Int128 value) throws IOException {
        out.writeLong(value.hi());
        out.writeLong(value.lo());
    }

    private static Int128 readInt128(DataInputStream in) throws IOException {
        long hi = in.readLong();
        return Int128.of(hi, in.readLong());
    }
}
