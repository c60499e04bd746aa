package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.server.JangoMetrics;
import jango.server.JangoServer;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A first end-to-end load loop over the real HTTP API, journal fsynced as in production: single
 * commands one at a time (latency) and batches of two-account transfers from several clients
 * (throughput). Percentiles by HdrHistogram. The full exchange-day benchmark is a later issue.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure single-command latency and batch throughput end to end over HTTP.")
final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", description = "a running Jango to measure (default: start one in a temporary data dir)")
    String url;

    @Option(names = "--duration", defaultValue = "10", description = "seconds of batch load (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--concurrency", defaultValue = "4", description = "clients sending batches (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--batch", defaultValue = "1000", description = "transfers per batch request (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--accounts", defaultValue = "10000", description = "accounts (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--singles", defaultValue = "2000", description = "single commands sent one at a time (default: ${DEFAULT-VALUE})")
    int singles;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String run = Long.toString(System.currentTimeMillis(), 36);

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || batchSize > JangoServer.MAX_BATCH_COMMANDS || concurrency < 1 || accounts < 2 || durationSeconds < 1) {
            System.err.println("bench: --batch 1..10000, --concurrency >= 1, --accounts >= 2, --duration >= 1");
            return 2;
        }
        Path tempDir = null;
        EmbeddedLedger ledger = null;
        JangoServer server = null;
        if (url == null) {
            tempDir = Files.createTempDirectory("jango-bench");
            JangoMetrics metrics = new JangoMetrics();
            ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(tempDir), metrics);
            server = new JangoServer(ledger, metrics, "127.0.0.1", 0).start();
            url = "http://127.0.0.1:" + server.port();
            System.out.println("bench: started an embedded Jango at " + url + " (data " + tempDir + ", journal fsynced per batch)");
        }
        try {
            setUp();
            singleCommands();
            batches();
            check();
            return 0;
        } finally {
            if (server != null) {
                server.close();
                ledger.close();
                deleteTree(tempDir);
            }
        }
    }

    private void setUp() throws Exception {
        send("PUT", "/v1/assets/BENCH", "{\"scale\": 2}");
        for (int from = 0; from < accounts; from += JangoServer.MAX_BATCH_COMMANDS) {
            StringBuilder body = new StringBuilder("{\"commands\":[");
            for (int a = from; a < Math.min(accounts, from + JangoServer.MAX_BATCH_COMMANDS); a++) {
                body.append(a == from ? "" : ",").append("{\"id\":\"").append(run).append("-fund-").append(a)
                        .append("\",\"type\":\"deposit\",\"account\":\"acct").append(a).append("\",\"asset\":\"BENCH\",\"amount\":\"1000000000\"}");
            }
            expect200(send("POST", "/v1/commands/batch", body.append("]}").toString()));
        }
        System.out.println("bench: funded " + accounts + " accounts");
    }

    private void singleCommands() throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(10), 3);
        SplittableRandom random = new SplittableRandom(1);
        long started = System.nanoTime();
        for (int i = 0; i < singles; i++) {
            String body = transfer(run + "-s-" + i, random);
            long t0 = System.nanoTime();
            expect200(send("POST", "/v1/commands", body));
            latency.recordValue((System.nanoTime() - t0) / 1_000);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("single: %d transfers one at a time, %.0f/s, latency p50=%s p99=%s p99.9=%s max=%s%n",
                singles, singles / seconds, ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)),
                ms(latency.getValueAtPercentile(99.9)), ms(latency.getMaxValue()));
    }

    private void batches() throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicLong commands = new AtomicLong();
        AtomicLong applied = new AtomicLong();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(durationSeconds);
        List<Thread> clients = new ArrayList<>();
        long started = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            clients.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(100 + client);
                int n = 0;
                while (System.nanoTime() < deadline) {
                    StringBuilder body = new StringBuilder(batchSize * 120).append("{\"commands\":[");
                    for (int i = 0; i < batchSize; i++) {
                        body.append(i == 0 ? "" : ",").append(transfer(run + "-b" + client + "-" + n++, random));
                    }
                    body.append("]}");
                    try {
                        long t0 = System.nanoTime();
                        HttpResponse<String> response = send("POST", "/v1/commands/batch", body.toString());
                        long micros = (System.nanoTime() - t0) / 1_000;
                        expect200(response);
                        synchronized (latency) {
                            latency.recordValue(micros);
                        }
                        commands.addAndGet(batchSize);
                        applied.addAndGet(count(response.body(), "\"APPLIED\""));
                    } catch (Exception e) {
                        System.err.println("bench: client " + client + " failed: " + e);
                        return;
                    }
                }
            }));
        }
        long lastReport = System.nanoTime();
        while (clients.stream().anyMatch(Thread::isAlive)) {
            clients.get(0).join(200);
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(1)) {
                lastReport = System.nanoTime();
                System.err.printf("bench: %.0f s, %d commands%n", (lastReport - started) / 1e9, commands.get());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("batch: %d clients x %d transfers per request for %.1f s: %.0f commands/s, %.0f applied transfers/s = %.0f balance changes/s%n",
                concurrency, batchSize, seconds, commands.get() / seconds, applied.get() / seconds, 2 * applied.get() / seconds);
        System.out.printf("batch: request latency p50=%s p99=%s p99.9=%s max=%s (%d requests)%n",
                ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)),
                ms(latency.getValueAtPercentile(99.9)), ms(latency.getMaxValue()), latency.getTotalCount());
    }

    /** A fast wrong run must not pass: the service is healthy and the results are stored. */
    private void check() throws Exception {
        expect200(send("GET", "/health", null));
        HttpResponse<String> stored = send("GET", "/v1/commands/" + run + "-s-0", null);
        expect200(stored);
        JsonNode state = JSON.readTree(send("GET", "/v1/admin/state", null).body());
        System.out.println("bench: health UP, results stored, state seq=" + state.get("seq").asLong() + " hash=" + state.get("stateHash").asText());
    }

    private String transfer(String id, SplittableRandom random) {
        int from = random.nextInt(accounts);
        int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
        return "{\"id\":\"" + id + "\",\"type\":\"transfer\",\"from\":\"acct" + from + "\",\"to\":\"acct" + to
                + "\",\"asset\":\"BENCH\",\"amount\":\"" + (1 + random.nextInt(1000)) + ".25\"}";
    }

    private HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect200(HttpResponse<String> response) {
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            String body = response.body();
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + body.substring(0, Math.min(300, body.length())));
        }
    }

    private static long count(String text, String token) {
        long n = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }

    private static String ms(long micros) {
        return String.format("%.2fms", micros / 1000.0);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
