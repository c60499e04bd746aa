package jango.streams.live;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.websocket.WebSocketService;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerUnavailableException;
import jango.streams.Json;
import jango.streams.StreamsConfig;
import jango.streams.feed.ChangeHub;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live side for apps: SSE streams of one account, WebSockets following several, and the
 * long-poll on GET balances. All of it is fed by the {@link ChangeHub} and bounded by
 * {@link StreamsConfig}.
 */
public final class LiveStreams implements AutoCloseable {
    public static final int MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;

    private final Ledger ledger;
    private final ChangeHub hub;
    private final StreamsConfig config;
    private final StreamMetrics metrics;
    private final Json json;
    private final RevisionCache revisions;
    private final Set<LiveStream> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger admitted = new AtomicInteger();

    public LiveStreams(Ledger ledger, ChangeHub hub, StreamsConfig config, StreamMetrics metrics) {
        this.ledger = ledger;
        this.hub = hub;
        this.config = config;
        this.metrics = metrics;
        this.json = new Json(ledger.assets());
        this.revisions = new RevisionCache(ledger, config.revisionCacheAccounts());
        hub.listenAll(revisions);
    }

    /** Adds the routes to the ledger's server. */
    public void addRoutes(ServerBuilder server) {
        server.route().get("/v1/accounts/{account}/stream").build(new SseStreams(this));
        server.service("/v1/streams", WebSocketService.builder(new SocketStreams(this))
                .maxFramePayloadLength(MAX_SOCKET_MESSAGE_BYTES)
                // Clients authenticate with tokens, not cookies, so any page may open one.
                .allowedOrigin(origin -> true)
                .build());
        // Armeria refuses a WebSocket without an Origin, which only browsers send; apps and servers
        // do not, and the origin check exists to protect browsers, so a request without one passes.
        server.decorator("/v1/streams", (delegate, ctx, req) -> req.headers().contains(HttpHeaderNames.ORIGIN)
                ? delegate.serve(ctx, req)
                : delegate.serve(ctx, req.withHeaders(req.headers().toBuilder().add(HttpHeaderNames.ORIGIN, "null").build())));
        server.decorator("/v1/accounts/{account}/balances", new LongPoll(ledger, hub, revisions, config, metrics));
    }

    StreamsConfig config() {
        return config;
    }

    Json json() {
        return json;
    }

    /** Counts a new stream in, or refuses it past {@code maxStreams}. */
    boolean admit() {
        if (admitted.incrementAndGet() > config.maxStreams()) {
            admitted.decrementAndGet();
            return false;
        }
        return true;
    }

    LiveStream newStream(ServiceRequestContext ctx, Frames frames, boolean socket) {
        LiveStream stream = new LiveStream(hub, ledger, config, frames, metrics, ctx.eventLoop(), ctx.blockingTaskExecutor(),
                socket, String.valueOf(ctx.remoteAddress()));
        open.add(stream);
        ctx.log().whenComplete().thenRun(() -> forget(stream));
        return stream;
    }

    void forget(LiveStream stream) {
        if (open.remove(stream)) {
            admitted.decrementAndGet();
        }
    }

    public int openStreams() {
        return open.size();
    }

    /** Ends every stream (SHUTDOWN): each client gets its position to resume from elsewhere. */
    @Override
    public void close() {
        for (LiveStream stream : open) {
            try {
                // Streams live on their event loops; end them there.
                stream.endSoon(CloseReason.SHUTDOWN, "the server is stopping; reconnect with the position to resume");
            } catch (RuntimeException e) {
                // its loop is gone already
            }
        }
    }

    static HttpResponse malformed(String message) {
        return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.JSON_UTF_8, Json.error("MALFORMED", message));
    }

    static HttpResponse tooMany() {
        return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.JSON_UTF_8)
                .add(HttpHeaderNames.RETRY_AFTER, "5").build(), com.linecorp.armeria.common.HttpData.wrap(
                Json.error("UNAVAILABLE", "too many live streams are open; retry later or use GET balances with Prefer: wait")));
    }

    /** The answer to a stream whose start failed: the position cannot be resumed, or the ledger is unavailable. */
    static HttpResponse refused(Throwable error) {
        if (error instanceof CatchUp.TooFar) {
            return HttpResponse.of(HttpStatus.CONFLICT, MediaType.JSON_UTF_8, Json.error("RESUME_TOO_FAR", error.getMessage()));
        }
        if (error instanceof CatchUp.Ahead) {
            return HttpResponse.of(HttpStatus.CONFLICT, MediaType.JSON_UTF_8, Json.error("RESUME_AHEAD", error.getMessage()));
        }
        if (error instanceof CatchUp.NotFollowed) {
            return HttpResponse.of(HttpStatus.CONFLICT, MediaType.JSON_UTF_8, Json.error("NOT_STREAMED", error.getMessage()));
        }
        if (error instanceof LedgerUnavailableException unavailable) {
            return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.JSON_UTF_8)
                    .add(HttpHeaderNames.RETRY_AFTER, Integer.toString(unavailable.retryAfterSeconds())).build(),
                    com.linecorp.armeria.common.HttpData.wrap(Json.error(unavailable.code().name(), unavailable.getMessage())));
        }
        return HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR, MediaType.JSON_UTF_8, Json.error("INTERNAL", "internal error: " + error));
    }

    /** The code of a failed start, for a WebSocket's error message. */
    static String refusalCode(Throwable error) {
        if (error instanceof CatchUp.TooFar) {
            return "RESUME_TOO_FAR";
        }
        if (error instanceof CatchUp.Ahead) {
            return "RESUME_AHEAD";
        }
        if (error instanceof CatchUp.NotFollowed) {
            return "NOT_STREAMED";
        }
        return error instanceof LedgerUnavailableException unavailable ? unavailable.code().name() : "INTERNAL";
    }

    static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "...";
    }
}
