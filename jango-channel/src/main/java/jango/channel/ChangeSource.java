package jango.channel;

/**
 * Where the channel copy's changes come from. Embedded mode: the ledger's admin feed over HTTP
 * ({@link HttpFeedSource}); distributed mode: the change-events topic, where a position is the
 * topic's offsets. Either way the copy applies batches idempotently by revision, so a source may
 * deliver a batch twice (after a reconnect) but must never skip one.
 */
public interface ChangeSource extends AutoCloseable {

    /** Takes one batch; returns once it is stored, so the source may move past it. */
    @FunctionalInterface
    interface Sink {
        void accept(FeedBatch batch) throws Exception;
    }

    /** What the source tells besides batches: connected, or why it is not. */
    interface Status {
        void connected();

        void disconnected(String why);

        /** The source cannot resume from the position asked for: the copy must resync everything. */
        void truncated(String why, String resumeFrom);
    }

    /**
     * Delivers every batch after {@code position}, in order, until closed; reconnects by itself
     * (with a bounded backoff) after any failure.
     */
    void run(String position, Sink sink, Status status) throws InterruptedException;

    @Override
    void close();
}
