package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.websocket.WebSocketClient;
import com.linecorp.armeria.client.websocket.WebSocketSession;
import com.linecorp.armeria.common.websocket.WebSocket;
import com.linecorp.armeria.common.websocket.WebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocketFrameType;
import com.linecorp.armeria.common.websocket.WebSocketWriter;
import jango.server.TestServer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A WebSocket client of /v1/streams collecting every message it receives. */
public final class SocketClient implements AutoCloseable {
    private final List<JsonNode> messages = new ArrayList<>();
    private final WebSocketWriter out = WebSocket.streaming();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    private SocketClient() {
    }

    public static SocketClient connect(ClientFactory factory, int port) {
        SocketClient client = new SocketClient();
        WebSocketSession session;
        try {
            session = WebSocketClient.builder("ws://127.0.0.1:" + port).factory(factory).build()
                    .connect("/v1/streams").get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("WebSocket connect failed", e);
        }
        session.setOutbound(client.out);
        session.inbound().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(WebSocketFrame frame) {
                if (frame.type() == WebSocketFrameType.TEXT) {
                    try {
                        JsonNode message = TestServer.JSON.readTree(frame.text());
                        synchronized (client.messages) {
                            client.messages.add(message);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                frame.close();
            }

            @Override
            public void onError(Throwable t) {
                client.ended.complete(null);
            }

            @Override
            public void onComplete() {
                client.ended.complete(null);
            }
        });
        return client;
    }

    public void send(String text) {
        out.write(text);
    }

    public void subscribe(String account, String from) {
        send("{\"type\":\"subscribe\",\"account\":\"" + account + "\"" + (from == null ? "" : ",\"from\":\"" + from + "\"") + "}");
    }

    public List<JsonNode> messages() {
        synchronized (messages) {
            return new ArrayList<>(messages);
        }
    }

    public List<JsonNode> messages(String type) {
        return messages().stream().filter(m -> type.equals(m.path("type").asText())).toList();
    }

    public boolean ended() {
        return ended.isDone();
    }

    @Override
    public void close() {
        out.close();
    }
}
