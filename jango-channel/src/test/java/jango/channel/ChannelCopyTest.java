package jango.channel;

import com.fasterxml.jackson.databind.JsonNode;
import jango.postgres.PgConfig;
import jango.postgres.TestPostgres;
import jango.server.TestServer;
import jango.streams.StreamsFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The channel copy against a real embedded ledger (with its feed) and a real PostgreSQL 17. */
class ChannelCopyTest {
    static TestPostgres postgres;
    static final AtomicInteger databases = new AtomicInteger();

    @TempDir
    Path dir;
    StreamsFixture jango;
    Channel channel;
    PgConfig db;
    final AtomicLong clockMicros = new AtomicLong(1_800_000_000_000_000L);
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start(Files.createTempDirectory("channel-pg"));
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.close();
        }
        if (jango != null) {
            jango.close();
        }
    }

    private void start(ChangeSource source) throws Exception {
        jango = StreamsFixture.start(dir, c -> c, server -> {
        }, ledger -> ledger, config -> config.withClock(clockMicros::get));
        jango.http.asset("BTC", 8);
        jango.http.asset("KRW", 0);
        db = postgres.createDatabase("channel_" + databases.incrementAndGet());
        ChannelConfig config = ChannelConfig.defaults(jango.url(), db).withListen("127.0.0.1", 0).withDuplicateWindowMs(60_000);
        channel = Channel.start(config, source);
    }

    private void command(String json) {
        jango.command(json);
    }

    private void transfer(String id, String from, String to, String amount) {
        command("{\"id\":\"" + id + "\",\"type\":\"transfer\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"asset\":\"KRW\",\"amount\":\"" + amount + "\"}");
    }

    /** Waits until the copy equals the ledger (the feed is a little behind the answers the ledger gave). */
    private void caughtUp() {
        Resync.Result[] last = new Resync.Result[1];
        try {
            TestServer.await("the copy to equal the ledger", 30_000, () -> {
                try {
                    last[0] = compare();
                    return last[0].equal();
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; differences: " + (last[0] == null ? "?" : last[0].differences()), e);
        }
    }

    private JsonNode channelGet(String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + channel.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return TestServer.JSON.readTree(response.body());
    }

    private Resync.Result compare() throws Exception {
        return new Resync(new LedgerClient(jango.url(), 10_000), channel.store()).run(true);
    }

    @Test
    void theCopyEqualsTheLedgerAndPagesHistoryLikeIt() throws Exception {
        start(null);
        Random random = new Random(7);
        for (int a = 0; a < 10; a++) {
            command("{\"id\":\"seed" + a + "\",\"type\":\"deposit\",\"account\":\"u" + a + "\",\"asset\":\"KRW\",\"amount\":\"100000\"}");
        }
        StringBuilder batch = new StringBuilder("{\"commands\":[");
        for (int i = 0; i < 300; i++) {
            int from = random.nextInt(10);
            int to = (from + 1 + random.nextInt(9)) % 10;
            batch.append(i == 0 ? "" : ",").append(i % 5 == 0
                    ? "{\"id\":\"b" + i + "\",\"type\":\"deposit\",\"account\":\"u" + from + "\",\"asset\":\"BTC\",\"amount\":\"0.0" + (1 + i % 9) + "\"}"
                    : "{\"id\":\"t" + i + "\",\"type\":\"transfer\",\"from\":\"u" + from + "\",\"to\":\"u" + to + "\",\"asset\":\"KRW\",\"amount\":\"" + (1 + i) + "\"}");
        }
        assertThat(jango.http.post("/v1/commands/batch", batch.append("]}").toString()).status()).isEqualTo(200);
        caughtUp();

        Resync.Result result = compare();
        assertThat(result.differences()).isEmpty();
        assertThat(result.accounts()).isEqualTo(11); // u0..u9 and @external
        for (String asset : new String[]{null, "KRW"}) {
            List<String> ledgerPages = pages(path -> jango.http.get(path).json(), asset);
            List<String> channelPages = pages(this::channelGetUnchecked, asset);
            assertThat(channelPages).isEqualTo(ledgerPages).hasSizeGreaterThan(20);
        }
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + channel.port()
                + "/v1/accounts/u1/history?cursor=nonsense")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("cursor: ");
    }

    private JsonNode channelGetUnchecked(String path) {
        try {
            return channelGet(path);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Every entry of u1, paging 7 at a time, as text. */
    private static List<String> pages(java.util.function.Function<String, JsonNode> get, String asset) {
        List<String> entries = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get.apply("/v1/accounts/u1/history?limit=7" + (asset == null ? "" : "&asset=" + asset)
                    + (cursor == null ? "" : "&cursor=" + cursor));
            page.get("entries").forEach(e -> entries.add(e.toString()));
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        return entries;
    }

    @Test
    void transfersWithTheSamePayerPayeeAndAmountWithinTheWindowAreFlagged() throws Exception {
        start(null);
        command("{\"id\":\"seed\",\"type\":\"deposit\",\"account\":\"alice\",\"asset\":\"KRW\",\"amount\":\"100000\"}");
        transfer("pay-1", "alice", "bob", "5000");
        clockMicros.addAndGet(30_000_000); // 30 s later: inside the 60 s window
        transfer("pay-2", "alice", "bob", "5000");
        transfer("pay-3", "alice", "bob", "5001");
        transfer("pay-4", "alice", "carol", "5000");
        clockMicros.addAndGet(120_000_000); // 2 min later: outside it
        transfer("pay-5", "alice", "bob", "5000");
        caughtUp();
        JsonNode flags = channelGet("/v1/duplicates?account=alice").get("duplicates");
        assertThat(flags).hasSize(1);
        assertThat(flags.get(0).get("commandId").asText()).isEqualTo("pay-2");
        assertThat(flags.get(0).get("earlierCommandId").asText()).isEqualTo("pay-1");
        assertThat(flags.get(0).get("amount").asText()).isEqualTo("5000");
        assertThat(flags.get(0).get("apartMs").asLong()).isEqualTo(30_000);
    }

    /**
     * With several shards, seqs of two shards may be equal and a later transfer may reach the copy
     * first: the check pairs changes by command and compares by time, so the flag is the same
     * whichever batch comes first.
     */
    @Test
    void duplicatesAreFlaggedByTimeWhicheverShardsBatchArrivesFirst() throws Exception {
        db = postgres.createDatabase("channel_" + databases.incrementAndGet());
        long at = 1_800_000_000_000_000L;
        try (ChannelDb channelDb = ChannelDb.open(db)) {
            ChannelStore store = new ChannelStore(channelDb, 60_000_000L);
            // Shard 1's entry 5 (30 s later) arrives before shard 0's entry 5; a third transfer shares seq 5 too.
            store.apply(new FeedBatch(List.of(change("alice", 2, 5, at + 30_000_000, "pay-b", "-5000"),
                    change("bob", 2, 5, at + 30_000_000, "pay-b", "5000")), List.of(), "1"));
            store.apply(new FeedBatch(List.of(change("alice", 1, 5, at, "pay-a", "-5000"), change("bob", 1, 5, at, "pay-a", "5000"),
                    change("carol", 1, 5, at, "pay-x", "-7"), change("dave", 1, 5, at, "pay-x", "7")), List.of(), "2"));
            List<ChannelStore.Duplicate> flags = store.duplicates(null, null, 10);
            assertThat(flags).hasSize(1);
            assertThat(flags.get(0).commandId()).isEqualTo("pay-b");
            assertThat(flags.get(0).earlierCommandId()).isEqualTo("pay-a");
            assertThat(flags.get(0).payer()).isEqualTo("alice");
            assertThat(flags.get(0).payee()).isEqualTo("bob");
            assertThat(flags.get(0).apartMicros()).isEqualTo(30_000_000L);
        }
    }

    private static ChangeRecord change(String account, long revision, long seq, long atMicros, String commandId, String delta) {
        java.math.BigDecimal amount = new java.math.BigDecimal(delta);
        return new ChangeRecord(account, "KRW", revision, seq, atMicros, commandId, "transfer", amount.abs(), java.math.BigDecimal.ZERO,
                amount, java.math.BigDecimal.ZERO);
    }

    @Test
    void aMissingRevisionIsDetectedAndRepairedFromTheLedger() throws Exception {
        // The feed loses victim's second change, as a lost message would.
        AtomicInteger seen = new AtomicInteger();
        start(null);
        channel.close();
        channel = null;
        ChannelConfig config = ChannelConfig.defaults(jango.url(), db).withListen("127.0.0.1", 0);
        LedgerClient ledgerClient = new LedgerClient(jango.url(), 10_000);
        ChangeSource lossy = new ChangeSource() {
            final HttpFeedSource feed = new HttpFeedSource(jango.url(), ledgerClient, 10_000, 1_000);

            @Override
            public void run(String position, Sink sink, Status status) throws InterruptedException {
                feed.run(position, batch -> sink.accept(new FeedBatch(batch.changes().stream()
                        .filter(c -> !(c.account().equals("victim") && c.revision() == 2 && seen.incrementAndGet() == 1)).toList(),
                        batch.holes(), batch.next())), status);
            }

            @Override
            public void close() {
                feed.close();
            }
        };
        channel = Channel.start(config, lossy);
        for (int i = 1; i <= 3; i++) {
            command("{\"id\":\"v" + i + "\",\"type\":\"deposit\",\"account\":\"victim\",\"asset\":\"BTC\",\"amount\":\"" + i + "\"}");
        }
        caughtUp();
        TestServer.await("the gap repaired", 30_000, () -> {
            try {
                return compare().equal() && channel.repairsPending() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(seen.get()).as("the lost change passed the filter once").isGreaterThanOrEqualTo(1);
        assertThat(channel.scrape()).contains("jango_channel_gaps_total 1.0");
        assertThat(channelGet("/v1/accounts/victim/history").get("entries")).hasSize(3);
    }

    @Test
    void resyncFindsACorruptedRowAndRewritesIt() throws Exception {
        start(null);
        command("{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
        command("{\"id\":\"d2\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
        caughtUp();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE history SET available = 999 WHERE account = 'u1' AND revision = 1");
        }
        Resync.Result dry = compare();
        assertThat(dry.differing()).isEqualTo(1);
        assertThat(dry.differences().get(0)).startsWith("u1 BTC: ledger 2 entries");
        Resync.Result fixed = new Resync(new LedgerClient(jango.url(), 10_000), channel.store()).run(false);
        assertThat(fixed.rowsRewritten()).isEqualTo(1);
        assertThat(compare().equal()).isTrue();
    }
}
