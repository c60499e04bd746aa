package jango.streams.feed;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.engine.BalanceChange;
import jango.streams.Json;
import jango.streams.StreamsConfig;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The global change feed over HTTP, for the channel copy in another process (embedded mode's stand-in
 * for the change-events topic). Admin scope: it carries every account.
 * <ul>
 * <li>{@code GET /v1/admin/feed?after=POSITION}: Server-Sent Events, each a {@code changes} event
 * whose data is {@code {"changes": [...], "holes": [{"from", "to"}], "next": POSITION}} and whose
 * id is {@code next}; heartbeats as comments. 410 FEED_TRUNCATED when {@code after} is older
 * than the feed keeps.</li>
 * <li>{@code GET /v1/admin/feed/accounts?after=&limit=}: the accounts the feed has carried, in order.</li>
 * <li>{@code GET /v1/admin/feed/position}: {@code {"start", "end"}}, where a follower from scratch or from now starts.</li>
 * </ul>
 * The stream reads the next chunk only once the client took the last one, so a slow follower costs
 * one chunk of memory and simply lags; one that takes nothing for the stall timeout is dropped.
 */
public final class FeedRoutes {
    public static final int CHUNK_CHANGES = 1_000;
    public static final int MAX_ACCOUNTS_LIMIT = 10_000;

    private final ChangeFeed feed;
    private final StreamsConfig config;
    private final Json json;

    public FeedRoutes(ChangeFeed feed, StreamsConfig config, Json json) {
        this.feed = feed;
        this.config = config;
        this.json = json;
    }

    public void addRoutes(ServerBuilder server) {
        server.route().get("/v1/admin/feed").build(this::stream);
        server.route().get("/v1/admin/feed/accounts").build(this::accounts);
        server.route().get("/v1/admin/feed/position").build((ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
                Json.bytes(out -> {
                    out.writeStartObject();
                    out.writeStringField("start", feed.start());
                    out.writeStringField("end", feed.end());
                    out.writeEndObject();
                })));
    }

    private HttpResponse stream(ServiceRequestContext ctx, HttpRequest req) {
        String after = ctx.queryParam("after");
        if (after == null || after.isEmpty()) {
            after = req.headers().get(HttpHeaderNames.LAST_EVENT_ID, feed.start());
        }
        try {
            feed.check(after);
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, "MALFORMED", "after: " + e.getMessage());
        } catch (ChangeFeed.FeedTruncatedException e) {
            return error(HttpStatus.GONE, "FEED_TRUNCATED", e.getMessage());
        }
        ctx.clearRequestTimeout();
        HttpResponseWriter writer = HttpResponse.streaming();
        writer.write(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.EVENT_STREAM)
                .add(HttpHeaderNames.CACHE_CONTROL, "no-cache").build());
        new Follower(ctx, writer, after).start();
        return writer;
    }

    private HttpResponse accounts(ServiceRequestContext ctx, HttpRequest req) {
        String after = ctx.queryParam("after");
        int limit;
        try {
            limit = Integer.parseInt(ctx.queryParam("limit") == null ? "1000" : ctx.queryParam("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_ACCOUNTS_LIMIT) {
            return error(HttpStatus.BAD_REQUEST, "MALFORMED", "limit: expected an integer 1.." + MAX_ACCOUNTS_LIMIT);
        }
        int pageLimit = limit;
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            List<String> accounts = feed.accounts(after == null || after.isEmpty() ? null : after, pageLimit);
            return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, Json.bytes(out -> {
                out.writeStartObject();
                out.writeArrayFieldStart("accounts");
                for (String account : accounts) {
                    out.writeString(account);
                }
                out.writeEndArray();
                out.writeStringField("next", accounts.size() < pageLimit ? null : accounts.get(accounts.size() - 1));
                out.writeEndObject();
            }));
        }, ctx.blockingTaskExecutor()));
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, Json.error(code, message));
    }

    /** One follower of the feed; its state is touched on its event loop only. */
    private final class Follower {
        private final ServiceRequestContext ctx;
        private final HttpResponseWriter writer;
        private String position;
        private boolean busy;
        private boolean appended;
        private boolean ended;
        private long writingSinceNanos;
        private boolean writing;
        private AutoCloseable listening;

        Follower(ServiceRequestContext ctx, HttpResponseWriter writer, String position) {
            this.ctx = ctx;
            this.writer = writer;
            this.position = position;
        }

        void start() {
            listening = feed.onAppend(() -> ctx.eventLoop().execute(() -> {
                appended = true;
                next();
            }));
            var heartbeat = ctx.eventLoop().scheduleAtFixedRate(this::tick, config.heartbeatMs(), config.heartbeatMs(), TimeUnit.MILLISECONDS);
            writer.whenComplete().handle((ok, error) -> {
                ctx.eventLoop().execute(() -> {
                    ended = true;
                    heartbeat.cancel(false);
                    closeQuietly(listening);
                });
                return null;
            });
            ctx.eventLoop().execute(this::next);
        }

        /** Reads and sends the next chunk, unless one is under way or the client has not taken the last. */
        private void next() {
            if (ended || busy || writing) {
                return;
            }
            busy = true;
            appended = false;
            String from = position;
            CompletableFuture.supplyAsync(() -> feed.read(from, CHUNK_CHANGES), ctx.blockingTaskExecutor())
                    .whenCompleteAsync((chunk, error) -> {
                        busy = false;
                        if (ended) {
                            return;
                        }
                        if (error != null) {
                            writer.write(HttpData.ofUtf8("event: error\ndata: " + Json.text(out -> {
                                out.writeStartObject();
                                out.writeStringField("message", String.valueOf(error.getCause() != null ? error.getCause() : error));
                                out.writeEndObject();
                            }) + "\n\n"));
                            writer.close();
                            return;
                        }
                        if (chunk.isEmpty()) {
                            position = chunk.next();
                            if (appended) {
                                next();
                            }
                            return;
                        }
                        send(chunk);
                    }, ctx.eventLoop());
        }

        private void send(FeedChunk chunk) {
            position = chunk.next();
            writer.write(HttpData.ofUtf8("id: " + chunk.next() + "\nevent: changes\ndata: " + render(chunk) + "\n\n"));
            writing = true;
            writingSinceNanos = System.nanoTime();
            writer.whenConsumed().whenCompleteAsync((ok, error) -> {
                writing = false;
                if (error == null) {
                    next();
                }
            }, ctx.eventLoop());
        }

        private void tick() {
            if (ended) {
                return;
            }
            if (writing) {
                if (System.nanoTime() - writingSinceNanos > TimeUnit.MILLISECONDS.toNanos(config.stallTimeoutMs())) {
                    writer.abort(); // it stopped reading; it resumes from its position when it comes back
                }
                return;
            }
            writer.tryWrite(HttpData.ofUtf8(": heartbeat\n\n"));
            next(); // a missed wake-up costs at most one heartbeat
        }
    }

    private String render(FeedChunk chunk) {
        return Json.text(out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("changes");
            for (int i = 0; i < chunk.changes().size(); i++) {
                json.change(out, chunk.changes().get(i), chunk.origins().isEmpty() ? -1 : chunk.origins().get(i).shard());
            }
            out.writeEndArray();
            out.writeArrayFieldStart("holes");
            for (FeedChunk.Hole hole : chunk.holes()) {
                out.writeStartObject();
                out.writeNumberField("from", hole.fromSeq());
                out.writeNumberField("to", hole.toSeq());
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeStringField("next", chunk.next());
            out.writeEndObject();
        });
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // a listener handle does not fail
        }
    }
}
