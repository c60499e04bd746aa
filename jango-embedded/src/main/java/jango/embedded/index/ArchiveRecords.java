package jango.embedded.index;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Int128;
import jango.engine.Result;
import jango.engine.ResultCodec;
import jango.engine.StoredResult;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Stored results or closed holds of a stretch of the log, encoded back to back in one reusable
 * buffer as the writer makes them (no object per record), for the index to store and for lookups
 * until it has. A record is a key (the command or hold id) and a value that starts with the seq of
 * the entry that made it:
 *
 * <pre>
 * result: seq:u64 fingerprintLength:u32 fingerprint result (ResultCodec)
 * hold:   seq:u64 account asset amount:i128 remaining:i128 expiresAtMicros:u64 state:u8
 * </pre>
 */
public final class ArchiveRecords {
    /** Holds nothing; never written to. */
    public static final ArchiveRecords EMPTY = new ArchiveRecords();

    private final ByteWriter bytes = new ByteWriter(1 << 12);
    private int count;
    private String[] ids = new String[64];
    private long[] seqs = new long[64];
    private int[] keyStarts = new int[64];
    private int[] valueStarts = new int[64];
    private int[] valueEnds = new int[64];

    /** Starts a record: its key and seq; the caller writes the rest of the value to {@link #out()}, then {@link #end()}. */
    public ByteWriter begin(String id, long seq) {
        if (count == ids.length) {
            int capacity = count * 2;
            ids = Arrays.copyOf(ids, capacity);
            seqs = Arrays.copyOf(seqs, capacity);
            keyStarts = Arrays.copyOf(keyStarts, capacity);
            valueStarts = Arrays.copyOf(valueStarts, capacity);
            valueEnds = Arrays.copyOf(valueEnds, capacity);
        }
        ids[count] = id;
        seqs[count] = seq;
        keyStarts[count] = bytes.size();
        bytes.writeName(id); // command and hold ids are Names.ID-shaped (protocol ids are built of such), so ASCII
        valueStarts[count] = bytes.size();
        bytes.writeLong(seq);
        return bytes;
    }

    public void end() {
        valueEnds[count++] = bytes.size();
    }

    public int count() {
        return count;
    }

    public String id(int i) {
        return ids[i];
    }

    public long seq(int i) {
        return seqs[i];
    }

    /** The key: the id's UTF-8 bytes (after the 4-byte length the buffer keeps). */
    public byte[] key(int i) {
        return Arrays.copyOfRange(bytes.array(), keyStarts[i] + 4, valueStarts[i]);
    }

    public byte[] value(int i) {
        return Arrays.copyOfRange(bytes.array(), valueStarts[i], valueEnds[i]);
    }

    /** Ready for the next stretch; keeps the buffers. */
    public void clear() {
        Arrays.fill(ids, 0, count, null);
        count = 0;
        bytes.reset();
    }

    public int bytes() {
        return bytes.size();
    }

    // ---- the value layouts -------------------------------------------------------------------

    public static long seqOf(byte[] value) {
        return new ByteReader(value, 0, 8).readLong();
    }

    public StoredResult storedResult(int i) {
        return decodeResult(bytes.array(), valueStarts[i], valueEnds[i] - valueStarts[i]);
    }

    public HoldView hold(int i) {
        return decodeHold(ids[i], bytes.array(), valueStarts[i], valueEnds[i] - valueStarts[i]);
    }

    public static StoredResult decodeResult(byte[] value, int offset, int length) {
        ByteReader in = new ByteReader(value, offset, length);
        in.readLong();
        byte[] fingerprint = in.readBytes(in.readInt());
        Result result = ResultCodec.read(in);
        return new StoredResult(fingerprint, result);
    }

    public static HoldView decodeHold(String holdId, byte[] value, int offset, int length) {
        ByteReader in = new ByteReader(value, offset, length);
        in.readLong();
        String account = in.readString();
        String asset = in.readString();
        Int128 amount = in.readInt128();
        Int128 remaining = in.readInt128();
        long expiresAt = in.readLong();
        return new HoldView(holdId, account, asset, amount, remaining, expiresAt, HoldState.values()[in.readByte()]);
    }

    public static String key(byte[] key) {
        return new String(key, StandardCharsets.UTF_8);
    }
}
