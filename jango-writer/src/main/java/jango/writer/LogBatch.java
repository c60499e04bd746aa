package jango.writer;

import jango.engine.Command;

import java.util.Arrays;

/**
 * Entries of a shard's log that are durable and not yet applied, in log order: each command with
 * the time the log stamped on it and its canonical encoding (a slice of the log record, which is
 * also its idempotency fingerprint). Filled by a {@link CommandLog} and reused batch after batch.
 */
public final class LogBatch {
    private int size;
    private Command[] commands = new Command[64];
    private long[] atMicros = new long[64];
    private byte[][] bytes = new byte[64][];
    private int[] offsets = new int[64];
    private int[] lengths = new int[64];
    /** The seq the log gave the first entry, or -1 where the log does not number entries (Kafka: the engine does). */
    private long firstSeq = -1;
    /** Where the log stands after this batch (embedded: the last seq; distributed: the next offset). */
    private long endPosition;
    /** Time spent making the batch durable (the journal's append and fsync), for metrics. */
    private long appendNanos;
    private int appendedBytes;

    public void clear() {
        Arrays.fill(commands, 0, size, null);
        Arrays.fill(bytes, 0, size, null);
        size = 0;
        firstSeq = -1;
        appendNanos = 0;
        appendedBytes = 0;
    }

    /** Adds an entry; {@code encoded[offset, offset + length)} is the command's canonical encoding. */
    public void add(Command command, long entryAtMicros, byte[] encoded, int offset, int length) {
        if (size == commands.length) {
            int capacity = size * 2;
            commands = Arrays.copyOf(commands, capacity);
            atMicros = Arrays.copyOf(atMicros, capacity);
            bytes = Arrays.copyOf(bytes, capacity);
            offsets = Arrays.copyOf(offsets, capacity);
            lengths = Arrays.copyOf(lengths, capacity);
        }
        commands[size] = command;
        atMicros[size] = entryAtMicros;
        bytes[size] = encoded;
        offsets[size] = offset;
        lengths[size] = length;
        size++;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public Command command(int i) {
        return commands[i];
    }

    /** The entries' commands at {@code [0, size())}, for {@link jango.engine.Engine#lookAhead}; not to be changed. */
    public Command[] commands() {
        return commands;
    }

    public long atMicros(int i) {
        return atMicros[i];
    }

    public byte[] bytes(int i) {
        return bytes[i];
    }

    public int offset(int i) {
        return offsets[i];
    }

    public int length(int i) {
        return lengths[i];
    }

    public long firstSeq() {
        return firstSeq;
    }

    public void firstSeq(long seq) {
        this.firstSeq = seq;
    }

    public long endPosition() {
        return endPosition;
    }

    public void endPosition(long position) {
        this.endPosition = position;
    }

    public long appendNanos() {
        return appendNanos;
    }

    public int appendedBytes() {
        return appendedBytes;
    }

    public void appended(long nanos, int byteCount) {
        this.appendNanos = nanos;
        this.appendedBytes = byteCount;
    }
}
