package jango.streams.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.websocket.WebSocket;
import com.linecorp.armeria.common.websocket.WebSocketCloseStatus;
import com.linecorp.armeria.common.websocket.WebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocketFrameType;
import com.linecorp.armeria.common.websocket.WebSocketWriter;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.websocket.WebSocketServiceHandler;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Names;
import jango.streams.Json;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/streams}: a WebSocket that follows several accounts. The client sends JSON text
 * messages:
 * <pre>
 * {"type": "subscribe", "account": "u1", "asset": "BTC"?, "from": "BTC:7,KRW:3"?}
 * {"type": "unsubscribe", "account": "u1"}
 * </pre>
 * and receives {@code snapshot}, {@code balance} ({@code {"type", "account", "position", "change": {...}}}),
 * {@code subscribed}, {@code unsubscribed}, {@code heartbeat}, {@code error} and, last, {@code closed}
 * messages; each balance carries its account's position after it.
 */
final class SocketStreams implements WebSocketServiceHandler {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> SUBSCRIBE_FIELDS = Set.of("type", "account", "asset", "from");
    private static final Set<String> UNSUBSCRIBE_FIELDS = Set.of("type", "account");

    private final LiveStreams streams;

    SocketStreams(LiveStreams streams) {
        this.streams = streams;
    }

    @Override
    public WebSocket handle(ServiceRequestContext ctx, WebSocket in) {
        WebSocketWriter out = WebSocket.streaming();
        if (!streams.admit()) {
            out.close(WebSocketCloseStatus.TRY_AGAIN_LATER, "too many live streams are open");
            in.abort();
            return out;
        }
        SocketFrames frames = new SocketFrames(streams.json());
        LiveStream stream = streams.newStream(ctx, frames, true);
        ctx.eventLoop().execute(() -> stream.attach(new SocketSink(out)));
        in.subscribe(new Subscriber<>() {
            private Subscription subscription;

            @Override
            public void onSubscribe(Subscription s) {
                subscription = s;
                s.request(1);
            }

            @Override
            public void onNext(WebSocketFrame frame) {
                try {
                    if (frame.type() == WebSocketFrameType.TEXT) {
                        handle(stream, frames, frame.text());
                    } else if (frame.type() == WebSocketFrameType.BINARY) {
                        stream.notice(frames.error(null, "MALFORMED", "messages are JSON text"));
                    }
                } finally {
                    frame.close();
                }
                subscription.request(1);
            }

            @Override
            public void onError(Throwable t) {
                stream.end(CloseReason.CLIENT_GONE, null);
            }

            @Override
            public void onComplete() {
                stream.end(CloseReason.CLIENT_GONE, null);
            }
        }, ctx.eventLoop());
        return out;
    }

    /** One client message, on the connection's event loop. */
    private void handle(LiveStream stream, SocketFrames frames, String text) {
        JsonNode message;
        try {
            message = MAPPER.readTree(text);
        } catch (IOException e) {
            stream.notice(frames.error(null, "MALFORMED", "not JSON: " + LiveStreams.abbreviate(String.valueOf(e.getMessage()).split("\n")[0])));
            return;
        }
        String problem = check(message);
        if (problem != null) {
            stream.notice(frames.error(message.path("account").asText(null), "MALFORMED", problem));
            return;
        }
        String account = message.get("account").asText();
        if (message.get("type").asText().equals("unsubscribe")) {
            stream.unfollow(account);
            stream.notice(frames.ack("unsubscribed", account));
            return;
        }
        if (stream.follows(account)) {
            stream.notice(frames.error(account, "ALREADY_SUBSCRIBED", "unsubscribe first to change the asset or position"));
            return;
        }
        if (stream.follows() >= streams.config().maxAccountsPerSocket()) {
            stream.notice(frames.error(account, "TOO_MANY_ACCOUNTS", "one WebSocket follows at most "
                    + streams.config().maxAccountsPerSocket() + " accounts"));
            return;
        }
        String asset = message.hasNonNull("asset") ? message.get("asset").asText() : null;
        Position from = message.hasNonNull("from") ? Position.parse(message.get("from").asText()) : null;
        CompletableFuture<Void> following = stream.follow(account, asset, from);
        following.whenComplete((ok, error) -> {
            if (error != null) {
                stream.notice(frames.error(account, LiveStreams.refusalCode(error), error.getMessage()));
            } else {
                stream.notice(frames.ack("subscribed", account));
            }
        });
    }

    /** What is wrong with a client message, or null. */
    private static String check(JsonNode message) {
        if (!message.isObject() || !message.path("type").isTextual()) {
            return "expected: {\"type\": \"subscribe\" | \"unsubscribe\", \"account\": ...}";
        }
        String type = message.get("type").asText();
        Set<String> allowed = switch (type) {
            case "subscribe" -> SUBSCRIBE_FIELDS;
            case "unsubscribe" -> UNSUBSCRIBE_FIELDS;
            default -> null;
        };
        if (allowed == null) {
            return "type: \"" + LiveStreams.abbreviate(type) + "\" (expected: subscribe or unsubscribe)";
        }
        for (var names = message.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                return LiveStreams.abbreviate(name) + ": unknown field";
            }
        }
        JsonNode account = message.get("account");
        if (account == null || !account.isTextual() || !Names.OWNER.matches(account.asText())) {
            return "account: must be a string matching " + Names.OWNER.pattern();
        }
        JsonNode asset = message.get("asset");
        if (asset != null && !asset.isNull() && (!asset.isTextual() || !Names.ASSET.matches(asset.asText()))) {
            return "asset: must be a string matching " + Names.ASSET.pattern();
        }
        JsonNode from = message.get("from");
        if (from != null && !from.isNull()) {
            if (!from.isTextual()) {
                return "from: must be a string (ASSET:REVISION,...)";
            }
            try {
                Position.parse(from.asText());
            } catch (IllegalArgumentException e) {
                return "from: " + e.getMessage();
            }
        }
        return null;
    }

    private record SocketSink(WebSocketWriter out) implements Sink {
        @Override
        public boolean write(String frame) {
            return out.tryWrite(frame);
        }

        @Override
        public CompletableFuture<Void> whenConsumed() {
            return out.whenConsumed();
        }

        @Override
        public void close() {
            out.close(WebSocketCloseStatus.NORMAL_CLOSURE);
        }

        @Override
        public void abort() {
            out.abort();
        }

        @Override
        public CompletableFuture<Void> whenEnded() {
            return out.whenComplete().handle((ok, error) -> null);
        }
    }

    /** JSON text messages, each with a {@code type}. */
    private record SocketFrames(Json json) implements Frames {
        @Override
        public String snapshot(String account, List<BalanceView> balances, Position position) {
            return Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("type", "snapshot");
                out.writeStringField("account", account);
                out.writeStringField("position", position.text());
                json.balancesField(out, balances);
                out.writeEndObject();
            });
        }

        @Override
        public String change(BalanceChange change, Position position) {
            return Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("type", "balance");
                out.writeStringField("account", change.account());
                out.writeStringField("position", position.text());
                // Nested: the change has a "type" of its own (the command's).
                out.writeFieldName("change");
                json.change(out, change);
                out.writeEndObject();
            });
        }

        @Override
        public String heartbeat() {
            return "{\"type\":\"heartbeat\"}";
        }

        @Override
        public String closed(CloseReason reason, String message, Map<String, Position> positions) {
            return Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("type", "closed");
                out.writeStringField("reason", reason.name());
                out.writeStringField("message", message);
                out.writeObjectFieldStart("positions");
                for (Map.Entry<String, Position> entry : positions.entrySet()) {
                    out.writeStringField(entry.getKey(), entry.getValue().text());
                }
                out.writeEndObject();
                out.writeEndObject();
            });
        }

        String ack(String type, String account) {
            return Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("type", type);
                out.writeStringField("account", account);
                out.writeEndObject();
            });
        }

        String error(String account, String code, String message) {
            return Json.text(out -> {
                out.writeStartObject();
                out.writeStringField("type", "error");
                out.writeStringField("account", account);
                out.writeStringField("error", code);
                out.writeStringField("message", message);
                out.writeEndObject();
            });
        }
    }
}
