package jango.channel;

import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jango.engine.Names;
import jango.engine.port.HistoryCursors;
import jango.streams.Json;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel copy's API (docs/channel.md): history in the ledger's shape with cursor paging
 * (infinite scroll), likely duplicate transfers, status, health and metrics. Every read runs off
 * the event loops, in PostgreSQL.
 */
final class ChannelServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChannelServer.class);
    static final int MAX_LIMIT = 1_000;

    private final Channel channel;
    private final ChannelStore store;
    private final Server server;

    ChannelServer(Channel channel, ChannelStore store, PrometheusMeterRegistry registry, String host, int port) {
        this.channel = channel;
        this.store = store;
        this.server = Server.builder()
                .http(new InetSocketAddress(host, port))
                .meterRegistry(registry)
                .route().get("/v1/accounts/{account}/history").build((ctx, req) -> blocking(ctx, () -> history(ctx)))
                .route().get("/v1/duplicates").build((ctx, req) -> blocking(ctx, () -> duplicates(ctx)))
                .route().get("/v1/channel/status").build((ctx, req) -> blocking(ctx, this::status))
                .route().get("/health").build((ctx, req) -> json(HttpStatus.OK, Json.bytes(out -> {
                    out.writeStartObject();
                    out.writeStringField("status", "UP");
                    out.writeStringField("feed", channel.feedState());
                    out.writeEndObject();
                })))
                .route().get("/metrics").build((ctx, req) -> HttpResponse.of(HttpStatus.OK,
                        MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), channel.scrape()))
                .build();
    }

    void start() {
        server.start().join();
    }

    int port() {
        return server.activeLocalPort();
    }

    @FunctionalInterface
    private interface Read {
        HttpResponse answer() throws SQLException, IOException;
    }

    private static HttpResponse blocking(ServiceRequestContext ctx, Read read) {
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            try {
                return read.answer();
            } catch (SQLException | IOException e) {
                log.warn("event=read_failed path={} error=\"{}\"", ctx.path(), e.getMessage());
                return error(HttpStatus.SERVICE_UNAVAILABLE, "UNAVAILABLE", "the channel's database: " + e.getMessage());
            }
        }, ctx.blockingTaskExecutor()));
    }

    private HttpResponse history(ServiceRequestContext ctx) throws SQLException {
        String account = ctx.pathParam("account");
        String asset = blankToNull(ctx.queryParam("asset"));
        if (!Names.OWNER.matches(account)) {
            return malformed("account: does not match " + Names.OWNER.pattern());
        }
        if (asset != null && !Names.ASSET.matches(asset)) {
            return malformed("asset: does not match " + Names.ASSET.pattern());
        }
        Integer limit = limit(ctx);
        if (limit == null) {
            return malformed("limit: expected an integer 1.." + MAX_LIMIT);
        }
        String cursor = blankToNull(ctx.queryParam("cursor"));
        byte[] after;
        try {
            after = cursor == null ? null : HistoryCursors.open(cursor, account, asset);
        } catch (IllegalArgumentException e) {
            return malformed(e.getMessage());
        }
        ChannelStore.Page page = store.history(account, asset, limit, after);
        String next = page.next() == null ? null : HistoryCursors.seal(account, asset, page.next(), 0, page.next().length);
        return json(HttpStatus.OK, Json.bytes(out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("entries");
            for (ChangeRecord entry : page.entries()) {
                entry(out, entry);
            }
            out.writeEndArray();
            out.writeStringField("next", next);
            out.writeEndObject();
        }));
    }

    /** One entry, as the ledger's history writes it. */
    private static void entry(JsonGenerator out, ChangeRecord entry) throws IOException {
        out.writeStartObject();
        out.writeNumberField("seq", entry.seq());
        out.writeStringField("at", Json.time(entry.atMicros()));
        out.writeStringField("commandId", entry.commandId());
        out.writeStringField("type", entry.type());
        out.writeStringField("asset", entry.asset());
        out.writeStringField("available", ChangeRecord.plain(entry.available()));
        out.writeStringField("held", ChangeRecord.plain(entry.held()));
        out.writeStringField("availableDelta", ChangeRecord.plain(entry.availableDelta()));
        out.writeStringField("heldDelta", ChangeRecord.plain(entry.heldDelta()));
        out.writeNumberField("revision", entry.revision());
        out.writeEndObject();
    }

    private HttpResponse duplicates(ServiceRequestContext ctx) throws SQLException {
        String account = blankToNull(ctx.queryParam("account"));
        if (account != null && !Names.OWNER.matches(account)) {
            return malformed("account: does not match " + Names.OWNER.pattern());
        }
        Integer limit = limit(ctx);
        if (limit == null) {
            return malformed("limit: expected an integer 1.." + MAX_LIMIT);
        }
        Long before = null;
        String cursor = blankToNull(ctx.queryParam("cursor"));
        if (cursor != null) {
            try {
                before = ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor)).getLong();
            } catch (RuntimeException e) {
                return malformed("cursor: not a cursor of this list");
            }
        }
        List<ChannelStore.Duplicate> found = store.duplicates(account, before, limit);
        String next = found.size() < limit ? null : Base64.getUrlEncoder().withoutPadding()
                .encodeToString(ByteBuffer.allocate(8).putLong(found.get(found.size() - 1).seq()).array());
        return json(HttpStatus.OK, Json.bytes(out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("duplicates");
            for (ChannelStore.Duplicate d : found) {
                out.writeStartObject();
                out.writeStringField("commandId", d.commandId());
                out.writeStringField("earlierCommandId", d.earlierCommandId());
                out.writeStringField("payer", d.payer());
                out.writeStringField("payee", d.payee());
                out.writeStringField("asset", d.asset());
                out.writeStringField("amount", ChangeRecord.plain(d.amount()));
                out.writeNumberField("seq", d.seq());
                out.writeStringField("at", Json.time(d.atMicros()));
                out.writeNumberField("apartMs", d.apartMicros() / 1_000);
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeStringField("next", next);
            out.writeEndObject();
        }));
    }

    private HttpResponse status() throws SQLException {
        long entries = store.entries();
        int repairs = store.repairsPending();
        return json(HttpStatus.OK, Json.bytes(out -> {
            out.writeStartObject();
            out.writeStringField("position", channel.position());
            out.writeStringField("feed", channel.feedState());
            out.writeNumberField("entries", entries);
            out.writeNumberField("repairsPending", repairs);
            out.writeEndObject();
        }));
    }

    private static Integer limit(ServiceRequestContext ctx) {
        String text = blankToNull(ctx.queryParam("limit"));
        if (text == null) {
            return 100;
        }
        try {
            int limit = Integer.parseInt(text);
            return limit >= 1 && limit <= MAX_LIMIT ? limit : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static HttpResponse json(HttpStatus status, byte[] body) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, body);
    }

    private static HttpResponse malformed(String message) {
        return error(HttpStatus.BAD_REQUEST, "MALFORMED", message);
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return json(status, Json.error(code, message));
    }

    @Override
    public void close() {
        server.stop().join();
    }
}
