package jango.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerObserver;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A real Jango (a {@link Ledger} behind {@link JangoServer}, Armeria on a random port) and a small
 * HTTP client for it. Any backend: {@link #TestServer(Ledger)}, or {@link #open(Function)} when the
 * ledger should report its batches to the server's metrics; {@link #start(Path)} is the embedded one.
 */
public final class TestServer implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();

    public final Ledger ledger;
    public final JangoMetrics metrics;
    public final JangoServer server;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    /** The servers the HTTP helpers ask in turn: this one, then those of {@link #askingInTurn}. */
    private final List<JangoServer> asked = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** Serves {@code ledger} (closed by {@link #close()}); the ledger does not report to these metrics. */
    public TestServer(Ledger ledger) {
        this(ledger, new JangoMetrics());
    }

    /** Serves {@code ledger} (closed by {@link #close()}), normally opened with {@code metrics} as its observer. */
    public TestServer(Ledger ledger, JangoMetrics metrics) {
        this(ledger, metrics, List.of(), EdgeOptions.OPEN);
    }

    /** Also serves the routes of {@code extensions} (other modules' routes on the same port). */
    public TestServer(Ledger ledger, JangoMetrics metrics,
                      List<java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder>> extensions) {
        this(ledger, metrics, extensions, EdgeOptions.OPEN);
    }

    /** Serves {@code ledger} with API keys and TLS as {@code edge} says (the HTTP helpers here send no key and speak plain HTTP). */
    public TestServer(Ledger ledger, JangoMetrics metrics, EdgeOptions edge) {
        this(ledger, metrics, List.of(), edge);
    }

    public TestServer(Ledger ledger, JangoMetrics metrics,
                      List<java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder>> extensions, EdgeOptions edge) {
        this.ledger = ledger;
        this.metrics = metrics;
        try {
            metrics.bind(ledger);
            server = new JangoServer(ledger, metrics, "127.0.0.1", 0, extensions, edge).start();
        } catch (RuntimeException | Error e) {
            ledger.close();
            throw e;
        }
    }

    /** The embedded backend on {@code config}. */
    public TestServer(EmbeddedConfig config) throws IOException {
        this(openEmbedded(config));
    }

    private TestServer(Opened opened) {
        this(opened.ledger, opened.metrics);
    }

    private record Opened(Ledger ledger, JangoMetrics metrics) {
    }

    private static Opened openEmbedded(EmbeddedConfig config) throws IOException {
        JangoMetrics metrics = new JangoMetrics();
        return new Opened(EmbeddedLedger.open(config, metrics), metrics);
    }

    /** A server over the ledger {@code open} makes, given the server's metrics as the ledger's observer. */
    public static TestServer open(Function<? super LedgerObserver, ? extends Ledger> open) {
        JangoMetrics metrics = new JangoMetrics();
        return new TestServer(open.apply(metrics), metrics);
    }

    /** The embedded backend with its defaults, its data in {@code dir}. */
    public static TestServer start(Path dir) throws IOException {
        return new TestServer(EmbeddedConfig.defaults(dir));
    }

    /** The embedded backend with its defaults, its data in {@code dir}, served with {@code edge}'s keys and TLS. */
    public static TestServer start(Path dir, EdgeOptions edge) throws IOException {
        Opened opened = openEmbedded(EmbeddedConfig.defaults(dir));
        return new TestServer(opened.ledger, opened.metrics, edge);
    }

    /**
     * Also closes {@code resources} when this server closes: after the HTTP server and the ledger,
     * in reverse order (e.g. the Kafka and PostgreSQL a distributed ledger ran on).
     */
    public TestServer closing(AutoCloseable... resources) {
        closeAfter.addAll(List.of(resources));
        return this;
    }

    public int port() {
        return server.port();
    }

    /**
     * From now on the HTTP helpers ask this server and {@code others} in turn, one request each
     * (instances of one distributed cluster: the contract must hold whichever is asked). The others
     * close with this one.
     */
    public TestServer askingInTurn(TestServer... others) {
        asked.add(server);
        for (TestServer other : others) {
            asked.add(other.server);
            closeAfter.add(other);
        }
        return this;
    }

    private int nextPort() {
        return asked.isEmpty() ? server.port() : asked.get(Math.floorMod(turn.getAndIncrement(), asked.size())).port();
    }

    public record Reply(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public Reply send(String method, String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nextPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body(), response);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Reply get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    public Reply post(String path, String body) {
        return send("POST", path, body);
    }

    public Reply put(String path, String body) {
        return send("PUT", path, body);
    }

    public Reply command(String json) {
        return post("/v1/commands", json);
    }

    /** Creates the asset, or finds it with the same scale (so a shared backend may already have it). */
    public void asset(String code, int scale) {
        Reply reply = put("/v1/assets/" + code, "{\"scale\": " + scale + "}");
        if (reply.status() != 201 && reply.status() != 200) {
            throw new AssertionError("asset " + code + ": " + reply);
        }
    }

    /** The state hash of GET /v1/admin/state (HTTP only, any backend). */
    public String stateHash() {
        return get("/v1/admin/state").json().get("stateHash").asText();
    }

    /** Waits for a condition (no fixed sleeps): polls every 10 ms up to the timeout. */
    public static void await(String what, long timeoutMs, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        List<AutoCloseable> all = new ArrayList<>();
        all.add(server);
        all.add(ledger);
        all.addAll(closeAfter.reversed());
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing the test server failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
