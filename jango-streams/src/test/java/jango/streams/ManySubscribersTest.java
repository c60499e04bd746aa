package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer;
import jango.streams.client.SseReader;
import jango.streams.live.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hundreds of SSE and WebSocket subscribers while commands flow from several clients: each sees
 * every revision of its accounts exactly once and in order, with the values history has, across a
 * reconnect that resumes from its last position. Longer with -Django.streams.long=true.
 */
class ManySubscribersTest {
    private static final boolean LONG = Boolean.getBoolean("jango.streams.long");
    private static final int ACCOUNTS = 40;
    private static final int SSE_SUBSCRIBERS = LONG ? 600 : 200;
    private static final int SOCKETS = LONG ? 200 : 60;
    private static final int ACCOUNTS_PER_SOCKET = 3;
    private static final int LOAD_THREADS = 4;
    private static final int BATCHES_PER_THREAD = LONG ? 100 : 20;
    private static final int COMMANDS_PER_BATCH = 50;

    @TempDir
    Path dir;
    StreamsFixture jango;

    @AfterEach
    void stop() {
        if (jango != null) {
            jango.close();
        }
    }

    /** What one subscriber saw of one (account, asset): where it started and every revision after. */
    static final class Seen {
        long base = -1;
        final List<Long> revisions = new ArrayList<>();
        final List<String> available = new ArrayList<>();
    }

    @Test
    void everySubscriberSeesEveryRevisionOnceInOrderAcrossAReconnect() throws Exception {
        jango = StreamsFixture.start(dir, c -> c.withTimes(1_000, 30_000, 600_000, 1_000));
        jango.http.asset("BTC", 8);
        jango.http.asset("KRW", 0);
        for (int a = 0; a < ACCOUNTS; a++) {
            jango.command(deposit("seed-" + a, "u" + a, "KRW", 1_000_000));
        }

        List<SseSubscriber> sse = new ArrayList<>();
        for (int i = 0; i < SSE_SUBSCRIBERS; i++) {
            sse.add(new SseSubscriber("u" + (i % ACCOUNTS)));
        }
        List<SocketSubscriber> sockets = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            List<String> accounts = new ArrayList<>();
            for (int k = 0; k < ACCOUNTS_PER_SOCKET; k++) {
                accounts.add("u" + ((i * 7 + k * 13) % ACCOUNTS));
            }
            sockets.add(new SocketSubscriber(accounts.stream().distinct().toList()));
        }
        sse.forEach(SseSubscriber::connect);
        sockets.forEach(SocketSubscriber::connect);
        TestServer.await("every subscriber started", 60_000, () -> sse.stream().allMatch(SseSubscriber::started)
                && sockets.stream().allMatch(SocketSubscriber::started));

        runLoad(0);
        // Everyone drops and comes back from where it was, while the second half of the load runs.
        ExecutorService reconnect = Executors.newSingleThreadExecutor();
        Future<?> reconnecting = reconnect.submit(() -> {
            sse.forEach(SseSubscriber::reconnect);
            sockets.forEach(SocketSubscriber::reconnect);
        });
        runLoad(1);
        reconnecting.get();
        reconnect.shutdown();

        Map<String, Long> finalRevisions = finalRevisions();
        TestServer.await("every subscriber caught up", 120_000, () -> sse.stream().allMatch(s -> s.caughtUp(finalRevisions))
                && sockets.stream().allMatch(s -> s.caughtUp(finalRevisions)));
        Map<String, String> truth = historyValues();
        long delivered = sse.stream().mapToLong(s -> s.seen.values().stream().mapToLong(x -> x.revisions.size()).sum()).sum();
        assertThat(delivered).as("changes delivered to the SSE subscribers").isGreaterThan(SSE_SUBSCRIBERS * 20L);
        for (SseSubscriber subscriber : sse) {
            check(subscriber.seen, finalRevisions, truth, "sse " + subscriber.account);
        }
        for (SocketSubscriber subscriber : sockets) {
            check(subscriber.seen, finalRevisions, truth, "socket " + subscriber.accounts);
        }
        assertThat(jango.streams.metrics().closedCount(CloseReason.GAP)).isZero();
    }

    private void runLoad(int half) throws Exception {
        ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < LOAD_THREADS; t++) {
            int thread = t;
            done.add(load.submit(() -> {
                Random random = new Random(thread * 31L + half);
                for (int b = 0; b < BATCHES_PER_THREAD / 2; b++) {
                    StringBuilder batch = new StringBuilder("{\"commands\":[");
                    for (int c = 0; c < COMMANDS_PER_BATCH; c++) {
                        String id = "h" + half + "-t" + thread + "-b" + b + "-c" + c;
                        String from = "u" + random.nextInt(ACCOUNTS);
                        String to = "u" + random.nextInt(ACCOUNTS);
                        batch.append(c == 0 ? "" : ",").append(random.nextInt(4) == 0 || from.equals(to)
                                ? deposit(id, from, "BTC", 1 + random.nextInt(100))
                                : "{\"id\":\"" + id + "\",\"type\":\"transfer\",\"from\":\"" + from + "\",\"to\":\"" + to
                                + "\",\"asset\":\"KRW\",\"amount\":\"" + (1 + random.nextInt(1_000)) + "\"}");
                    }
                    TestServer.Reply reply = jango.http.post("/v1/commands/batch", batch.append("]}").toString());
                    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        load.shutdown();
    }

    private static String deposit(String id, String account, String asset, long amount) {
        return "{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + account + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"}";
    }

    /** account/asset -> revision now. */
    private Map<String, Long> finalRevisions() {
        Map<String, Long> revisions = new HashMap<>();
        for (int a = 0; a < ACCOUNTS; a++) {
            for (JsonNode balance : jango.http.get("/v1/accounts/u" + a + "/balances").json().get("balances")) {
                revisions.put("u" + a + "/" + balance.get("asset").asText(), balance.get("revision").asLong());
            }
        }
        return revisions;
    }

    /** account/asset/revision -> available, from history. */
    private Map<String, String> historyValues() {
        Map<String, String> values = new HashMap<>();
        for (int a = 0; a < ACCOUNTS; a++) {
            String cursor = null;
            do {
                JsonNode page = jango.http.get("/v1/accounts/u" + a + "/history?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
                for (JsonNode entry : page.get("entries")) {
                    values.put("u" + a + "/" + entry.get("asset").asText() + "/" + entry.get("revision").asLong(), entry.get("available").asText());
                }
                cursor = page.get("next").isNull() ? null : page.get("next").asText();
            } while (cursor != null);
        }
        return values;
    }

    private static void check(Map<String, Seen> seen, Map<String, Long> finalRevisions, Map<String, String> truth, String who) {
        seen.forEach((key, s) -> {
            long expectedFinal = finalRevisions.getOrDefault(key, 0L);
            List<Long> expected = new ArrayList<>();
            for (long r = s.base + 1; r <= expectedFinal; r++) {
                expected.add(r);
            }
            assertThat(s.revisions).as("%s %s from %d", who, key, s.base).isEqualTo(expected);
            for (int i = 0; i < s.revisions.size(); i++) {
                assertThat(s.available.get(i)).as("%s %s revision %d", who, key, s.revisions.get(i))
                        .isEqualTo(truth.get(key + "/" + s.revisions.get(i)));
            }
        });
    }

    /** Records a snapshot's balances as each (account, asset)'s base, and each change after it. */
    private static void record(Map<String, Seen> seen, String account, JsonNode snapshotBalances, JsonNode change) {
        synchronized (seen) {
            if (snapshotBalances != null) {
                for (JsonNode balance : snapshotBalances) {
                    seen.computeIfAbsent(account + "/" + balance.get("asset").asText(), k -> new Seen()).base = balance.get("revision").asLong();
                }
                for (String asset : List.of("BTC", "KRW")) {
                    Seen s = seen.computeIfAbsent(account + "/" + asset, k -> new Seen());
                    if (s.base < 0) {
                        s.base = 0;
                    }
                }
                return;
            }
            Seen s = seen.get(account + "/" + change.get("asset").asText());
            s.revisions.add(change.get("revision").asLong());
            s.available.add(change.get("available").asText());
        }
    }

    private static boolean caughtUp(Map<String, Seen> seen, Map<String, Long> finalRevisions) {
        synchronized (seen) {
            for (Map.Entry<String, Seen> entry : seen.entrySet()) {
                Seen s = entry.getValue();
                long last = s.revisions.isEmpty() ? s.base : s.revisions.get(s.revisions.size() - 1);
                if (last < finalRevisions.getOrDefault(entry.getKey(), 0L)) {
                    return false;
                }
            }
            return !seen.isEmpty();
        }
    }

    final class SseSubscriber {
        final String account;
        final Map<String, Seen> seen = new HashMap<>();
        String position;
        volatile boolean started;
        SseReader reader;

        SseSubscriber(String account) {
            this.account = account;
        }

        boolean started() {
            return started;
        }

        void connect() {
            open(null);
        }

        /** Drops the connection; what arrives on it afterwards is ignored, so the position is exact. */
        void reconnect() {
            String from;
            synchronized (this) {
                reader.cancel();
                from = position;
            }
            open(from);
        }

        private void open(String from) {
            SseReader[] self = new SseReader[1];
            self[0] = new SseReader(event -> handle(self[0], event));
            synchronized (this) {
                reader = self[0];
            }
            var headers = com.linecorp.armeria.common.RequestHeaders.builder(com.linecorp.armeria.common.HttpMethod.GET,
                    "/v1/accounts/" + account + "/stream");
            if (from != null) {
                headers.add("last-event-id", from);
            }
            jango.webClient().execute(headers.build()).subscribe(self[0]);
        }

        private synchronized void handle(SseReader from, SseReader.Event event) {
            if (from != reader || event.comment() || event.event() == null) {
                return;
            }
            JsonNode data = json(event.data());
            switch (event.event()) {
                case "snapshot" -> {
                    record(seen, account, data.get("balances"), null);
                    started = true;
                }
                case "balance" -> record(seen, account, null, data);
                default -> {
                    return;
                }
            }
            position = event.id();
        }

        boolean caughtUp(Map<String, Long> finalRevisions) {
            return ManySubscribersTest.caughtUp(seen, finalRevisions);
        }
    }

    final class SocketSubscriber {
        final List<String> accounts;
        final Map<String, Seen> seen = new HashMap<>();
        final Map<String, String> positions = new java.util.concurrent.ConcurrentHashMap<>();
        volatile SocketClient client;
        volatile int handled;

        SocketSubscriber(List<String> accounts) {
            this.accounts = accounts;
        }

        void connect() {
            client = SocketClient.connect(jango.clients, jango.http.port());
            accounts.forEach(a -> client.subscribe(a, null));
        }

        boolean started() {
            drain();
            return client.messages("subscribed").size() >= accounts.size();
        }

        void reconnect() {
            drain();
            client.close();
            SocketClient next = SocketClient.connect(jango.clients, jango.http.port());
            handled = 0;
            client = next;
            accounts.forEach(a -> next.subscribe(a, positions.get(a)));
        }

        synchronized void drain() {
            List<JsonNode> messages = client.messages();
            for (; handled < messages.size(); handled++) {
                JsonNode m = messages.get(handled);
                switch (m.get("type").asText()) {
                    case "snapshot" -> record(seen, m.get("account").asText(), m.get("balances"), null);
                    case "balance" -> record(seen, m.get("account").asText(), null, m.get("change"));
                    default -> {
                        continue;
                    }
                }
                positions.put(m.get("account").asText(), m.get("position").asText());
            }
        }

        boolean caughtUp(Map<String, Long> finalRevisions) {
            drain();
            return ManySubscribersTest.caughtUp(seen, finalRevisions);
        }
    }

    private static JsonNode json(String text) {
        try {
            return TestServer.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
