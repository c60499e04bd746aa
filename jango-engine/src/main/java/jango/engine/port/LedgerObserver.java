package jango.engine.port;

/** Told about each written batch (metrics); called on the writer thread, so it must be cheap. */
public interface LedgerObserver {
    LedgerObserver NONE = new LedgerObserver() {
    };

    /** One journal record: {@code entries} log entries, durable after {@code writeNanos}, applied in {@code applyNanos}. */
    default void batchWritten(int shard, int entries, int bytes, long writeNanos, long applyNanos) {
    }

    default void writeFailed(int shard, String reason) {
    }
}
