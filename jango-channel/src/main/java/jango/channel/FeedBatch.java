package jango.channel;

import java.util.List;

/**
 * Changes read from the feed, in log order, the holes among them (log positions whose changes the
 * feed may have missed), and the feed position after them.
 */
public record FeedBatch(List<ChangeRecord> changes, List<Hole> holes, String next) {
    public FeedBatch {
        changes = List.copyOf(changes);
        holes = List.copyOf(holes);
    }

    public record Hole(long fromSeq, long toSeq) {
    }
}
