package jango.streams.feed;

import java.util.List;

/**
 * Every applied balance change, durable and readable again from a position: what the webhooks and
 * the channel copy follow. Embedded mode's is the {@link ChangeLog} (RocksDB, fed in process by
 * {@code Ledger.subscribe}); distributed mode's is the {@link TopicChangeFeed}, over the change-events
 * topic, where a position is that topic's offsets. Positions are opaque strings to everyone but the feed that made them.
 */
public interface ChangeFeed {

    /** The position before every change (a follower that starts from scratch). */
    String start();

    /** The position after every change published so far. */
    String end();

    /**
     * Checks that {@code position} can be read from.
     *
     * @throws FeedTruncatedException   when it is older than what the feed keeps
     * @throws IllegalArgumentException for a position this feed did not make
     */
    void check(String position);

    /**
     * Changes after {@code after}, in log order, about {@code maxChanges} of them but never part of
     * one log entry: a position always falls between entries. Empty when nothing is new.
     *
     * @throws FeedTruncatedException   when {@code after} is older than what the feed keeps
     * @throws IllegalArgumentException for a position this feed did not make
     */
    FeedChunk read(String after, int maxChanges);

    /** Calls {@code listener} after each append; it must be cheap and must not block. */
    AutoCloseable onAppend(Runnable listener);

    /**
     * The ledger published changes (in process): a feed that does not see its own appends (one that
     * reads a topic) wakes its {@link #onAppend} listeners now. Must not block.
     */
    default void published() {
    }

    /** Accounts this feed has carried a change of, in order, after {@code after} (null: from the first). */
    List<String> accounts(String after, int limit);

    /** The feed's position is older than a follower asked for: that follower must resync. */
    final class FeedTruncatedException extends RuntimeException {
        public FeedTruncatedException(String message) {
            super(message, null, false, false);
        }
    }
}
