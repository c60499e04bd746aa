package jango.kafka;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.ResultCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes on the two topics. A command record carries who waits for its answer (an instance id
 * and a correlation number; empty for entries nobody waits for: a shard's ticks, cross-shard
 * credits, asset registrations), the time the producer stamped on it (epoch microseconds: time
 * reaches the engine only through the log, so a replay of the topic gives the same state), and the
 * command's canonical encoding, which is also its fingerprint. An event record carries the same
 * reply-to, the outcome, and the result in {@link ResultCodec}'s encoding.
 * <p>
 * A callers' batch sends its commands for one shard as one record, a {@link Pack}: one reply-to and
 * one time, then each command with its own correlation. The broker, the producer's sender and the
 * writer's poll pay per record, so this divides their cost by the batch's size on the shard. A record
 * is applied whole in one commit, so the store's position stays an offset of the partition.
 */
public final class Wire {
    private static final int VERSION = 2;
    /** Records of the first version carry no time: the broker's timestamp (milliseconds) stands in. */
    private static final int VERSION_WITHOUT_TIME = 1;
    /** A {@link Pack}: several commands from one instance's callers, stamped once. */
    private static final int VERSION_PACK = 3;
    /** Most commands one pack holds: a count above it is a corrupt record, not an allocation. */
    private static final int MAX_PACK = 1 << 20;

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

    /**
     * The commands of one shard from one callers' batch, or the protocol records one shard's commit
     * sends another (reply-to empty, correlations 0), as one record on the shard's partition:
     * {@code 3, replyTo, atMicros, count, count x (correlation, length, command)}.
     */
    public static final class Pack {
        /**
         * Bytes a pack is closed at: a record stays well under the producer's and the broker's 1 MiB
         * default for a request and a message (a command's encoding may be longer than its JSON), and
         * at about 1,000 commands a record what is paid per record is already spread thin.
         */
        public static final int MAX_BYTES = 128 * 1024;

        private final ByteWriter out = new ByteWriter(512);
        private final int countAt;
        private int count;

        public Pack(String replyTo, long atMicros) {
            out.writeByte(VERSION_PACK);
            out.writeString(replyTo);
            out.writeLong(atMicros);
            countAt = out.size();
            out.writeInt(0);
        }

        public void add(long correlation, Command command) {
            out.writeLong(correlation);
            int lengthAt = out.size();
            out.writeInt(0);
            CommandCodec.encode(command, out);
            out.putInt(lengthAt, out.size() - lengthAt - 4);
            count++;
        }

        /** Whether the record reached {@link #MAX_BYTES}: it goes as it is, and a new one takes what follows. */
        public boolean full() {
            return out.size() >= MAX_BYTES;
        }

        /** Stamps the record with another time than the one it was made with. */
        public void stamp(long atMicros) {
            out.putLong(countAt - 8, atMicros);
        }

        public byte[] toByteArray() {
            out.putInt(countAt, count);
            return out.toByteArray();
        }
    }

    /**
     * The entries of a command record, in order: the one command of a record of the first two
     * versions, or every command of a {@link Pack}.
     *
     * @param brokerTimestampMs the record's timestamp, used for records of the first version
     */
    public static List<CommandRecord> readCommands(byte[] value, long brokerTimestampMs) {
        if (value.length > 0 && value[0] == VERSION_PACK) {
            return readPack(value);
        }
        return List.of(readCommand(value, brokerTimestampMs));
    }

    private static List<CommandRecord> readPack(byte[] value) {
        ByteReader in = new ByteReader(value);
        in.readByte();
        String replyTo = in.readString();
        long atMicros = in.readLong();
        int count = in.readInt();
        if (count < 1 || count > MAX_PACK) {
            throw new IllegalArgumentException("a pack of " + count + " commands (expected: 1.." + MAX_PACK + ")");
        }
        List<CommandRecord> entries = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            long correlation = in.readLong();
            int length = in.readInt();
            int offset = in.position();
            in.skip(length);
            Command command = CommandCodec.decode(new ByteReader(value, offset, length));
            entries.add(new CommandRecord(replyTo, correlation, atMicros, value, offset, length, command));
        }
        requireEnd(in, count);
        return entries;
    }

    /**
     * A record of one command (the first two versions; a pack is read by {@link #readCommands}).
     *
     * @param brokerTimestampMs the record's timestamp, used for records of the first version
     */
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
        writeEvent(out, correlation, outcome);
        return out.toByteArray();
    }

    /**
     * The answers of one shard's batch for the callers waiting on one instance, as one record:
     * {@code 3, replyTo, count, count x event}. The outbox row, the relay's read and send, and every
     * instance's read of the events topic are paid once for them.
     */
    public static final class EventPack {
        /** Bytes a pack is closed at, well under the broker's 1 MiB default for a message (a batch's answers may be more). */
        public static final int MAX_BYTES = 256 * 1024;

        private final ByteWriter out = new ByteWriter(1024);
        private final String replyTo;
        private final int countAt;
        private int count;

        public EventPack(String replyTo) {
            this.replyTo = replyTo;
            out.writeByte(VERSION_PACK);
            out.writeString(replyTo);
            countAt = out.size();
            out.writeInt(0);
        }

        public void add(long correlation, Outcome outcome) {
            writeEvent(out, correlation, outcome);
            count++;
        }

        public String replyTo() {
            return replyTo;
        }

        public boolean full() {
            return out.size() >= MAX_BYTES;
        }

        public byte[] toByteArray() {
            out.putInt(countAt, count);
            return out.toByteArray();
        }
    }

    private static void writeEvent(ByteWriter out, long correlation, Outcome outcome) {
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
    }

    /** Only the reply-to, so an instance skips others' events without decoding them. */
    public static String replyTo(byte[] value) {
        ByteReader in = new ByteReader(value);
        int version = in.readByte();
        if (version != VERSION_PACK) {
            requireVersion(version);
        }
        return in.readString();
    }

    /** The one event of a record of one answer. */
    public static Event readEvent(byte[] value) {
        ByteReader in = new ByteReader(value);
        requireVersion(in.readByte());
        Event event = readEvent(in, in.readString());
        requireEnd(in, 1);
        return event;
    }

    /** The events of a record: its one event, or every event of an {@link EventPack}. */
    public static List<Event> readEvents(byte[] value) {
        if (value.length == 0 || value[0] != VERSION_PACK) {
            return List.of(readEvent(value));
        }
        ByteReader in = new ByteReader(value);
        in.readByte();
        String replyTo = in.readString();
        int count = in.readInt();
        if (count < 1 || count > MAX_PACK) {
            throw new IllegalArgumentException("a pack of " + count + " answers (expected: 1.." + MAX_PACK + ")");
        }
        List<Event> events = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            events.add(readEvent(in, replyTo));
        }
        requireEnd(in, count);
        return events;
    }

    private static Event readEvent(ByteReader in, String replyTo) {
        long correlation = in.readLong();
        Outcome.Kind kind = Outcome.Kind.values()[in.readByte()];
        String message = in.readString();
        int scale = in.readInt();
        int length = in.readInt();
        Result result = length < 0 ? null : ResultCodec.decode(in.readBytes(length));
        return new Event(replyTo, correlation, new Outcome(kind, result, message, scale));
    }

    private static void requireEnd(ByteReader in, int count) {
        if (in.remaining() != 0) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the record's " + count + (count == 1 ? " entry" : " entries"));
        }
    }

    private static void requireVersion(int version) {
        if (version != VERSION && version != VERSION_WITHOUT_TIME) {
            throw new IllegalArgumentException("record version " + version + " (expected: " + VERSION + ")");
        }
    }
}
