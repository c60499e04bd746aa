package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseStreamTest {
    @TempDir
    Path dir;
    StreamsFixture jango;

    @BeforeEach
    void start() {
        jango = StreamsFixture.start(dir, c -> c.withTimes(100, 2_000, 60_000, 500));
        jango.http.asset("BTC", 8);
        jango.http.asset("KRW", 0);
    }

    @AfterEach
    void stop() {
        jango.close();
    }

    private void deposit(String id, String account, String asset, String amount) {
        jango.command("{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + account + "\",\"asset\":\"" + asset
                + "\",\"amount\":\"" + amount + "\"}");
    }

    @Test
    void aStreamStartsWithTheBalancesThenSendsEveryChangeWithItsPosition() {
        deposit("d1", "u1", "BTC", "1.5");
        StreamsFixture.SseClient client = jango.sse("/v1/accounts/u1/stream", null);
        TestServer.await("snapshot", 5_000, () -> !client.events("snapshot").isEmpty());
        assertThat(client.status).isEqualTo(200);
        JsonNode snapshot = client.data("snapshot").get(0);
        assertThat(snapshot.get("balances").get(0).get("available").asText()).isEqualTo("1.5");
        assertThat(client.events("snapshot").get(0).id()).isEqualTo("BTC:1");

        deposit("d2", "u1", "KRW", "5000");
        jango.command("{\"id\":\"t1\",\"type\":\"transfer\",\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"BTC\",\"amount\":\"0.5\"}");
        deposit("d3", "u2", "BTC", "7"); // another account: not in this stream
        TestServer.await("two changes", 5_000, () -> client.events("balance").size() >= 2);
        List<JsonNode> changes = client.data("balance");
        assertThat(changes).hasSize(2);
        assertThat(changes.get(0).get("asset").asText()).isEqualTo("KRW");
        assertThat(changes.get(0).get("available").asText()).isEqualTo("5000");
        assertThat(changes.get(1).get("availableDelta").asText()).isEqualTo("-0.5");
        assertThat(changes.get(1).get("revision").asLong()).isEqualTo(2);
        assertThat(changes.get(1).get("commandId").asText()).isEqualTo("t1");
        assertThat(client.events("balance").get(1).id()).isEqualTo("BTC:2,KRW:1");
        TestServer.await("a heartbeat", 5_000, () -> client.events().stream().anyMatch(e -> e.comment()));
    }

    @Test
    void aReconnectWithLastEventIdGetsWhatItMissedFromHistoryThenLiveChangesWithNoGapOrDuplicate() {
        deposit("d1", "u1", "BTC", "1");
        StreamsFixture.SseClient first = jango.sse("/v1/accounts/u1/stream", null);
        TestServer.await("snapshot", 5_000, () -> !first.events("snapshot").isEmpty());
        deposit("d2", "u1", "BTC", "1");
        TestServer.await("one change", 5_000, () -> first.events("balance").size() == 1);
        String position = first.lastId();
        first.reader.cancel();
        for (int i = 3; i <= 7; i++) {
            deposit("d" + i, "u1", i % 2 == 0 ? "BTC" : "KRW", "1");
        }
        StreamsFixture.SseClient second = jango.sse("/v1/accounts/u1/stream", position);
        TestServer.await("missed changes", 5_000, () -> second.events("balance").size() == 5);
        deposit("d8", "u1", "BTC", "1");
        TestServer.await("the live one", 5_000, () -> second.events("balance").size() == 6);
        List<String> seen = second.data("balance").stream().map(c -> c.get("asset").asText() + ":" + c.get("revision").asLong()).toList();
        assertThat(seen).containsExactly("KRW:1", "BTC:3", "KRW:2", "BTC:4", "KRW:3", "BTC:5");
        assertThat(second.events("snapshot")).isEmpty();
        assertThat(second.lastId()).isEqualTo("BTC:5,KRW:3");
    }

    @Test
    void aPositionTooFarBackOrMalformedOrAheadIsRefusedBeforeTheStreamStarts() {
        jango.close();
        jango = StreamsFixture.start(dir.resolve("small"), c -> new StreamsConfig(c.dataDir(), 1_024, 100, 2_000, 60_000, 500, 3,
                10, 10, 5, 100, 1_000, 1_000, c.webhooks(), c.clockMillis()));
        jango.http.asset("BTC", 8);
        for (int i = 0; i < 5; i++) {
            deposit("d" + i, "u1", "BTC", "1");
        }
        assertThat(jango.http.get("/v1/accounts/u1/stream?from=BTC:1").status()).isEqualTo(409);
        assertThat(jango.http.get("/v1/accounts/u1/stream?from=BTC:1").json().get("error").asText()).isEqualTo("RESUME_TOO_FAR");
        assertThat(jango.http.get("/v1/accounts/u1/stream?from=BTC:9").json().get("error").asText()).isEqualTo("RESUME_AHEAD");
        TestServer.Reply bad = jango.http.get("/v1/accounts/u1/stream", "Last-Event-ID", "BTC:x");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("message").asText()).startsWith("Last-Event-ID: ");
        assertThat(jango.http.get("/v1/accounts/u%20/stream").status()).isEqualTo(400);
        assertThat(jango.http.get("/v1/accounts/u1/stream?asset=btc").status()).isEqualTo(400);
    }
}
