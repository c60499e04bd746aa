package jango.embedded;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;

import java.util.ArrayList;
import java.util.List;

/** The payload of one journal record: the sequencer's timestamp and the batch's commands in order. */
final class BatchCodec {
    record Batch(long atMicros, List<Command> commands) {
    }

    private BatchCodec() {
    }

    /**
     * Encodes the batch; {@code ends[i]} receives where command {@code i}'s bytes end (they start
     * where the previous one's end, the first at {@link #FIRST_COMMAND_OFFSET}). Those bytes are
     * the command's fingerprint, so the writer slices them instead of encoding again.
     */
    static void encode(long atMicros, List<Command> commands, ByteWriter out, int[] ends) {
        out.writeLong(atMicros);
        out.writeInt(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            CommandCodec.encode(commands.get(i), out);
            ends[i] = out.size();
        }
    }

    static final int FIRST_COMMAND_OFFSET = Long.BYTES + Integer.BYTES;

    /** @throws IllegalArgumentException when the payload is not a batch of {@code expectedCount} commands */
    static Batch decode(byte[] payload, int offset, int length, int expectedCount) {
        ByteReader in = new ByteReader(payload, offset, length);
        long atMicros = in.readLong();
        int count = in.readInt();
        if (count != expectedCount) {
            throw new IllegalArgumentException("batch holds " + count + " commands, record header says " + expectedCount);
        }
        List<Command> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            commands.add(CommandCodec.decode(in));
        }
        if (in.remaining() != 0) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the last command");
        }
        return new Batch(atMicros, commands);
    }
}
