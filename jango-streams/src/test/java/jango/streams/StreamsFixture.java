package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.port.Ledger;
import jango.server.JangoMetrics;
import jango.server.TestServer;
import jango.streams.client.SseReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A real embedded Jango with the channel side's routes (Streams) on a random port, and clients for
 * it: plain HTTP ({@link #http}), SSE streams that can stop reading, WebSockets.
 */
public final class StreamsFixture implements AutoCloseable {
    public final Ledger ledger;
    public final JangoMetrics metrics;
    public final Streams streams;
    public final TestServer http;
    public final ClientFactory clients = ClientFactory.builder().idleTimeout(Duration.ZERO).build();

    private StreamsFixture(Ledger ledger, JangoMetrics metrics, Streams streams, TestServer http) {
        this.ledger = ledger;
        this.metrics = metrics;
        this.streams = streams;
        this.http = http;
    }

    public static StreamsFixture start(Path dir, UnaryOperator<StreamsConfig> tune) {
        return start(dir, tune, server -> {
        });
    }

    /** {@code server} tunes the server too (socket buffers, in the slow-client test). */
    public static StreamsFixture start(Path dir, UnaryOperator<StreamsConfig> tune,
                                       java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder> server) {
        return start(dir, tune, server, ledger -> ledger);
    }

    /** {@code wrap} puts something between the server and the embedded ledger (a counter of reads). */
    public static StreamsFixture start(Path dir, UnaryOperator<StreamsConfig> tune,
                                       java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder> server,
                                       UnaryOperator<Ledger> wrap) {
        return start(dir, tune, server, wrap, config -> config);
    }

    /** {@code ledgerConfig} tunes the embedded ledger (its clock). */
    public static StreamsFixture start(Path dir, UnaryOperator<StreamsConfig> tune,
                                       java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder> server,
                                       UnaryOperator<Ledger> wrap, UnaryOperator<EmbeddedConfig> ledgerConfig) {
        try {
            JangoMetrics metrics = new JangoMetrics();
            Ledger ledger = wrap.apply(EmbeddedLedger.open(ledgerConfig.apply(EmbeddedConfig.defaults(dir.resolve("ledger"))), metrics));
            Streams streams;
            try {
                streams = Streams.open(ledger, metrics.registry(), tune.apply(StreamsConfig.defaults(dir.resolve("streams"))));
            } catch (IOException | RuntimeException e) {
                ledger.close();
                throw e;
            }
            TestServer http = new TestServer(ledger, metrics, List.of(server, streams.routes())).closing(streams);
            return new StreamsFixture(ledger, metrics, streams, http);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + http.port();
    }

    public WebClient webClient() {
        // HTTP/1.1 as a browser's EventSource uses, one connection per stream.
        return WebClient.builder("h1c://127.0.0.1:" + http.port()).factory(clients)
                .responseTimeout(Duration.ZERO).maxResponseLength(0).build();
    }

    /** Opens an SSE stream ({@code lastEventId} may be null); events collect in the returned client. */
    public SseClient sse(String path, String lastEventId) {
        RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.GET, path).add("accept", "text/event-stream");
        if (lastEventId != null) {
            headers.add("last-event-id", lastEventId);
        }
        SseClient client = new SseClient();
        webClient().execute(headers.build()).subscribe(client.reader);
        return client;
    }

    public TestServer.Reply command(String json) {
        TestServer.Reply reply = http.command(json);
        if (reply.status() != 200) {
            throw new AssertionError("command " + json + ": " + reply);
        }
        return reply;
    }

    @Override
    public void close() {
        http.close();
        clients.close();
    }

    /** An SSE client collecting every event; {@link #reader} can pause (stop reading) or cancel. */
    public static final class SseClient {
        public final List<SseReader.Event> events = new ArrayList<>();
        public volatile int status;
        public final SseReader reader = new SseReader(new SseReader.Handler() {
            @Override
            public void onHeaders(ResponseHeaders headers) {
                status = headers.status().code();
            }

            @Override
            public void onEvent(SseReader.Event event) {
                synchronized (events) {
                    events.add(event);
                }
            }
        });

        public List<SseReader.Event> events() {
            synchronized (events) {
                return new ArrayList<>(events);
            }
        }

        /** Events of {@code type} (not comments). */
        public List<SseReader.Event> events(String type) {
            return events().stream().filter(e -> type.equals(e.event())).toList();
        }

        public List<JsonNode> data(String type) {
            return events(type).stream().map(e -> {
                try {
                    return TestServer.JSON.readTree(e.data());
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            }).toList();
        }

        public boolean ended() {
            return reader.ended().isDone();
        }

        public String lastId() {
            List<SseReader.Event> all = events();
            for (int i = all.size() - 1; i >= 0; i--) {
                if (all.get(i).id() != null) {
                    return all.get(i).id();
                }
            }
            return null;
        }
    }
}
