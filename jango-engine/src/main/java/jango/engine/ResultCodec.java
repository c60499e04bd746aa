package jango.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A stored result as bytes: how the archives keep results (RocksDB, PostgreSQL) and how distributed
 * mode ships them. {@link #write(Applied, ByteWriter)} encodes a result straight from the engine's
 * output, with no object per result; {@link #write(Result, ByteWriter)} gives the same bytes from a
 * {@link Result}.
 *
 * <p>Layout: id, status, reason (-1 if none), message, seq, atMicros, a count of balances and for
 * each: account, asset, available, held, revision. Strings are an int length and UTF-8 bytes.
 */
public final class ResultCodec {
    private ResultCodec() {
    }

    /** The result of the client command {@code applied} made now (kind NEW). */
    public static void write(Applied applied, ByteWriter out) {
        out.writeName(applied.commandId());
        out.writeByte(applied.status().ordinal());
        out.writeByte(applied.reason() == null ? -1 : applied.reason().ordinal());
        out.writeString(applied.message());
        out.writeLong(applied.seq());
        out.writeLong(applied.atMicros());
        boolean listed = applied.status() == Status.APPLIED;
        int count = listed ? applied.balanceCount() : 0;
        out.writeShort(count);
        for (int i = 0; i < count; i++) {
            out.writeName(applied.owner(i));
            out.writeName(applied.asset(i));
            out.writeLong(applied.availableHi(i));
            out.writeLong(applied.availableLo(i));
            out.writeLong(applied.heldHi(i));
            out.writeLong(applied.heldLo(i));
            out.writeLong(applied.revision(i));
        }
    }

    public static void write(Result result, ByteWriter out) {
        out.writeString(result.id());
        out.writeByte(result.status().ordinal());
        out.writeByte(result.reason() == null ? -1 : result.reason().ordinal());
        out.writeString(result.message());
        out.writeLong(result.seq());
        out.writeLong(result.atMicros());
        out.writeShort(result.balances().size());
        for (BalanceView balance : result.balances()) {
            out.writeString(balance.account());
            out.writeString(balance.asset());
            out.writeInt128(balance.available());
            out.writeInt128(balance.held());
            out.writeLong(balance.revision());
        }
    }

    public static byte[] encode(Result result) {
        ByteWriter out = new ByteWriter(128);
        write(result, out);
        return out.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not an encoded result */
    public static Result read(ByteReader in) {
        String id = in.readString();
        int statusOrdinal = in.readByte();
        int reasonOrdinal = (byte) in.readByte();
        if (statusOrdinal >= Status.values().length || reasonOrdinal >= Reason.values().length) {
            throw new IllegalArgumentException("not an encoded result: status " + statusOrdinal + ", reason " + reasonOrdinal);
        }
        Status status = Status.values()[statusOrdinal];
        Reason reason = reasonOrdinal < 0 ? null : Reason.values()[reasonOrdinal];
        String message = in.readString();
        long seq = in.readLong();
        long at = in.readLong();
        int count = in.readShort();
        List<BalanceView> balances = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            balances.add(new BalanceView(in.readString(), in.readString(), in.readInt128(), in.readInt128(), in.readLong()));
        }
        return new Result(id, status, reason, message, seq, at, balances);
    }

    public static Result decode(byte[] encoded) {
        return decode(encoded, 0, encoded.length);
    }

    public static Result decode(byte[] encoded, int offset, int length) {
        ByteReader in = new ByteReader(encoded, offset, length);
        Result result = read(in);
        if (in.remaining() != 0) {
            throw new IllegalArgumentException("not an encoded result: " + in.remaining() + " bytes after it");
        }
        return result;
    }
}
