package jango.streams.live;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Names;
import jango.streams.Json;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v1/accounts/{account}/stream[?asset=BTC][&from=BTC:7,KRW:3]}: the account's balance
 * changes as Server-Sent Events. Without a position the first event is a {@code snapshot} of the
 * balances; with one ({@code Last-Event-ID}, or {@code from}) the changes missed since come first,
 * from history. Every event's id is the stream's position after it.
 */
final class SseStreams implements HttpService {
    private final LiveStreams streams;

    SseStreams(LiveStreams streams) {
        this.streams = streams;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String account = ctx.pathParam("account");
        String asset = blankToNull(ctx.queryParam("asset"));
        if (!Names.OWNER.matches(account)) {
            return LiveStreams.malformed("account: \"" + LiveStreams.abbreviate(account) + "\" does not match " + Names.OWNER.pattern());
        }
        if (asset != null && !Names.ASSET.matches(asset)) {
            return LiveStreams.malformed("asset: \"" + LiveStreams.abbreviate(asset) + "\" does not match " + Names.ASSET.pattern());
        }
        String lastEventId = blankToNull(req.headers().get(HttpHeaderNames.LAST_EVENT_ID));
        String field = lastEventId != null ? "Last-Event-ID" : "from";
        String fromText = lastEventId != null ? lastEventId : blankToNull(ctx.queryParam("from"));
        Position from;
        try {
            from = fromText == null ? null : Position.parse(fromText);
        } catch (IllegalArgumentException e) {
            return LiveStreams.malformed(field + ": " + e.getMessage());
        }
        if (!streams.admit()) {
            return LiveStreams.tooMany();
        }
        // The stream bounds itself (heartbeats, stall timeout, longest life); the request timeout would cut it.
        ctx.clearRequestTimeout();
        LiveStream stream = streams.newStream(ctx, new SseFrames(streams.json()), false);
        CompletableFuture<HttpResponse> response = new CompletableFuture<>();
        ctx.eventLoop().execute(() -> stream.follow(account, asset, from).whenComplete((ok, error) -> {
            if (error != null) {
                streams.forget(stream);
                response.complete(LiveStreams.refused(error));
                return;
            }
            HttpResponseWriter writer = HttpResponse.streaming();
            writer.write(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.EVENT_STREAM)
                    .add(HttpHeaderNames.CACHE_CONTROL, "no-cache").build());
            response.complete(writer);
            stream.attach(new SseSink(writer));
        }));
        return HttpResponse.of(response);
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private record SseSink(HttpResponseWriter writer) implements Sink {
        @Override
        public boolean write(String frame) {
            return writer.tryWrite(HttpData.ofUtf8(frame));
        }

        @Override
        public boolean writeAll(List<String> frames) {
            return writer.tryWrite(HttpData.ofUtf8(String.join("", frames)));
        }

        @Override
        public CompletableFuture<Void> whenConsumed() {
            return writer.whenConsumed();
        }

        @Override
        public void close() {
            writer.close();
        }

        @Override
        public void abort() {
            writer.abort();
        }

        @Override
        public CompletableFuture<Void> whenEnded() {
            return writer.whenComplete().handle((ok, error) -> null);
        }
    }

    /** SSE text: {@code id} is the position, {@code event} the kind, {@code data} one line of JSON. */
    private record SseFrames(Json json) implements Frames {
        @Override
        public String snapshot(String account, List<BalanceView> balances, Position position) {
            return "id: " + position.text() + "\nevent: snapshot\ndata: " + Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("account", account);
                json.balancesField(out, balances);
                out.writeEndObject();
            }) + "\n\n";
        }

        @Override
        public String change(BalanceChange change, Position position) {
            return "id: " + position.text() + "\nevent: balance\ndata: " + Json.text(out -> json.change(out, change)) + "\n\n";
        }

        @Override
        public String heartbeat() {
            return ": heartbeat\n\n";
        }

        @Override
        public String closed(CloseReason reason, String message, Map<String, Position> positions) {
            String position = positions.isEmpty() ? "" : positions.values().iterator().next().text();
            return "event: closed\ndata: " + Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("reason", reason.name());
                out.writeStringField("message", message);
                out.writeStringField("position", position);
                out.writeEndObject();
            }) + "\n\n";
        }
    }
}
