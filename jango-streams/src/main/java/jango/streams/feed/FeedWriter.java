package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.port.ChangeSubscriber;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores published batches in the {@link ChangeLog} on a thread of its own, so the ledger's history
 * thread only hands them over (the log write doubled that thread's work and held the ledger back).
 * The hand-off queue is bounded: when the log falls that far behind, the ledger's thread waits, at
 * most {@code maxWaitMs}, as it does for its own history index; past that the batch is recorded as a
 * hole (followers compare with the ledger) rather than blocking the ledger without end.
 */
public final class FeedWriter implements ChangeSubscriber, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeedWriter.class);
    static final int QUEUE_BATCHES = 256;
    private static final int MERGE_CHANGES = 50_000;

    private final ChangeLog changeLog;
    private final long maxWaitMs;
    private final BlockingQueue<List<BalanceChange>> queue = new ArrayBlockingQueue<>(QUEUE_BATCHES);
    private final Thread thread;
    private volatile boolean closing;

    public FeedWriter(ChangeLog changeLog, long maxWaitMs) {
        this.changeLog = changeLog;
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
            if (!queue.offer(changes, maxWaitMs, TimeUnit.MILLISECONDS)) {
                log.error("event=feed_behind from={} to={} waited_ms={}", changes.get(0).seq(), changes.get(changes.size() - 1).seq(), maxWaitMs);
                changeLog.recordLost(changes.get(0).seq(), changes.get(changes.size() - 1).seq());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            changeLog.recordLost(changes.get(0).seq(), changes.get(changes.size() - 1).seq());
        }
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
            List<BalanceChange> more;
            while (merged.size() < MERGE_CHANGES && (more = queue.poll()) != null) {
                merged.addAll(more);
            }
            changeLog.append(merged);
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
