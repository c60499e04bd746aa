package jango.channel;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import jango.streams.feed.ChangeFeed;
import jango.streams.feed.FeedChunk;
import jango.streams.feed.TopicChangeFeed;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distributed mode's {@link ChangeSource}: reads the change-events topic directly
 * ({@link TopicChangeFeed}), a chunk of whole log entries at a time, where the position is the next
 * offset of each partition. The ledger's instances are not in the path: the copy follows however
 * many there are, and whichever are up. System owners are left out: each has an account, with its
 * own revisions, on every shard, which the copy's rows (account, asset, revision) cannot hold apart,
 * and the ledger's feed lists users only for the resync. A failure retries from the last stored
 * position after a backoff that doubles up to {@code maxBackoffMs}.
 */
public final class TopicChangeSource implements ChangeSource {
    private static final Logger log = LoggerFactory.getLogger(TopicChangeSource.class);
    private static final int CHUNK_CHANGES = 1_000;
    /** A read waits this long for a change when it is caught up (it returns at the first one). */
    private static final Duration WAIT = Duration.ofMillis(500);
    /** The position of a copy that starts from scratch (the ledger's HTTP feed uses it too). */
    private static final String FROM_SCRATCH = "0";

    private final String bootstrap;
    private final String topic;
    private final long maxBackoffMs;
    private volatile boolean closed;
    private volatile TopicChangeFeed feed;

    public TopicChangeSource(String bootstrap, String topic, long maxBackoffMs) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.maxBackoffMs = maxBackoffMs;
    }

    @Override
    public void run(String position, Sink sink, Status status) throws InterruptedException {
        String at = position;
        long backoffMs = 100;
        while (!closed) {
            try {
                TopicChangeFeed opened = TopicChangeFeed.open(bootstrap, topic, false, null);
                feed = opened;
                at = startFrom(opened, at, status);
                status.connected();
                backoffMs = 100;
                while (!closed) {
                    FeedChunk chunk = opened.read(at, CHUNK_CHANGES, WAIT);
                    if (!chunk.changes().isEmpty() || !chunk.next().equals(at)) {
                        sink.accept(batch(chunk));
                        at = chunk.next();
                    }
                }
            } catch (ChangeFeed.FeedTruncatedException e) {
                String resumeFrom = feed.start();
                status.truncated(e.getMessage(), resumeFrom);
                at = resumeFrom;
                continue;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                status.disconnected(e.toString());
                log.warn("event=topic_feed_failed topic={} position={} retry_ms={} error=\"{}\"", topic, at, backoffMs, e.toString());
            } finally {
                TopicChangeFeed current = feed;
                if (current != null) {
                    current.close();
                }
            }
            TimeUnit.MILLISECONDS.sleep(backoffMs);
            backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        }
    }

    /** Where to read from: the stored position, or the topic's start for a new copy (or one that followed another feed). */
    private static String startFrom(TopicChangeFeed feed, String position, Status status) {
        if (FROM_SCRATCH.equals(position)) {
            return feed.start();
        }
        try {
            feed.check(position);
            return position;
        } catch (IllegalArgumentException e) {
            String start = feed.start();
            status.truncated("the stored position " + position + " is not one of " + feed.topic() + " (" + e.getMessage() + ")", start);
            return start;
        }
    }

    /** The chunk in the copy's terms: exact decimals at each asset's scale, which every change carries. */
    static FeedBatch batch(FeedChunk chunk) {
        List<ChangeRecord> records = new ArrayList<>(chunk.changes().size());
        for (int i = 0; i < chunk.changes().size(); i++) {
            BalanceChange change = chunk.changes().get(i);
            int scale = chunk.origins().get(i).scale();
            records.add(new ChangeRecord(change.account(), change.asset(), change.revision(), change.seq(), change.atMicros(),
                    change.commandId(), change.type(), decimal(change.available(), scale), decimal(change.held(), scale),
                    decimal(change.availableDelta(), scale), decimal(change.heldDelta(), scale)));
        }
        return new FeedBatch(records, List.of(), chunk.next());
    }

    private static BigDecimal decimal(Int128 minor, int scale) {
        return new BigDecimal(minor.toBigInteger(), scale);
    }

    @Override
    public void close() {
        closed = true;
    }
}
