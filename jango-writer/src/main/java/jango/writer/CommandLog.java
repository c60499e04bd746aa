package jango.writer;

import jango.engine.Applied;

import java.io.IOException;

/**
 * A shard's log as its writer sees it. Embedded mode: the sequencer drains waiting submissions,
 * stamps them and appends them to the journal with one fsync. Distributed mode: the records of the
 * shard's Kafka partition, already durable in the broker. Either way {@link #next} hands over only
 * durable entries, in the one order every replay will see.
 */
public interface CommandLog {

    /** The log holds something it cannot hand over (a gap, an unreadable record): the shard halts, nothing is skipped. */
    final class Corrupt extends RuntimeException {
        public Corrupt(String message) {
            super(message);
        }
    }

    /**
     * The next durable entries into {@code batch} (cleared first), waiting at most
     * {@code timeoutMs}; empty when nothing came.
     *
     * @throws IOException when the entries could not be made durable (or what applying them needs
     *                     could not be read): nothing of them is applied, and the next call offers
     *                     the same entries again
     * @throws Corrupt     when the log cannot go on: the shard halts
     */
    void next(LogBatch batch, long timeoutMs) throws IOException, InterruptedException;

    /** Entry {@code index} of the batch was applied; {@code applied} is valid during this call only. */
    void applied(LogBatch batch, int index, Applied applied);

    /**
     * Every entry of the batch was applied, and it is not committed yet: what the log sends with the
     * commit (what it gathered over the entries) goes to the store now.
     */
    default void batchApplied(LogBatch batch) {
    }

    /** The batch is applied and committed: answer whoever waits for its entries. */
    void answer(LogBatch batch);

    /** Makes a tick at this time (hold expiries) an entry of the log; asking again before it is read is harmless. */
    void tick(long atMicros);

    /** Back to {@code position} (the store was reloaded there after a failed commit): entries after it come again. */
    void rewind(long position);

    /** The shard halted: whoever waits, and whoever submits from now on, is told why (and that nothing of theirs was applied). */
    void halted(String reason);

    /** Commands are waiting to be applied; a writer that makes no progress while this holds is stalled. */
    boolean hasWaitingWork();
}
