package jango.streams.feed;

import jango.engine.BalanceChange;

import java.util.List;

/**
 * Changes read from a {@link ChangeFeed}, in log order, and the holes among them: ranges of log
 * positions whose changes the feed may have missed (the ledger's process was killed between
 * applying them and the feed storing them), so a follower must compare with the ledger.
 * {@code next} is the position after this chunk.
 */
public record FeedChunk(List<BalanceChange> changes, List<Hole> holes, String next) {
    public FeedChunk {
        changes = List.copyOf(changes);
        holes = List.copyOf(holes);
    }

    public boolean isEmpty() {
        return changes.isEmpty() && holes.isEmpty();
    }

    /** Log positions {@code fromSeq..toSeq} (inclusive) whose changes may be missing. */
    public record Hole(long fromSeq, long toSeq) {
    }
}
