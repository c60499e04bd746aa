package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.port.ChangeSubscriber;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores published batches in the {@link ChangeLog} on a thread of its own, so the ledger's history
 * thread only hands them over (the log write doubled that thread's work and held the ledger back).
 * The hand-off queue is bounded by changes: when the log falls that far behind, the ledger's thread
 * waits, at most {@code maxWaitMs}, as it does for its own history index; past that the batch is
 * recorded as a hole (followers compare with the ledger) rather than blocking the ledger without end.
 */
public final class FeedWriter implements ChangeSubscriber, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeedWriter.class);
    /**
     * Changes handed over and not yet stored, at most (about 30 MB). The queue held 256 batches
     * whatever their size: a batch is what the index wrote at once, up to 50,000 entries of a
     * trade's changes, and a 100-million-command soak at -Xmx1g ran out of heap at 22.8 million
     * while the machine was busy and the feed fell behind.
     */
    static final int MAX_QUEUED_CHANGES = 200_000;
    private static final int MERGE_CHANGES = 50_000;

    private final Consumer<List<BalanceChange>> append;
    private final LostRange recordLost;
    private final long maxWaitMs;
    private final BlockingQueue<List<BalanceChange>> queue = new LinkedBlockingQueue<>();
    private final Semaphore room = new Semaphore(MAX_QUEUED_CHANGES);
    private final Thread thread;
    private volatile boolean closing;

    /** Where a batch the log could not take in time is recorded (from, to: seqs). */
    interface LostRange {
        void record(long from, long to);
    }

    public FeedWriter(ChangeLog changeLog, long maxWaitMs) {
        this(changeLog::append, changeLog::recordLost, maxWaitMs);
    }

    /** Storing through {@code append} (tests hold it back). */
    FeedWriter(Consumer<List<BalanceChange>> append, LostRange recordLost, long maxWaitMs) {
        this.append = append;
        this.recordLost = recordLost;
        this.maxWaitMs = maxWaitMs;
        this.thread = new Thread(this::run, "jango-feed-writer");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void changes(List<BalanceChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        try {
            if (!room.tryAcquire(permits(changes), maxWaitMs, TimeUnit.MILLISECONDS)) {
                log.error("event=feed_behind from={} to={} waited_ms={}", changes.get(0).seq(), changes.get(changes.size() - 1).seq(), maxWaitMs);
                recordLost.record(changes.get(0).seq(), changes.get(changes.size() - 1).seq());
                return;
            }
            queue.add(changes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            recordLost.record(changes.get(0).seq(), changes.get(changes.size() - 1).seq());
        }
    }

    /** A batch larger than the whole bound takes all of it (it waits for an empty queue). */
    private static int permits(List<BalanceChange> changes) {
        return Math.min(changes.size(), MAX_QUEUED_CHANGES);
    }

    /** Changes queued and not yet stored (bounded by {@link #MAX_QUEUED_CHANGES}). */
    int queuedChanges() {
        return MAX_QUEUED_CHANGES - room.availablePermits();
    }

    private void run() {
        List<BalanceChange> merged = new ArrayList<>();
        while (true) {
            List<BalanceChange> first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (closing) {
                    return;
                }
                continue;
            }
            merged.clear();
            merged.addAll(first);
            int taken = permits(first);
            List<BalanceChange> more;
            while (merged.size() < MERGE_CHANGES && (more = queue.poll()) != null) {
                merged.addAll(more);
                taken += permits(more);
            }
            try {
                append.accept(merged);
            } finally {
                room.release(taken);
            }
        }
    }

    /** Stores what is queued, then stops. */
    @Override
    public void close() {
        closing = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
