package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jango.postgres.PgConfig;
import jango.postgres.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jango channel} killed with -9 while the ledger's changes stream into it, then started again:
 * it resumes from the position it stored with its last batch, and {@code jango channel resync
 * --dry-run} then finds the copy equal to the ledger (entries and a checksum per account and asset).
 * The ledger ({@code jango serve}), the channel and the resync are each their own JVM; PostgreSQL is real.
 */
class ChannelCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void killNineMidStreamThenRestartGivesACopyEqualToTheLedger(@TempDir Path dir) throws Exception {
        try (TestPostgres postgres = TestPostgres.start(dir.resolve("pg"))) {
            PgConfig db = postgres.createDatabase("channel");
            Child ledger = Child.serve(dir.resolve("data"), dir.resolve("serve.log"));
            try {
                send(ledger.url() + "/v1/assets/KRW", "PUT", "{\"scale\": 0}");
                AtomicBoolean loading = new AtomicBoolean(true);
                AtomicInteger batches = new AtomicInteger();
                Thread load = Thread.ofPlatform().start(() -> load(ledger.url(), loading, batches));
                String[] channelArgs = {"channel", "--ledger", ledger.url(), "--postgres", db.jdbcUrl(), "--pg-user", db.user(),
                        "--pg-password", db.password(), "--port", "0"};
                Child channel = Child.start(dir.resolve("channel-1.log"), channelArgs);
                TestWait.until("the copy has entries", 60_000, () -> entries(channel.url()) > 500);
                channel.kill9();
                int batchesAtKill = batches.get();
                TestWait.until("more load after the kill", 60_000, () -> batches.get() > batchesAtKill + 5);
                Child restarted = Child.start(dir.resolve("channel-2.log"), channelArgs);
                try {
                    TestWait.until("more load after the restart", 60_000, () -> batches.get() > batchesAtKill + 10);
                    loading.set(false);
                    load.join();
                    Child.Result resync = null;
                    for (int attempt = 0; attempt < 20; attempt++) {
                        resync = Child.run(dir.resolve("resync-" + attempt + ".log"), "channel", "resync", "--dry-run", "--ledger", ledger.url(),
                                "--postgres", db.jdbcUrl(), "--pg-user", db.user(), "--pg-password", db.password());
                        if (resync.exitCode() == 0) {
                            break;
                        }
                    }
                    assertThat(resync.exitCode()).as(resync.output()).isZero();
                    assertThat(resync.output()).contains("resync: EQUAL");
                    System.out.println("channel crash test: " + batches.get() + " batches; " + entries(restarted.url()) + " entries copied; "
                            + resync.output().lines().filter(l -> l.startsWith("resync: ")).findFirst().orElse(""));
                } finally {
                    restarted.stop();
                }
            } finally {
                ledger.stop();
            }
        }
    }

    /** Batches of deposits and transfers among 20 users until told to stop. */
    private void load(String url, AtomicBoolean loading, AtomicInteger batches) {
        Random random = new Random(42);
        int n = 0;
        while (loading.get()) {
            StringBuilder batch = new StringBuilder("{\"commands\":[");
            for (int i = 0; i < 50; i++, n++) {
                int from = random.nextInt(20);
                int to = (from + 1 + random.nextInt(19)) % 20;
                batch.append(i == 0 ? "" : ",").append(n % 4 == 0
                        ? "{\"id\":\"c" + n + "\",\"type\":\"deposit\",\"account\":\"u" + from + "\",\"asset\":\"KRW\",\"amount\":\"1000\"}"
                        : "{\"id\":\"c" + n + "\",\"type\":\"transfer\",\"from\":\"u" + from + "\",\"to\":\"u" + to + "\",\"asset\":\"KRW\",\"amount\":\"" + (1 + n % 97) + "\"}");
            }
            try {
                HttpResponse<String> answer = send(url + "/v1/commands/batch", "POST", batch.append("]}").toString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                batches.incrementAndGet();
            } catch (Exception e) {
                throw new AssertionError("load failed", e);
            }
        }
    }

    private long entries(String channelUrl) {
        try {
            HttpResponse<String> status = send(channelUrl + "/v1/channel/status", "GET", null);
            JsonNode node = JSON.readTree(status.body());
            return node.get("entries").asLong();
        } catch (Exception e) {
            return -1;
        }
    }

    private HttpResponse<String> send(String url, String method, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
