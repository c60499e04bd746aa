package jango.streams;

import jango.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The polling fallback: GET balances with If-None-Match and Prefer: wait. */
class LongPollTest {
    @TempDir
    Path dir;
    StreamsFixture jango;
    CountingLedger counting;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        jango = StreamsFixture.start(dir, c -> c, server -> {
        }, ledger -> counting = new CountingLedger(ledger));
        jango.http.asset("BTC", 8);
        jango.command("{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
    }

    @AfterEach
    void stop() {
        jango.close();
    }

    private CompletableFuture<HttpResponse<String>> poll(String etag, int waitSeconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(jango.url() + "/v1/accounts/u1/balances"))
                .header("If-None-Match", etag).header("Prefer", "wait=" + waitSeconds).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nothingNewIsA304AfterTheWaitWithoutReadingTheLedger() throws Exception {
        String etag = jango.http.get("/v1/accounts/u1/balances").header("etag");
        poll(etag, 1).get(10, TimeUnit.SECONDS); // the first question about u1 reads it once
        int readsBefore = counting.balanceReads.get();
        long started = System.nanoTime();
        HttpResponse<String> answer = poll(etag, 1).get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(304);
        assertThat(answer.headers().firstValue("etag")).hasValue(etag);
        assertThat(answer.headers().firstValue("preference-applied")).hasValue("wait=1");
        assertThat(System.nanoTime() - started).as("it waited").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
        assertThat(counting.balanceReads.get()).as("ledger balance reads").isEqualTo(readsBefore);
    }

    @Test
    void aChangeAnswersTheWaitingPollAtOnceWithTheNewBalances() throws Exception {
        String etag = jango.http.get("/v1/accounts/u1/balances").header("etag");
        CompletableFuture<HttpResponse<String>> waiting = poll(etag, 30);
        TestServer.await("the poll is waiting", 10_000, () -> jango.metrics.scrape().contains("jango_streams_longpolls_waiting 1.0"));
        assertThat(waiting).isNotDone();
        jango.command("{\"id\":\"d2\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
        HttpResponse<String> answer = waiting.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("\"available\":\"3\"").contains("\"revision\":2");
        assertThat(answer.headers().firstValue("etag")).isPresent().get().isNotEqualTo(etag);
        TestServer.await("no poll left waiting", 10_000, () -> jango.metrics.scrape().contains("jango_streams_longpolls_waiting 0.0"));
    }

    @Test
    void anOldEtagAnswersAtOnceAndNoWaitIsAPlainGet() throws Exception {
        HttpResponse<String> stale = poll("\"1-0\"", 30).get(10, TimeUnit.SECONDS);
        assertThat(stale.statusCode()).isEqualTo(200);
        String etag = stale.headers().firstValue("etag").orElseThrow();
        assertThat(jango.http.get("/v1/accounts/u1/balances", "If-None-Match", etag).status()).isEqualTo(304);
        assertThat(jango.http.get("/v1/accounts/u1/balances?asset=BTC", "If-None-Match", etag, "Prefer", "wait=0").status()).isEqualTo(304);
        assertThat(jango.http.get("/v1/accounts/u%20/balances", "If-None-Match", etag, "Prefer", "wait=5").status()).isEqualTo(400);
    }
}
