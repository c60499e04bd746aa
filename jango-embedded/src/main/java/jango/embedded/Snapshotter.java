package jango.embedded;

import jango.embedded.history.HistoryIndex;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.InvariantViolation;
import jango.engine.SnapshotCodec;
import jango.engine.port.StateSummary;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshots without pausing the writer. It keeps a shadow engine that applies the same
 * durable batches in the same order; the engine is deterministic, so the shadow's state at seq S
 * is exactly the writer's. Writing a large snapshot takes seconds; here that only delays the
 * shadow, never a client. The queue is bounded in commands: if the shadow falls that far behind,
 * the writer waits for it (backpressure) rather than letting memory grow without end.
 */
final class Snapshotter {
    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);
    /** How long a snapshot waits for the history index to reach its seq (Recovery needs it there). */
    static final long INDEX_WAIT_MS = 60_000;

    private sealed interface Work permits Batch, Summary {
    }

    private record Batch(long firstSeq, long atMicros, List<Command> entries, byte[][] fingerprints) implements Work {
    }

    /** A state summary, taken after every batch queued before it: consistent with what callers saw applied. */
    private record Summary(CompletableFuture<StateSummary> result) implements Work {
    }

    private final Engine shadow;
    private final Snapshots snapshots;
    private final HistoryIndex index;
    private final java.util.function.LongConsumer awaitIndexed;
    private final long everyEntries;
    private final long maxQueuedCommands;
    private final BlockingQueue<Work> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedCommands = new AtomicLong();
    private final Object drained = new Object();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile String failure;
    private long lastSnapshotSeq;

    /** @param awaitIndexed waits (bounded) until the index holds a seq, or throws */
    Snapshotter(Engine shadow, Snapshots snapshots, HistoryIndex index, java.util.function.LongConsumer awaitIndexed,
                long everyEntries, long maxQueuedCommands) {
        this.shadow = shadow;
        this.snapshots = snapshots;
        this.index = index;
        this.awaitIndexed = awaitIndexed;
        this.everyEntries = everyEntries;
        this.maxQueuedCommands = maxQueuedCommands;
        this.lastSnapshotSeq = shadow.lastSeq();
        this.thread = new Thread(this::run, "jango-snapshotter");
    }

    void start() {
        thread.start();
    }

    /**
     * Called by the writer after a batch is durable and applied; {@code entries} and the
     * fingerprints (immutable, shared with the writer's engine) must not change afterwards.
     */
    void offer(long firstSeq, long atMicros, List<Command> entries, byte[][] fingerprints) {
        if (failure != null) {
            return; // the shadow is gone; the journal still holds everything, snapshots just stop
        }
        long queued = queuedCommands.addAndGet(entries.size());
        queue.add(new Batch(firstSeq, atMicros, entries, fingerprints));
        if (queued > maxQueuedCommands) {
            awaitBelow(maxQueuedCommands);
        }
    }

    private void awaitBelow(long limit) {
        synchronized (drained) {
            while (queuedCommands.get() > limit && failure == null && thread.isAlive()) {
                try {
                    drained.wait(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * The state hash and the full invariant check, computed on the shadow engine so the writer
     * never pauses for them (over millions of stored results they take seconds).
     */
    CompletableFuture<StateSummary> summary() {
        CompletableFuture<StateSummary> result = new CompletableFuture<>();
        if (failure != null || !thread.isAlive()) {
            result.completeExceptionally(new IllegalStateException("snapshotter is not running: " + failure));
            return result;
        }
        queue.add(new Summary(result));
        return result;
    }

    /** Applies what is queued, then stops. The caller writes the final snapshot from its own engine. */
    void stop() {
        stopping = true;
        try {
            thread.join(TimeUnit.MINUTES.toMillis(2));
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
                if (work instanceof Summary summary) {
                    summarize(summary.result());
                    continue;
                }
                Batch batch = (Batch) work;
                List<Command> entries = batch.entries();
                for (int i = 0; i < entries.size(); i++) {
                    shadow.apply(batch.firstSeq() + i, batch.atMicros(), entries.get(i), batch.fingerprints()[i], EngineListener.NONE);
                }
                queuedCommands.addAndGet(-entries.size());
                synchronized (drained) {
                    drained.notifyAll();
                }
                if (shadow.lastSeq() - lastSnapshotSeq >= everyEntries && !stopping) {
                    write();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e.toString();
            log.error("event=snapshotter_failed seq={} error=\"{}\"", shadow.lastSeq(), e.toString(), e);
        } finally {
            synchronized (drained) {
                drained.notifyAll();
            }
            Work left;
            while ((left = queue.poll()) != null) {
                if (left instanceof Summary summary) {
                    summary.result().completeExceptionally(new IllegalStateException("snapshotter stopped"));
                }
            }
        }
    }

    private void summarize(CompletableFuture<StateSummary> result) {
        try {
            String violation = null;
            try {
                shadow.checkInvariants();
            } catch (InvariantViolation e) {
                violation = e.getMessage();
            }
            result.complete(new StateSummary(shadow.lastSeq(), SnapshotCodec.stateHash(shadow), violation));
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }

    private void write() {
        long seq = shadow.lastSeq();
        try {
            // Recovery uses only snapshots the history index has reached (see Recovery).
            awaitIndexed.accept(seq);
            index.sync();
            long started = System.nanoTime();
            snapshots.write(shadow);
            log.info("event=snapshot_done seq={} millis={}", seq, (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            // The journal holds everything; a missed snapshot only lengthens the next recovery.
            log.warn("event=snapshot_failed seq={} error=\"{}\"", seq, e.toString());
        }
        lastSnapshotSeq = seq;
    }
}
