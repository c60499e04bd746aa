package jango.engine;

import java.util.List;

/**
 * A shard's record of a transfer that crosses shards, as the store keeps it: the coordinator's
 * record of transfer {@code key} (kind {@code X}), a participant's (kind {@code P}), or a hold's
 * pending end (kind {@code L}, keyed by hold id). {@code bytes} is the engine's encoding, which only
 * the engine reads back ({@link EngineRestore#crossShardRecords}); null when the record ended. A
 * participant lists what it moved from available to held ({@code reservations}), so the store can
 * check that held equals open holds plus reservations without decoding anything.
 */
public record CrossShardRecord(char kind, String key, String state, byte[] bytes, List<Reservation> reservations) {
    public static final char COORDINATOR = 'X';
    public static final char PARTICIPANT = 'P';
    public static final char HOLD_END = 'L';

    public CrossShardRecord {
        if (kind != COORDINATOR && kind != PARTICIPANT && kind != HOLD_END) {
            throw new IllegalArgumentException("kind: " + kind + " (expected: X, P or L)");
        }
        reservations = List.copyOf(reservations);
    }

    public boolean ended() {
        return bytes == null;
    }

    /** {@code amount} of {@code owner}'s {@code asset} moved from available to held for a transfer in flight. */
    public record Reservation(String owner, String asset, Int128 amount) {
    }
}
