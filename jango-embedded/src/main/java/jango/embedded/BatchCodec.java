package jango.embedded;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;

import java.util.List;

/**
 * The payload of one journal record: the sequencer's timestamp and the batch's commands in order.
 * Each command's bytes in the payload are exactly its canonical encoding, which is also its
 * idempotency fingerprint: the writer and the replay hand the engine slices of the payload instead
 * of encoding every command again.
 */
final class BatchCodec {
    static final int FIRST_COMMAND_OFFSET = Long.BYTES + Integer.BYTES;

    /** A decoded record: the time, the commands, and where each command's bytes end in the payload. */
    record Batch(long atMicros, Command[] commands, int[] ends, int firstCommandAt) {
        int start(int i) {
            return i == 0 ? firstCommandAt : ends[i - 1];
        }
    }

    private BatchCodec() {
    }

    /**
     * Encodes the batch; {@code ends[i]} receives where command {@code i}'s bytes end (they start
     * where the previous one's end, the first at {@link #FIRST_COMMAND_OFFSET}).
     */
    static void encode(long atMicros, List<Command> commands, ByteWriter out, int[] ends) {
        begin(atMicros, out);
        for (int i = 0; i < commands.size(); i++) {
            add(commands.get(i), out, ends, i);
        }
        finish(out, commands.size());
    }

    /** Starts a batch encoded a command at a time ({@link #add}), its count set by {@link #finish}. */
    static void begin(long atMicros, ByteWriter out) {
        out.writeLong(atMicros);
        out.writeInt(0);
    }

    /** Encodes command number {@code index} of the batch; its end goes to {@code ends[index]}. */
    static void add(Command command, ByteWriter out, int[] ends, int index) {
        CommandCodec.encode(command, out);
        ends[index] = out.size();
    }

    static void finish(ByteWriter out, int count) {
        out.putInt(Long.BYTES, count);
    }

    /** @throws IllegalArgumentException when the payload is not a batch of {@code expectedCount} commands */
    static Batch decode(byte[] payload, int offset, int length, int expectedCount) {
        ByteReader in = new ByteReader(payload, offset, length);
        long atMicros = in.readLong();
        int count = in.readInt();
        if (count != expectedCount) {
            throw new IllegalArgumentException("batch holds " + count + " commands, record header says " + expectedCount);
        }
        Command[] commands = new Command[count];
        int[] ends = new int[count];
        for (int i = 0; i < count; i++) {
            commands[i] = CommandCodec.decode(in);
            ends[i] = offset + length - in.remaining();
        }
        if (in.remaining() != 0) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the last command");
        }
        return new Batch(atMicros, commands, ends, offset + FIRST_COMMAND_OFFSET);
    }
}
