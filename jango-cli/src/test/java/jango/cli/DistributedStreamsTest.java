package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.sun.net.httpserver.HttpServer;
import jango.channel.Channel;
import jango.channel.ChannelConfig;
import jango.channel.LedgerClient;
import jango.channel.Resync;
import jango.channel.TopicChangeSource;
import jango.kafka.Shards;
import jango.postgres.PgConfig;
import jango.server.TestServer;
import jango.streams.client.SseReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The channel side in distributed mode, against 2 shards, fed from the change-events topic: live
 * streams (each sees every revision of its account once and in order, across a reconnect with
 * {@code Last-Event-ID}), webhooks (event ids name the shard), and the channel copy read from the
 * topic (it equals the ledger, account by account).
 */
class DistributedStreamsTest {
    private static final String NAME = "DistributedStreamsTest";
    private static final Pattern EVENT_ID = Pattern.compile("evt_(\\d+)_(\\d+)_(\\d+)");

    @TempDir
    static Path streamsDir;
    static TestServer server;
    static final ClientFactory clients = ClientFactory.builder().idleTimeout(Duration.ZERO).build();

    @BeforeAll
    static void start() throws Exception {
        server = DistributedInfra.streamsServer(NAME, 2, streamsDir.resolve("streams"));
        server.asset(ShardedWorkload.ASSET, 0);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        clients.close();
    }

    @Test
    void everyStreamSeesEveryRevisionOnceInOrderAcrossAReconnectAndWebhooksNameTheShard() throws Exception {
        List<String> users = ShardedWorkload.users(2, 6);
        Map<String, Integer> start = new HashMap<>();
        for (String user : users) {
            start.put(user, revision(user)); // the deposits of an earlier test may be there
        }
        List<JsonNode> hooked = new CopyOnWriteArrayList<>();
        HttpServer receiver = receiver(hooked);
        try {
            TestServer.Reply created = server.post("/v1/webhooks", "{\"url\":\"http://127.0.0.1:" + receiver.getAddress().getPort()
                    + "/hook\",\"secret\":\"0123456789abcdef0123\",\"filter\":{\"accounts\":" + TestServer.JSON.writeValueAsString(users) + "}}");
            assertThat(created.status()).as(created.toString()).isEqualTo(201);

            Map<String, Stream> streams = new TreeMap<>();
            for (String user : users) {
                streams.put(user, Stream.open("/v1/accounts/" + user + "/stream", null));
            }
            TestServer.await("every stream's snapshot", 30_000, () -> streams.values().stream().allMatch(s -> !s.events("snapshot").isEmpty()));
            List<String> commands = ShardedWorkload.commands(new Random(23), users, 240, "s");
            ShardedWorkload.run(server, commands.subList(0, commands.size() / 2));
            // Every client drops its connection and comes back with the position it had.
            Map<String, Stream> resumed = new TreeMap<>();
            for (Map.Entry<String, Stream> entry : streams.entrySet()) {
                resumed.put(entry.getKey(), Stream.open("/v1/accounts/" + entry.getKey() + "/stream", entry.getValue().stop()));
            }
            ShardedWorkload.run(server, commands.subList(commands.size() / 2, commands.size()));

            for (String user : users) {
                int last = revision(user);
                TestServer.await(user + "'s stream at revision " + last, 30_000,
                        () -> revisionsSeen(streams.get(user), resumed.get(user)).stream().mapToLong(Long::longValue).max().orElse(0) >= last);
                List<Long> seen = revisionsSeen(streams.get(user), resumed.get(user));
                List<Long> expected = new ArrayList<>();
                for (long r = start.get(user) + 1; r <= last; r++) {
                    expected.add(r);
                }
                assertThat(seen).as(user + ": every revision after the first snapshot, once, in order").isEqualTo(expected);
                assertThat(resumed.get(user).events("balance")).as(user + " resumed with changes after its position").isNotEmpty();
                assertAmountsAsInHistory(user, streams.get(user), resumed.get(user));
            }

            TestServer.Reply system = server.get("/v1/accounts/@fees/stream");
            assertThat(system.status()).as(system.toString()).isEqualTo(409);
            assertThat(system.body()).contains("NOT_STREAMED");

            // Webhooks: one event per change of the followed accounts, its id naming the shard, seq and place.
            long changes = 0;
            for (String user : users) {
                changes += revision(user) - start.get(user);
            }
            long wanted = changes;
            TestServer.await("every change delivered to the webhook", 60_000,
                    () -> hooked.stream().map(e -> e.get("id").asText()).distinct().count() >= wanted);
            Shards shards = new Shards(2);
            Set<String> ids = ConcurrentHashMap.newKeySet();
            for (JsonNode event : hooked) {
                Matcher id = EVENT_ID.matcher(event.get("id").asText());
                assertThat(id.matches()).as(event.toString()).isTrue();
                JsonNode data = event.get("data");
                assertThat(Integer.parseInt(id.group(1))).isEqualTo(shards.of(data.get("account").asText())).isEqualTo(data.get("shard").asInt());
                assertThat(Long.parseLong(id.group(2))).isEqualTo(data.get("seq").asLong());
                ids.add(event.get("id").asText());
            }
            assertThat(ids).hasSize((int) wanted);
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void theChannelCopyReadFromTheTopicEqualsTheLedger() throws Exception {
        List<String> users = ShardedWorkload.users(2, 8);
        PgConfig copy = DistributedInfra.newDatabase(NAME + "_channel");
        String url = "http://127.0.0.1:" + server.port();
        ChannelConfig config = ChannelConfig.defaults(url, copy).withListen("127.0.0.1", 0);
        try (Channel channel = Channel.start(config, new TopicChangeSource(DistributedInfra.bootstrap(), NAME + ".changes", 1_000))) {
            ShardedWorkload.run(server, ShardedWorkload.commands(new Random(31), users, 200, "k"));
            Resync resync = new Resync(new LedgerClient(url, 10_000), channel.store());
            Resync.Result[] last = new Resync.Result[1];
            TestServer.await("the copy equals the ledger", 60_000, () -> {
                try {
                    last[0] = resync.run(true);
                    return last[0].equal() && last[0].accounts() >= users.size();
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(last[0].differences()).isEmpty();
            assertThat(channel.store().accounts(null, 1_000)).as("users only: a system owner has an account per shard")
                    .containsAll(users).noneMatch(a -> a.startsWith("@"));
        }
        JsonNode accounts = TestServer.JSON.readTree(server.get("/v1/admin/feed/accounts?limit=1000").body()).get("accounts");
        assertThat(accounts.toString()).contains(users.get(0)).doesNotContain("@");
    }

    private static List<Long> revisionsSeen(Stream first, Stream second) {
        List<Long> seen = new ArrayList<>();
        for (Stream stream : List.of(first, second)) {
            for (JsonNode change : stream.data("balance")) {
                seen.add(change.get("revision").asLong());
            }
        }
        return seen;
    }

    /** Each streamed change has the amounts the ledger's history has for its revision. */
    private static void assertAmountsAsInHistory(String user, Stream first, Stream second) throws IOException {
        JsonNode page = TestServer.JSON.readTree(server.get("/v1/accounts/" + user + "/history?asset=KRW&limit=1000").body());
        Map<Long, JsonNode> byRevision = new HashMap<>();
        page.get("entries").forEach(e -> byRevision.put(e.get("revision").asLong(), e));
        for (Stream stream : List.of(first, second)) {
            for (JsonNode change : stream.data("balance")) {
                JsonNode entry = byRevision.get(change.get("revision").asLong());
                assertThat(entry).as(user + " revision " + change.get("revision")).isNotNull();
                assertThat(change.get("available").asText()).isEqualTo(entry.get("available").asText());
                assertThat(change.get("held").asText()).isEqualTo(entry.get("held").asText());
                assertThat(change.get("seq").asLong()).isEqualTo(entry.get("seq").asLong());
            }
        }
    }

    private static int revision(String user) throws IOException {
        JsonNode balances = TestServer.JSON.readTree(server.get("/v1/accounts/" + user + "/balances").body()).get("balances");
        for (JsonNode balance : balances) {
            if (balance.get("asset").asText().equals(ShardedWorkload.ASSET)) {
                return balance.get("revision").asInt();
            }
        }
        return 0;
    }

    private static HttpServer receiver(List<JsonNode> received) throws IOException {
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(TestServer.JSON.readTree(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        return receiver;
    }

    /** One SSE connection, collecting its events. */
    private static final class Stream {
        final List<SseReader.Event> events = new CopyOnWriteArrayList<>();
        private boolean stopped;
        final SseReader reader = new SseReader(new SseReader.Handler() {
            @Override
            public void onHeaders(ResponseHeaders headers) {
            }

            @Override
            public void onEvent(SseReader.Event event) {
                synchronized (Stream.this) {
                    if (!stopped) {
                        events.add(event);
                    }
                }
            }
        });

        /** Drops the connection and returns the position of the last event taken: nothing is taken after it. */
        String stop() {
            synchronized (this) {
                stopped = true;
            }
            reader.cancel();
            return lastId();
        }

        static Stream open(String path, String lastEventId) {
            RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.GET, path).add("accept", "text/event-stream");
            if (lastEventId != null) {
                headers.add("last-event-id", lastEventId);
            }
            Stream stream = new Stream();
            WebClient.builder("h1c://127.0.0.1:" + server.port()).factory(clients).responseTimeout(Duration.ZERO).maxResponseLength(0)
                    .build().execute(headers.build()).subscribe(stream.reader);
            return stream;
        }

        List<SseReader.Event> events(String type) {
            return events.stream().filter(e -> type.equals(e.event())).toList();
        }

        List<JsonNode> data(String type) {
            return events(type).stream().map(e -> {
                try {
                    return TestServer.JSON.readTree(e.data());
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            }).toList();
        }

        String lastId() {
            String last = null;
            for (SseReader.Event event : events) {
                if (event.id() != null) {
                    last = event.id();
                }
            }
            return last;
        }
    }
}
