package jango.engine.port;

/**
 * One shard's health: {@code reason} says why it is not up (null when up): halted after an
 * infrastructure failure, or stalled (work waiting and no progress for seconds).
 */
public record ShardStatus(int shard, boolean up, String reason, long appliedSeq) {
    /** How a stalled shard's reason starts. */
    public static final String STALLED_PREFIX = "stalled: ";

    public boolean stalled() {
        return !up && reason != null && reason.startsWith(STALLED_PREFIX);
    }

    public boolean halted() {
        return !up && !stalled();
    }
}
