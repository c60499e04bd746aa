package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.engine.BalanceChange;
import jango.engine.port.ChangeSubscriber;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.LedgerUnavailableException.Code;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the writer applied into the {@link LedgerIndex} on its own thread, after the callers
 * were answered: history, stored results, closed holds. Several small chunks become one write.
 * Then it tells whoever waits for the index to reach a seq (history reads, snapshots) and the
 * change subscribers. The queue is bounded: a writer that outruns the index waits for it.
 */
final class Projector {
    private static final Logger log = LoggerFactory.getLogger(Projector.class);
    private static final int QUEUE_CHUNKS = 32;
    /**
     * Log entries handed over and not yet written: what the writer keeps findable in memory
     * meanwhile (results, closed holds, history) is bounded by this, whatever the batch sizes.
     */
    static final int MAX_QUEUED_ENTRIES = 50_000;
    /**
     * Tests only: the index takes nothing, as if it were far behind, so a kill -9 finds acknowledged
     * results in the journal alone (CrashTest). Never set in production.
     */
    static final String PAUSE_FOR_TESTS = "jango.embedded.pauseIndexForTests";
    private static final long IDLE_POLL_MS = 100;
    private static final int MERGE_UP_TO_CHANGES = 50_000;

    private final LedgerIndex index;
    private final Consumer<String> onFailure;
    /** A chunk and the entry permits it holds until written. */
    private record Handed(LedgerIndex.Chunk chunk, int permits) {
    }

    private final BlockingQueue<Handed> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    private final java.util.concurrent.Semaphore entries = new java.util.concurrent.Semaphore(MAX_QUEUED_ENTRIES);
    private final boolean pausedForTests = Boolean.getBoolean(PAUSE_FOR_TESTS);
    private final List<ChangeSubscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Object progress = new Object();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile String failure;

    /** @param onFailure told why, once, if the index cannot be written (the shard halts) */
    Projector(LedgerIndex index, Consumer<String> onFailure) {
        this.index = index;
        this.onFailure = onFailure;
        this.thread = new Thread(this::run, "jango-index-0");
    }

    void start() {
        thread.start();
    }

    List<ChangeSubscriber> subscribers() {
        return subscribers;
    }

    /** Hands a chunk of {@code entryCount} log entries over; waits while too much is queued (the index is behind), logging each second. */
    void hand(LedgerIndex.Chunk chunk, int entryCount) throws IOException {
        int permits = Math.min(entryCount, MAX_QUEUED_ENTRIES);
        try {
            while (!entries.tryAcquire(permits, 1, TimeUnit.SECONDS)) {
                if (failure != null || !thread.isAlive()) {
                    throw new IOException("the index writer stopped: " + failure);
                }
                log.warn("event=index_backpressure seq={} index_seq={}", chunk.upToSeq(), index.indexedSeq());
            }
            Handed handed = new Handed(chunk, permits);
            while (!queue.offer(handed, 1, TimeUnit.SECONDS)) {
                if (failure != null || !thread.isAlive()) {
                    throw new IOException("the index writer stopped: " + failure);
                }
                log.warn("event=index_backpressure seq={} index_seq={}", chunk.upToSeq(), index.indexedSeq());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while handing changes to the index", e);
        }
    }

    /** Writes what is queued, then stops (bounded). */
    void stop(long timeoutMs) {
        stopping = true;
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<BalanceChange> merged = new ArrayList<>();
        List<Handed> taken = new ArrayList<>();
        try {
            while (true) {
                Handed chunk = pausedForTests ? null : queue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                if (pausedForTests) {
                    TimeUnit.MILLISECONDS.sleep(IDLE_POLL_MS);
                }
                if (chunk == null) {
                    if (stopping && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                taken.clear();
                taken.add(chunk);
                int changes = chunk.chunk().changes().size();
                Handed more;
                while (changes < MERGE_UP_TO_CHANGES && (more = queue.poll()) != null) {
                    taken.add(more);
                    changes += more.chunk().changes().size();
                }
                for (Handed each : taken) {
                    index.append(each.chunk());
                    entries.release(each.permits());
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
                merged.clear();
                for (Handed each : taken) {
                    merged.addAll(each.chunk().changes());
                }
                publish(merged);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
            log.error("event=index_failed", e);
            onFailure.accept("index write failed: " + e);
        } finally {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /** After the index write, so a subscriber that resumes from history misses nothing. */
    private void publish(List<BalanceChange> changes) {
        if (subscribers.isEmpty() || changes.isEmpty()) {
            return;
        }
        List<BalanceChange> published = List.copyOf(changes);
        for (ChangeSubscriber subscriber : subscribers) {
            try {
                subscriber.changes(published);
            } catch (RuntimeException e) {
                log.warn("event=subscriber_failed error=\"{}\"", e.toString());
            }
        }
    }

    /** Waits, at most {@code timeoutMs}, until the index holds everything up to {@code seq}. */
    void awaitIndexed(long seq, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (progress) {
            while (index.indexedSeq() < seq) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0 || !thread.isAlive()) {
                    throw new LedgerUnavailableException(Code.UNAVAILABLE,
                            "the index is at seq " + index.indexedSeq() + ", behind " + seq, 1);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, leftNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LedgerUnavailableException(Code.UNAVAILABLE, "interrupted", 1);
                }
            }
        }
    }
}
