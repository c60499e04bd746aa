package jango.kafka;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.SnapshotCodec;

/**
 * The bytes on the two topics. A command record carries who waits for its answer (an instance id
 * and a correlation number; empty for a shard's own cross-shard credits) and the command's
 * canonical encoding, which is also its fingerprint. An event record carries the same reply-to,
 * the outcome, and the result in the store's encoding.
 */
public final class Wire {
    private static final int VERSION = 1;

    private Wire() {
    }

    public record CommandRecord(String replyTo, long correlation, byte[] encoded, Command command) {
    }

    public record Event(String replyTo, long correlation, Outcome outcome) {
    }

    public static byte[] command(String replyTo, long correlation, Command command) {
        ByteWriter out = new ByteWriter(128);
        out.writeByte(VERSION);
        out.writeString(replyTo);
        out.writeLong(correlation);
        byte[] encoded = CommandCodec.encode(command);
        out.writeInt(encoded.length);
        out.writeBytes(encoded, 0, encoded.length);
        return out.toByteArray();
    }

    public static CommandRecord readCommand(byte[] value) {
        ByteReader in = new ByteReader(value);
        requireVersion(in.readByte());
        String replyTo = in.readString();
        long correlation = in.readLong();
        byte[] encoded = in.readBytes(in.readInt());
        return new CommandRecord(replyTo, correlation, encoded, CommandCodec.decode(new ByteReader(encoded)));
    }

    public static byte[] event(String replyTo, long correlation, Outcome outcome) {
        ByteWriter out = new ByteWriter(256);
        out.writeByte(VERSION);
        out.writeString(replyTo);
        out.writeLong(correlation);
        out.writeByte(outcome.kind().ordinal());
        out.writeString(outcome.message());
        out.writeInt(outcome.assetScale());
        if (outcome.result() == null) {
            out.writeInt(-1);
        } else {
            byte[] result = SnapshotCodec.encodeResult(outcome.result());
            out.writeInt(result.length);
            out.writeBytes(result, 0, result.length);
        }
        return out.toByteArray();
    }

    /** Only the reply-to, so an instance skips others' events without decoding them. */
    public static String replyTo(byte[] value) {
        ByteReader in = new ByteReader(value);
        requireVersion(in.readByte());
        return in.readString();
    }

    public static Event readEvent(byte[] value) {
        ByteReader in = new ByteReader(value);
        requireVersion(in.readByte());
        String replyTo = in.readString();
        long correlation = in.readLong();
        Outcome.Kind kind = Outcome.Kind.values()[in.readByte()];
        String message = in.readString();
        int scale = in.readInt();
        int length = in.readInt();
        Result result = length < 0 ? null : SnapshotCodec.decodeResult(in.readBytes(length));
        return new Event(replyTo, correlation, new Outcome(kind, result, message, scale));
    }

    private static void requireVersion(int version) {
        if (version != VERSION) {
            throw new IllegalArgumentException("record version " + version + " (expected: " + VERSION + ")");
        }
    }
}
