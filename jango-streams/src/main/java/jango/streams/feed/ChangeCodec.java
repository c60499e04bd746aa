package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.ByteReader;
import jango.engine.ByteWriter;

/** The stored form of one balance change: compact binary, amounts as exact 128-bit minor units. */
final class ChangeCodec {
    private static final int FORMAT = 1;

    private ChangeCodec() {
    }

    static byte[] encode(BalanceChange change, ByteWriter out) {
        out.reset();
        out.writeByte(FORMAT);
        out.writeLong(change.seq());
        out.writeLong(change.atMicros());
        out.writeString(change.commandId());
        out.writeString(change.type());
        out.writeString(change.account());
        out.writeString(change.asset());
        out.writeInt128(change.available());
        out.writeInt128(change.held());
        out.writeInt128(change.availableDelta());
        out.writeInt128(change.heldDelta());
        out.writeLong(change.revision());
        return out.toByteArray();
    }

    static BalanceChange decode(byte[] bytes) {
        ByteReader in = new ByteReader(bytes);
        int format = in.readByte();
        if (format != FORMAT) {
            throw new IllegalStateException("feed record format " + format + " (expected: " + FORMAT + ")");
        }
        long seq = in.readLong();
        long atMicros = in.readLong();
        String commandId = in.readString();
        return new BalanceChange(seq, atMicros, commandId, in.readString(), in.readString(), in.readString(),
                in.readInt128(), in.readInt128(), in.readInt128(), in.readInt128(), in.readLong());
    }
}
