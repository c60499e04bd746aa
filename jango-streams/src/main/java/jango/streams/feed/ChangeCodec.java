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
        change.write(out);
        return out.toByteArray();
    }

    static BalanceChange decode(byte[] bytes) {
        ByteReader in = new ByteReader(bytes);
        int format = in.readByte();
        if (format != FORMAT) {
            throw new IllegalStateException("feed record format " + format + " (expected: " + FORMAT + ")");
        }
        return BalanceChange.read(in);
    }
}
