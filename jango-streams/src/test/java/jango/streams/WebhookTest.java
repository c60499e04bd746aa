package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WebhookTest {
    private static final String SECRET = "a-secret-of-24-characters";

    @TempDir
    Path dir;
    StreamsFixture jango;
    final java.util.List<TestReceiver> receivers = new java.util.ArrayList<>();

    @AfterEach
    void stop() {
        if (jango != null) {
            jango.close();
        }
        receivers.forEach(TestReceiver::close);
    }

    private void start(StreamsConfig.WebhookSettings settings) {
        jango = StreamsFixture.start(dir, c -> c.withWebhooks(settings));
        jango.http.asset("BTC", 8);
    }

    private TestReceiver receiver(TestReceiver.Behaviour behaviour) {
        TestReceiver receiver = new TestReceiver(SECRET, behaviour);
        receivers.add(receiver);
        return receiver;
    }

    private String subscribe(TestReceiver receiver, String filter) {
        TestServer.Reply reply = jango.http.post("/v1/webhooks", "{\"url\":\"" + receiver.url() + "\",\"secret\":\"" + SECRET + "\""
                + (filter == null ? "" : ",\"filter\":" + filter) + "}");
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        assertThat(reply.body()).doesNotContain(SECRET);
        return reply.json().get("id").asText();
    }

    private void deposit(String id, String account, int amount) {
        jango.command("{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + account + "\",\"asset\":\"BTC\",\"amount\":\"" + amount + "\"}");
    }

    /** account/asset/revision of every change history lists for {@code accounts}. */
    private Set<String> historyOf(String... accounts) {
        Set<String> all = new HashSet<>();
        for (String account : accounts) {
            for (JsonNode entry : jango.http.get("/v1/accounts/" + account + "/history?limit=1000").json().get("entries")) {
                all.add(account + "/" + entry.get("asset").asText() + "/" + entry.get("revision").asLong());
            }
        }
        return all;
    }

    private static Map<String, String> deliveredChanges(TestReceiver receiver) {
        Map<String, String> byEvent = new HashMap<>();
        for (TestReceiver.Received r : receiver.received()) {
            JsonNode data = TestServerJson.read(r.body()).get("data");
            String change = data.get("account").asText() + "/" + data.get("asset").asText() + "/" + data.get("revision").asLong();
            String before = byEvent.putIfAbsent(r.eventId(), change);
            assertThat(before == null || before.equals(change)).as("event %s is always the same change", r.eventId()).isTrue();
        }
        return byEvent;
    }

    @Test
    void aReceiverThatFailsHalfTheTimeAndTimesOutGetsEveryEventWithinTheRetryPolicy() {
        start(new StreamsConfig.WebhookSettings(6, 10, 100, 300, 10_000, 10, 4));
        // Every event fails its first attempt; every third one then times out once; then it is taken.
        TestReceiver flaky = receiver((eventId, attempt) -> attempt == 1 ? TestReceiver.Answer.FAIL
                : attempt == 2 && Math.floorMod(eventId.hashCode(), 3) == 0 ? TestReceiver.Answer.HANG : TestReceiver.Answer.OK);
        String id = subscribe(flaky, "{\"accounts\":[\"u1\",\"u2\"],\"types\":[\"deposit\",\"transfer\"]}");
        for (int i = 0; i < 15; i++) {
            deposit("d" + i, "u" + (1 + i % 3), 10 + i);
        }
        for (int i = 0; i < 10; i++) {
            jango.command("{\"id\":\"t" + i + "\",\"type\":\"transfer\",\"from\":\"u" + (1 + i % 3) + "\",\"to\":\"u" + (1 + (i + 1) % 3)
                    + "\",\"asset\":\"BTC\",\"amount\":\"1\"}");
        }
        Set<String> expected = historyOf("u1", "u2");
        TestServer.await("every event delivered", 30_000, () -> new HashSet<>(deliveredChanges(flaky).values()).containsAll(expected)
                && flaky.delivered().containsAll(deliveredChanges(flaky).keySet()));
        assertThat(new HashSet<>(deliveredChanges(flaky).values())).isEqualTo(expected);
        assertThat(flaky.received()).allMatch(TestReceiver.Received::signatureOk, "signature verifies");
        assertThat(flaky.received()).allMatch(r -> r.attempt() <= 6, "within 6 attempts");
        assertThat(flaky.received().stream().filter(r -> r.answer() != TestReceiver.Answer.OK).count())
                .as("failed attempts").isGreaterThanOrEqualTo(expected.size());
        TestServer.await("nothing pending", 10_000, () -> jango.http.get("/v1/webhooks/" + id).json().get("pending").asInt() == 0);
        JsonNode subscription = jango.http.get("/v1/webhooks/" + id).json();
        assertThat(subscription.get("dead").asInt()).isZero();
        assertThat(subscription.get("delivered").asInt()).isEqualTo(expected.size());
    }

    @Test
    void aReceiverThatNeverAnswersEndsDeadWithoutDelayingAnotherThenAnAdminReplaysIt() {
        start(new StreamsConfig.WebhookSettings(2, 20, 50, 2_000, 10_000, 10, 64));
        TestReceiver silent = receiver((eventId, attempt) -> TestReceiver.Answer.HANG);
        TestReceiver healthy = receiver((eventId, attempt) -> TestReceiver.Answer.OK);
        String silentId = subscribe(silent, "{\"accounts\":[\"u1\"]}");
        String healthyId = subscribe(healthy, "{\"accounts\":[\"u1\"]}");
        StringBuilder batch = new StringBuilder("{\"commands\":[");
        for (int i = 0; i < 20; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"id\":\"d" + i + "\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
        }
        assertThat(jango.http.post("/v1/commands/batch", batch.append("]}").toString()).status()).isEqualTo(200);

        TestServer.await("the healthy receiver has every event", 10_000, () -> healthy.delivered().size() == 20);
        JsonNode silentNow = jango.http.get("/v1/webhooks/" + silentId).json();
        assertThat(silentNow.get("dead").asInt()).as("the silent endpoint is still on its first attempts").isZero();
        assertThat(silentNow.get("pending").asInt()).isEqualTo(20);

        TestServer.await("the silent endpoint's deliveries are DEAD", 30_000,
                () -> jango.http.get("/v1/webhooks/" + silentId).json().get("dead").asInt() == 20);
        JsonNode dead = jango.http.get("/v1/webhooks/" + silentId + "/deliveries?state=DEAD").json().get("deliveries");
        assertThat(dead).hasSize(20);
        assertThat(dead.get(0).get("attempts").asInt()).isEqualTo(2);
        assertThat(dead.get(0).get("lastError").asText()).containsIgnoringCase("timeout");
        assertThat(jango.metrics.scrape()).contains("jango_webhook_dead 20.0");
        assertThat(silent.received()).hasSize(40);

        silent.behaviour = (eventId, attempt) -> TestReceiver.Answer.OK;
        TestServer.Reply replay = jango.http.post("/v1/admin/webhooks/" + silentId + "/replay", "");
        assertThat(replay.json().get("replayed").asInt()).isEqualTo(20);
        TestServer.await("the replayed events arrive", 10_000, () -> silent.delivered().size() == 20);
        TestServer.await("none dead", 10_000, () -> jango.http.get("/v1/webhooks/" + silentId).json().get("dead").asInt() == 0);
        assertThat(jango.http.get("/v1/webhooks/" + healthyId).json().get("delivered").asInt()).isEqualTo(20);
    }

    /**
     * With no subscription the ingest reads no change and only follows the feed's end: a
     * subscription made later gets every change from then on and none from before it.
     */
    @Test
    void aSubscriptionGetsEveryChangeAfterItIsMadeAndNoneMadeWhileThereWasNone() throws InterruptedException {
        start(new StreamsConfig.WebhookSettings(6, 10, 100, 300, 10_000, 10, 4));
        for (int i = 0; i < 5; i++) {
            deposit("before" + i, "u1", 1);
        }
        Thread.sleep(1_500); // the idle ingest moves to the end twice a second
        TestReceiver receiver = receiver((eventId, attempt) -> TestReceiver.Answer.OK);
        subscribe(receiver, "{\"accounts\":[\"u1\"]}");
        for (int i = 0; i < 4; i++) {
            deposit("after" + i, "u1", 1);
        }
        Set<String> after = Set.of("u1/BTC/6", "u1/BTC/7", "u1/BTC/8", "u1/BTC/9");
        TestServer.await("the changes after the subscription delivered", 10_000,
                () -> new HashSet<>(deliveredChanges(receiver).values()).containsAll(after));
        Thread.sleep(500);
        assertThat(new HashSet<>(deliveredChanges(receiver).values())).isEqualTo(after);
    }

    @Test
    void pendingDeliveriesAndSubscriptionsSurviveARestart() {
        start(new StreamsConfig.WebhookSettings(50, 50, 200, 1_000, 10_000, 10, 4));
        TestReceiver down = receiver((eventId, attempt) -> TestReceiver.Answer.FAIL);
        String id = subscribe(down, "{\"accounts\":[\"u1\"]}");
        for (int i = 0; i < 10; i++) {
            deposit("d" + i, "u1", 1);
        }
        TestServer.await("attempts under way", 10_000, () -> down.received().size() >= 10);
        jango.close();
        down.behaviour = (eventId, attempt) -> TestReceiver.Answer.OK;
        jango = StreamsFixture.start(dir, c -> c.withWebhooks(new StreamsConfig.WebhookSettings(50, 50, 200, 1_000, 10_000, 10, 4)));
        assertThat(jango.http.get("/v1/webhooks").json().get("webhooks").get(0).get("id").asText()).isEqualTo(id);
        TestServer.await("every event delivered after the restart", 20_000, () -> down.delivered().size() == 10);
        deposit("d10", "u1", 1);
        TestServer.await("and new ones", 10_000, () -> down.delivered().size() == 11);
        assertThat(deliveredChanges(down).values()).doesNotHaveDuplicates().hasSize(11);
    }

    @Test
    void subscriptionsAreCheckedFieldByField() {
        start(StreamsConfig.WebhookSettings.DEFAULTS);
        assertThat(jango.http.post("/v1/webhooks", "{\"url\":\"ftp://x\",\"secret\":\"" + SECRET + "\"}").json().get("message").asText())
                .startsWith("url: ");
        assertThat(jango.http.post("/v1/webhooks", "{\"url\":\"http://x/h\",\"secret\":\"short\"}").json().get("message").asText())
                .startsWith("secret: 5 characters");
        assertThat(jango.http.post("/v1/webhooks", "{\"url\":\"http://x/h\",\"secret\":\"" + SECRET + "\",\"filter\":{\"accounts\":[\"a b\"]}}")
                .json().get("message").asText()).startsWith("filter.accounts[0]: ");
        assertThat(jango.http.post("/v1/webhooks", "{\"url\":\"http://x/h\",\"secret\":\"" + SECRET + "\",\"colour\":1}").status()).isEqualTo(400);
        assertThat(jango.http.post("/v1/webhooks", "{\"url\":\"http://x/h\"}").json().get("message").asText()).isEqualTo("secret: is missing");
        assertThat(jango.http.get("/v1/webhooks/wh_nope").status()).isEqualTo(404);
        assertThat(jango.http.get("/v1/webhooks").json().get("webhooks")).isEmpty();
    }
}
