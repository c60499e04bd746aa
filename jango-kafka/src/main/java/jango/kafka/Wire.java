package jango.kafka;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.ResultCodec;

/**
 * The bytes on the two topics. A command record carries who waits for its answer (an instance id
 * and a correlation number; empty for entries nobody waits for: a shard's ticks, cross-shard
 * credits, asset registrations), the time the producer stamped on it (epoch microseconds: time
 * reaches the engine only through the log, so a replay of the topic gives the same state), and the
 * command's canonical encoding, which is also its fingerprint. An event record carries the same
 * reply-to, the outcome, and the result in {@link ResultCodec}'s encoding.
 */
public final class Wire {
    private static final int VERSION = 2;
    /** Records of the first version carry no time: the broker's timestamp (milliseconds) stands in. */
    private static final int VERSION_WITHOUT_TIME = 1;

    private Wire() {
    }

    /**
     * A command record as read: {@code value[offset, offset + length)} is the command's encoding
     * (the engine's fingerprint is a slice of the record, not a copy).
     */
    public record CommandRecord(String replyTo, long correlation, long atMicros, byte[] value, int offset, int length,
                                Command command) {
    }

    public record Event(String replyTo, long correlation, Outcome outcome) {
    }

    public static byte[] command(String replyTo, long correlation, long atMicros, Command command) {
        ByteWriter out = new ByteWriter(128);
        out.writeByte(VERSION);
        out.writeString(replyTo);
        out.writeLong(correlation);
        out.writeLong(atMicros);
        int lengthAt = out.size();
        out.writeInt(0);
        CommandCodec.encode(command, out);
        out.putInt(lengthAt, out.size() - lengthAt - 4);
        return out.toByteArray();
    }

    /** @param brokerTimestampMs the record's timestamp, used for records of the first version */
    public static CommandRecord readCommand(byte[] value, long brokerTimestampMs) {
        ByteReader in = new ByteReader(value);
        int version = in.readByte();
        if (version != VERSION && version != VERSION_WITHOUT_TIME) {
            throw new IllegalArgumentException("record version " + version + " (expected: " + VERSION + ")");
        }
        String replyTo = in.readString();
        long correlation = in.readLong();
        long atMicros = version == VERSION ? in.readLong() : brokerTimestampMs * 1_000;
        int length = in.readInt();
        int offset = value.length - in.remaining();
        if (length < 0 || length != in.remaining()) {
            throw new IllegalArgumentException("command of " + length + " bytes in a record with " + in.remaining() + " left");
        }
        Command command = CommandCodec.decode(new ByteReader(value, offset, length));
        return new CommandRecord(replyTo, correlation, atMicros, value, offset, length, command);
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
            int lengthAt = out.size();
            out.writeInt(0);
            ResultCodec.write(outcome.result(), out);
            out.putInt(lengthAt, out.size() - lengthAt - 4);
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
        Result result = length < 0 ? null : ResultCodec.decode(in.readBytes(length));
        return new Event(replyTo, correlation, new Outcome(kind, result, message, scale));
    }

    private static void requireVersion(int version) {
        if (version != VERSION && version != VERSION_WITHOUT_TIME) {
            throw new IllegalArgumentException("record version " + version + " (expected: " + VERSION + ")");
        }
    }
}
