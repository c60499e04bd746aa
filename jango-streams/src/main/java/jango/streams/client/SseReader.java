package jango.streams.client;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.ResponseHeaders;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a Server-Sent Events response (an Armeria {@code HttpResponse}) event by event, asking for
 * the next piece only after handling the last, so the server sees a slow reader as one (TCP
 * backpressure) rather than the reader buffering without end. {@link #pause()} stops reading
 * altogether: a client that stops reading, as tests need. Used by the channel copy to follow the
 * feed, by the bench's subscribers and by tests.
 */
public final class SseReader implements Subscriber<HttpObject> {
    /** One event: {@code id} and {@code event} may be null; comments (heartbeats) have {@code comment} true. */
    public record Event(String id, String event, String data, boolean comment) {
    }

    /** Receives the response as it comes, on the client's event loop; must not block. */
    public interface Handler {
        default void onHeaders(ResponseHeaders headers) {
        }

        void onEvent(Event event);
    }

    private static final int MAX_EVENT_CHARS = 16 << 20;

    private final Handler handler;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final StringBuilder pending = new StringBuilder();
    private Subscription subscription;
    private volatile boolean paused;
    private volatile boolean wanting;

    public SseReader(Handler handler) {
        this.handler = handler;
    }

    /** Completes when the response ends, exceptionally when it failed or was aborted. */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    /** Stops asking for more: the server's writes back up into the socket. */
    public void pause() {
        paused = true;
    }

    public synchronized void resume() {
        paused = false;
        if (wanting && subscription != null) {
            wanting = false;
            subscription.request(1);
        }
    }

    /** Drops the connection. */
    public void cancel() {
        Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        ended.completeExceptionally(new java.util.concurrent.CancellationException("cancelled by the reader"));
    }

    @Override
    public void onSubscribe(Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(HttpObject object) {
        try {
            if (object instanceof ResponseHeaders headers) {
                handler.onHeaders(headers);
            } else if (object instanceof HttpData data) {
                pending.append(data.toString(StandardCharsets.UTF_8));
                if (pending.length() > MAX_EVENT_CHARS) {
                    throw new IllegalStateException("an event longer than " + MAX_EVENT_CHARS + " characters");
                }
                parse();
            }
        } catch (RuntimeException e) {
            subscription.cancel();
            ended.completeExceptionally(e);
            return;
        }
        askForMore();
    }

    private synchronized void askForMore() {
        if (paused) {
            wanting = true;
        } else {
            subscription.request(1);
        }
    }

    /** Hands over every complete event in the buffer, then drops them from it at once (not one shift per event). */
    private void parse() {
        int start = 0;
        int end;
        while ((end = pending.indexOf("\n\n", start)) >= 0) {
            handler.onEvent(event(pending.substring(start, end)));
            start = end + 2;
        }
        if (start > 0) {
            pending.delete(0, start);
        }
    }

    private static Event event(String block) {
        String id = null;
        String type = null;
        StringBuilder data = null;
        boolean comment = true;
        for (String line : block.split("\n", -1)) {
            if (line.startsWith(":")) {
                continue;
            }
            comment = false;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1).stripLeading();
            switch (field) {
                case "id" -> id = value;
                case "event" -> type = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                default -> {
                }
            }
        }
        return new Event(id, type, data == null ? null : data.toString(), comment);
    }

    @Override
    public void onError(Throwable t) {
        ended.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        ended.complete(null);
    }
}
