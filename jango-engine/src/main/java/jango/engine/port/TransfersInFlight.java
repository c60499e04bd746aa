package jango.engine.port;

/**
 * Transfers between shards in flight on the shards one instance owns, for {@code /metrics}:
 * how many this instance coordinates and takes part in now, when the oldest of them started
 * (log time, epoch microseconds; {@link Long#MAX_VALUE} with none), and how many ended in an abort
 * since the shards were loaded, by cause: a leg refused (the answer is the refusal), or the protocol
 * gave up (a shard did not vote before the deadline: 503, nothing applied).
 */
public record TransfersInFlight(int coordinating, int participating, long oldestStartMicros, long abortedRefused,
                                long abortedGaveUp) {
    public static final TransfersInFlight NONE = new TransfersInFlight(0, 0, Long.MAX_VALUE, 0, 0);

    public TransfersInFlight plus(TransfersInFlight other) {
        return new TransfersInFlight(coordinating + other.coordinating, participating + other.participating,
                Math.min(oldestStartMicros, other.oldestStartMicros), abortedRefused + other.abortedRefused,
                abortedGaveUp + other.abortedGaveUp);
    }
}
