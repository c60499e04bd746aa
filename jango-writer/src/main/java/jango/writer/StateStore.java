package jango.writer;

import jango.engine.Applied;
import jango.engine.Engine;

import java.io.IOException;

/**
 * Where a shard's applied state goes. Embedded mode: the read models and the index of history,
 * stored results and closed holds on local disk (the journal already made the batch durable).
 * Distributed mode: PostgreSQL, in one transaction per batch together with the log offset (the
 * commit is what makes the batch's effects durable). The store also makes the engine, with the
 * {@link jango.engine.Archive} that holds its results.
 */
public interface StateStore {

    /**
     * The shard's engine as committed, the log position after it, and the halt the store holds for
     * the shard ({@code haltedReason}, null when none): a shard an earlier owner halted stays halted
     * here too, until an operator resumes it.
     */
    record Loaded(Engine engine, long position, String haltedReason) {
        public Loaded(Engine engine, long position) {
            this(engine, position, null);
        }
    }

    /**
     * The state as last committed (start-up, or after a failed commit left the engine ahead).
     *
     * @throws UnsupportedOperationException when the store cannot reload a running shard (then a
     *                                       failed commit halts it)
     */
    Loaded load() throws IOException;

    /** Entry applied; {@code applied} is valid during this call only. */
    void applied(Applied applied);

    /**
     * Makes the batch's effects durable or visible; the log reached {@code batch.endPosition()}.
     *
     * @throws IOException when it failed: the engine is ahead of the store and is reloaded
     */
    void commit(LogBatch batch) throws IOException;

    /**
     * Another writer owns the shard now (its epoch moved on): this one must stop writing it at
     * once. Thrown by {@link #load} and {@link #commit}; not a failure to retry.
     */
    final class LostOwnership extends RuntimeException {
        public LostOwnership(String message) {
            super(message);
        }
    }

    /**
     * The store failed in a way no retry can mend (a bug in its statements or schema, not an
     * outage): the shard halts at once, saying so, instead of spending its retries.
     */
    final class Defect extends RuntimeException {
        public Defect(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Records a halt where operators and other instances see it (no-op where the process is the only one). */
    default void halted(String reason) {
    }
}
