package jango.streams.live;

import java.util.concurrent.CompletableFuture;

/** Where a {@link LiveStream} writes its frames: an SSE response or a WebSocket. */
interface Sink {
    /** Queues one frame; false when the connection is gone. */
    boolean write(String frame);

    /** Queues several frames (SSE sends them as one chunk); false when the connection is gone. */
    default boolean writeAll(java.util.List<String> frames) {
        for (String frame : frames) {
            if (!write(frame)) {
                return false;
            }
        }
        return true;
    }

    /** Completes when the client has taken everything written so far (the socket accepted it). */
    CompletableFuture<Void> whenConsumed();

    /** Ends the stream after what was written. */
    void close();

    /** Drops the connection now. */
    void abort();

    /** Completes when the stream has ended, either way. */
    CompletableFuture<Void> whenEnded();
}
