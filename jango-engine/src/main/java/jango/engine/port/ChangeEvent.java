package jango.engine.port;

import jango.engine.BalanceChange;
import jango.engine.ByteReader;
import jango.engine.ByteWriter;

/**
 * One applied balance change as distributed mode publishes it on the change-events topic
 * ({@code <prefix>.changes}, partition = the shard, key = the owner): everything a
 * {@link BalanceChange} carries, plus where it comes from. The shard matters for system owners
 * ({@code @fees}, {@code @clearing}...), which have an account, and so a revision, on every shard:
 * a projection keys a change by (account, asset) for users and by (shard, account, asset) for
 * system owners, and applies it only when its revision is newer than what it holds.
 *
 * @param shard the shard whose log entry made the change (its seq counts that shard's entries)
 * @param index the change's place among the changes of its log entry (0-based), stable across
 *              re-publishing, so {@code (shard, seq, index)} names one change everywhere
 * @param count how many changes the entry made: a reader that has {@code index == count - 1}
 *              holds the whole entry and may cut its position after it
 * @param scale the asset's scale, so a consumer renders exact decimals without asking the ledger
 */
public record ChangeEvent(int shard, int index, int count, int scale, BalanceChange change) {
    private static final int FORMAT = 1;

    public ChangeEvent {
        if (shard < 0 || index < 0 || count < 1 || index >= count || scale < 0 || scale > 18) {
            throw new IllegalArgumentException("shard " + shard + ", index " + index + " of " + count + ", scale " + scale
                    + " (expected: shard >= 0, 0 <= index < count, scale 0..18)");
        }
    }

    /** Appends the event's encoding to {@code out}. */
    public void write(ByteWriter out) {
        out.writeByte(FORMAT);
        out.writeInt(shard);
        out.writeInt(index);
        out.writeInt(count);
        out.writeByte(scale);
        change.write(out);
    }

    public byte[] encode() {
        ByteWriter out = new ByteWriter(160);
        write(out);
        return out.toByteArray();
    }

    /** @throws IllegalArgumentException for bytes that are not one change event */
    public static ChangeEvent decode(byte[] bytes, int offset, int length) {
        ByteReader in = new ByteReader(bytes, offset, length);
        int format = in.readByte();
        if (format != FORMAT) {
            throw new IllegalArgumentException("change event format " + format + " (expected: " + FORMAT + ")");
        }
        int shard = in.readInt();
        int index = in.readInt();
        int count = in.readInt();
        int scale = in.readByte();
        BalanceChange change = BalanceChange.read(in);
        if (in.remaining() != 0) {
            throw new IllegalArgumentException("change event with " + in.remaining() + " bytes left over");
        }
        return new ChangeEvent(shard, index, count, scale, change);
    }

    public static ChangeEvent decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }
}
