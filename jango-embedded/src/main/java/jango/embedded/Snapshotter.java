package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.engine.Engine;
import jango.engine.InvariantViolation;
import jango.engine.SnapshotCodec;
import jango.engine.port.StateSummary;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshots, and computes state summaries, from copies of the engine's state
 * ({@link Engine#copy()}: flat arrays, taken by the writer between batches in milliseconds), on its
 * own thread: writing a large snapshot takes seconds, and that never pauses the writer. There is no
 * second engine applying every batch. A copy offered while the previous snapshot is still being
 * written is dropped: the next one comes a snapshot interval later, and the journal holds
 * everything meanwhile.
 */
final class Snapshotter {
    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);
    /** How long a snapshot waits for the index to reach its seq (recovery needs it there). */
    static final long INDEX_WAIT_MS = 60_000;

    private sealed interface Work permits Snapshot, Summary {
    }

    private record Snapshot(Engine copy) implements Work {
    }

    private record Summary(Engine copy, CompletableFuture<StateSummary> result) implements Work {
    }

    private final Snapshots snapshots;
    private final LedgerIndex index;
    private final LongConsumer awaitIndexed;
    private final BlockingQueue<Work> queue = new ArrayBlockingQueue<>(4);
    /** A snapshot is queued or being written (see {@link #busy}). */
    private final java.util.concurrent.atomic.AtomicBoolean snapshotting = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread thread;
    private volatile boolean stopping;
    /** The id filter's false positives per million, measured at start and on each snapshot's copy (metrics). */
    private volatile long idFilterFalsePositives;

    /** @param awaitIndexed waits (bounded) until the index holds a seq, or throws */
    Snapshotter(Snapshots snapshots, LedgerIndex index, LongConsumer awaitIndexed) {
        this.snapshots = snapshots;
        this.index = index;
        this.awaitIndexed = awaitIndexed;
        this.thread = new Thread(this::run, "jango-snapshotter");
    }

    void start() {
        thread.start();
    }

    /**
     * Whether a snapshot is queued or being written. The writer asks before it copies the engine: a
     * copy holds the id filter and every table, so at most one may wait here, whatever the rate.
     */
    boolean busy() {
        return snapshotting.get();
    }

    /** A copy to write as a snapshot; dropped (false) when a snapshot is still queued or being written. */
    boolean offer(Engine copy) {
        if (!snapshotting.compareAndSet(false, true)) {
            log.info("event=snapshot_skipped seq={} reason=busy", copy.lastSeq());
            return false;
        }
        if (!queue.offer(new Snapshot(copy))) {
            snapshotting.set(false);
            log.info("event=snapshot_skipped seq={} reason=busy", copy.lastSeq());
            return false;
        }
        return true;
    }

    /** The id filter's false positives per million as last measured. */
    long idFilterFalsePositives() {
        return idFilterFalsePositives;
    }

    void idFilterMeasured(long perMillion) {
        idFilterFalsePositives = perMillion;
    }

    /** The state hash and the full invariant check of a copy, off the writer. */
    CompletableFuture<StateSummary> summary(Engine copy) {
        CompletableFuture<StateSummary> result = new CompletableFuture<>();
        if (!thread.isAlive() || !queue.offer(new Summary(copy, result))) {
            result.complete(summarize(copy)); // busy or stopped: on the caller's thread, which is not the writer
        }
        return result;
    }

    void stop(long timeoutMs) {
        stopping = true;
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (true) {
                Work work = queue.poll(100, TimeUnit.MILLISECONDS);
                if (work == null) {
                    if (stopping) {
                        return;
                    }
                    continue;
                }
                switch (work) {
                    case Snapshot snapshot -> {
                        try {
                            if (!stopping) {
                                write(snapshot.copy());
                            }
                        } finally {
                            snapshotting.set(false);
                        }
                    }
                    case Summary summary -> summary.result().complete(summarize(summary.copy()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Work left;
            while ((left = queue.poll()) != null) {
                if (left instanceof Summary summary) {
                    summary.result().complete(summarize(summary.copy()));
                }
            }
        }
    }

    static StateSummary summarize(Engine copy) {
        String violation = null;
        try {
            copy.checkInvariants();
        } catch (InvariantViolation e) {
            violation = e.getMessage();
        }
        return new StateSummary(copy.lastSeq(), SnapshotCodec.stateHash(copy), violation);
    }

    private void write(Engine copy) {
        long seq = copy.lastSeq();
        try {
            // Recovery uses only snapshots the index has reached (see Recovery).
            awaitIndexed.accept(seq);
            index.sync();
            long started = System.nanoTime();
            snapshots.write(copy);
            long millis = (System.nanoTime() - started) / 1_000_000;
            idFilterFalsePositives = copy.view().idFilterFalsePositivesPerMillion();
            log.info("event=snapshot_done seq={} millis={} id_filter_false_positives={}", seq, millis,
                    Recovery.percent(idFilterFalsePositives));
        } catch (IOException | RuntimeException e) {
            // The journal holds everything; a missed snapshot only lengthens the next recovery.
            log.warn("event=snapshot_failed seq={} error=\"{}\"", seq, e.toString());
        }
    }
}
