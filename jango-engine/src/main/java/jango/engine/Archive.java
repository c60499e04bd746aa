package jango.engine;

/**
 * Where stored results and closed holds live once they leave the engine's memory: on disk in
 * embedded mode (RocksDB, behind the engine's {@link IdFilter}), in PostgreSQL in distributed mode.
 * The engine keeps only what decides the next command (accounts, open holds, the filter); this port
 * answers the rare question "was this id used before?" exactly, and takes every new result and
 * closed hold as it is made.
 *
 * <p>The contract that keeps replays deterministic: a lookup for an entry at {@code seq} answers
 * with what entries before {@code seq} stored, and sees everything this engine handed to
 * {@link #resultStored} or {@link #holdClosed} for earlier entries, including the ones of the same
 * batch not yet written anywhere. An archive that still holds what a crashed run stored for
 * {@code seq} or later (recovery replays from a snapshot) must not answer with it.
 */
public interface Archive {

    /** An archive that holds nothing and takes nothing: for copies of an engine that only read state. */
    Archive NONE = new Archive() {
        @Override
        public StoredResult result(String commandId, long beforeSeq) {
            return null;
        }

        @Override
        public HoldView hold(String holdId, long beforeSeq) {
            return null;
        }

        @Override
        public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
            throw new IllegalStateException("this engine only reads state (a copy): it cannot apply entries");
        }

        @Override
        public void holdClosed(Applied applied, int index) {
            throw new IllegalStateException("this engine only reads state (a copy): it cannot apply entries");
        }
    };

    /** The result stored for {@code commandId} by an entry before {@code beforeSeq}, or null. */
    StoredResult result(String commandId, long beforeSeq);

    /**
     * The hold {@code holdId} as stored before {@code beforeSeq} by a hold that is not open in this
     * engine (it was released, settled or expired; in distributed mode, it may be open on another
     * shard), or null when the id was never used.
     */
    HoldView hold(String holdId, long beforeSeq);

    /**
     * A client command's result is final: {@code applied} holds it (valid during this call only),
     * {@code fingerprint[offset, offset + length)} the command's canonical encoding.
     */
    void resultStored(Applied applied, byte[] fingerprint, int offset, int length);

    /** Hold {@code index} of {@code applied} closed (valid during this call only). */
    void holdClosed(Applied applied, int index);

    /**
     * Distributed mode: the transfer {@code commandId} started attempt {@code attempt} between
     * shards at {@code seq}. Until its final result is stored, lookups answer a pending result
     * ({@link StoredResult#pending(byte[], int)}) with this fingerprint, so the id is taken.
     */
    default void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
        throw new UnsupportedOperationException("this archive serves one shard: no transfer crosses shards here");
    }

    /**
     * Distributed mode: a result made at {@code seq} by an entry other than the command's own (a
     * transfer that crossed shards ends at a later entry; protocol records store their outcome to
     * answer duplicates). Replaces a pending result of the same id.
     */
    default void resultStored(long seq, byte[] fingerprint, Result result) {
        throw new UnsupportedOperationException("this archive serves one shard: no transfer crosses shards here");
    }
}
