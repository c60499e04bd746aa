package jango.streams.feed;

import jango.engine.BalanceChange;

import java.util.List;

/**
 * Changes read from a {@link ChangeFeed}, in log order (with several shards: in each shard's order),
 * and the holes among them: ranges of log positions whose changes the feed may have missed (the
 * ledger's process was killed between applying them and the feed storing them), so a follower must
 * compare with the ledger. {@code next} is the position after this chunk.
 *
 * @param origins where each change comes from, one per change, when the feed has several shards
 *                (the change-events topic); empty for one shard, where a change's seq names its entry
 */
public record FeedChunk(List<BalanceChange> changes, List<Hole> holes, String next, List<Origin> origins) {
    public FeedChunk {
        changes = List.copyOf(changes);
        holes = List.copyOf(holes);
        origins = List.copyOf(origins);
        if (!origins.isEmpty() && origins.size() != changes.size()) {
            throw new IllegalArgumentException(origins.size() + " origins for " + changes.size() + " changes");
        }
    }

    /** A chunk of one shard's feed. */
    public FeedChunk(List<BalanceChange> changes, List<Hole> holes, String next) {
        this(changes, holes, next, List.of());
    }

    public boolean isEmpty() {
        return changes.isEmpty() && holes.isEmpty();
    }

    /** Log positions {@code fromSeq..toSeq} (inclusive) whose changes may be missing. */
    public record Hole(long fromSeq, long toSeq) {
    }

    /**
     * The shard whose entry made a change, the change's index among the entry's changes, and its
     * asset's scale: {@code (shard, seq, index)} names the change everywhere, whoever republished it.
     */
    public record Origin(int shard, int index, int scale) {
    }
}
