package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.ShardStore;
import jango.kafka.TestKafka;
import jango.postgres.PgShardStore;
import jango.postgres.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Distributed mode as it runs: a real Kafka broker and a real PostgreSQL, and `jango serve --mode
 * distributed` instances in their own JVMs, under client load, while instances are killed (-9) and
 * frozen (SIGSTOP), and the broker and the database restart. After each scenario every
 * acknowledged command must be stored exactly as answered, applied once (one history entry per
 * account it changed), balances must equal what the acknowledged commands add up to, money in
 * {@code @clearing} must have arrived, and conservation must hold over all shards. A quarter of
 * the load are trades settled from a buyer's hold and a seller's hold, mostly on two shards, so
 * transfers between shards are in flight whenever something breaks: each must end applied on every
 * shard or on none, with no hold left locked and nothing reserved.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedClusterTest {
    private static final int SHARDS = 4;
    private static final long SESSION_MS = 6_000;

    @TempDir
    static Path dir;
    static TestKafka kafka;
    static TestPostgres postgres;
    static ShardStore store;
    static final Map<String, Child> instances = new HashMap<>();

    @BeforeAll
    static void cluster() throws Exception {
        kafka = TestKafka.start(dir.resolve("kafka"));
        postgres = TestPostgres.start(dir.resolve("pg"));
        Child.Result init = Child.run(dir.resolve("init.log"), "init", "--partitions", String.valueOf(SHARDS),
                "--kafka", kafka.bootstrap(), "--postgres", postgres.jdbcUrl(), "--pg-user", postgres.config().user(), "--pg-password", postgres.config().password());
        assertThat(init.exitCode()).as(init.output()).isZero();
        store = PgShardStore.open(postgres.jdbcUrl(), postgres.config().user(), postgres.config().password());
        start("a");
        start("b");
        awaitOwners(Set.of("a", "b"));
        ClusterLoad.post(instances.get("a").url() + "/v1/assets/BTC", "{\"scale\": 0}");
        HttpResponse<String> put = put(instances.get("a").url() + "/v1/assets/BTC", "{\"scale\": 0}");
        assertThat(put.statusCode()).as(put.body()).isIn(200, 201);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Child child : instances.values()) {
            if (child.alive()) {
                child.signal("CONT");
                child.kill9();
            }
        }
        if (store != null) {
            store.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static Child start(String name) throws Exception {
        Child child = Child.start(dir.resolve(name + "-" + System.nanoTime() + ".log"), "serve", "--mode", "distributed", "--port", "0",
                "--instance-id", name, "--kafka", kafka.bootstrap(), "--postgres", postgres.jdbcUrl(),
                "--pg-user", postgres.config().user(), "--pg-password", postgres.config().password(), "--session-timeout-ms", String.valueOf(SESSION_MS),
                // Its own data directory (webhook store), kept across its restarts: the default ./data
                // is shared with every other test JVM.
                "--data-dir", dir.resolve("data-" + name).toString());
        instances.put(name, child);
        return child;
    }

    static HttpResponse<String> put(String url, String body) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until every shard is owned by one of {@code owners}, and each of them owns at least one. */
    static void awaitOwners(Set<String> owners) {
        TestWait.until("shards owned by exactly " + owners + " (now: " + ownerMap() + ")", 60_000, () -> {
            try {
                Map<Integer, String> map = ownerMap();
                return map.size() == SHARDS && owners.containsAll(map.values()) && Set.copyOf(map.values()).equals(owners)
                        && healthy(owners);
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    private static Map<Integer, String> ownerMap() {
        Map<Integer, String> map = new HashMap<>();
        for (ShardStore.ShardRow row : store.shardRows()) {
            if (row.owner() != null) {
                map.put(row.shard(), row.owner());
            }
        }
        return map;
    }

    private static boolean healthy(Set<String> names) {
        for (String name : names) {
            if (ClusterLoad.get(instances.get(name).url() + "/health").statusCode() != 200) {
                return false;
            }
        }
        return true;
    }

    static List<String> users(String prefix, int count) {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            users.add(prefix + "u" + i);
        }
        return users;
    }

    static List<String> urls(String... names) {
        List<String> urls = new ArrayList<>();
        for (String name : names) {
            urls.add(instances.get(name).url());
        }
        return urls;
    }

    /** The checks every scenario ends with. */
    static void verify(ClusterLoad load, List<String> users, String via) {
        // 1. Credits in flight through @clearing arrive: the sum over shards goes back to zero.
        TestWait.until("@clearing to settle to 0", 60_000, () -> clearing(via).signum() == 0);
        // 2. Every acknowledged answer is stored exactly as it was given.
        for (ClusterLoad.Ack ack : load.acks.values()) {
            HttpResponse<String> stored = ClusterLoad.get(via + "/v1/commands/" + ack.id());
            assertThat(stored.statusCode()).as(ack.id()).isEqualTo(200);
            JsonNode json = ClusterLoad.read(stored.body());
            assertThat(json.get("status")).as(ack.id()).isEqualTo(ack.answer().get("status"));
            assertThat(json.get("seq")).as(ack.id()).isEqualTo(ack.answer().get("seq"));
            assertThat(json.get("balances")).as(ack.id()).isEqualTo(ack.answer().get("balances"));
        }
        // 3. Balances are what the acknowledged APPLIED commands add up to.
        Map<String, BigInteger> expected = load.expectedBalances();
        for (String user : users) {
            JsonNode balances = ClusterLoad.read(ClusterLoad.get(via + "/v1/accounts/" + user + "/balances").body()).get("balances");
            BigInteger actual = BigInteger.ZERO;
            for (JsonNode balance : balances) {
                actual = total(balance);
            }
            assertThat(actual).as("BTC of " + user).isEqualTo(expected.getOrDefault(user, BigInteger.ZERO));
        }
        // 4. Each applied command changed each account once: one history entry per (command, account).
        Set<String> applied = load.acks.values().stream().filter(ClusterLoad.Ack::applied).map(ClusterLoad.Ack::id).collect(Collectors.toSet());
        Map<String, Integer> entries = new HashMap<>();
        for (String user : users) {
            String cursor = null;
            do {
                HistoryPage page = store.history(user, "BTC", 1000, cursor);
                for (HistoryEntry entry : page.entries()) {
                    String command = entry.commandId().startsWith("#") ? entry.commandId().substring(1, entry.commandId().lastIndexOf('#'))
                            : entry.commandId();
                    Integer before = entries.put(user + " " + entry.commandId(), 1);
                    assertThat(before).as("history of " + user + " has " + entry.commandId() + " twice").isNull();
                    assertThat(applied).as("history entry of a command never acknowledged as APPLIED").contains(command);
                }
                cursor = page.next();
            } while (cursor != null);
        }
        // 5. Every transfer between shards ended everywhere: no hold locked, no protocol record or reservation left.
        for (String hold : load.holds) {
            HttpResponse<String> view = ClusterLoad.get(via + "/v1/holds/" + hold);
            if (view.statusCode() == 200) {
                assertThat(ClusterLoad.read(view.body()).get("locked").asText()).as(hold + ": " + view.body()).isEqualTo("0");
            }
        }
        TestWait.until("no record of a transfer between shards left (now: " + inFlight() + ")", 60_000, () -> inFlight().equals("0 0"));
        // 6. Conservation over all shards and @clearing, held = open holds + reservations, no negative user balance.
        JsonNode state = ClusterLoad.read(ClusterLoad.get(via + "/v1/admin/state").body());
        assertThat(state.get("invariants").asText()).isEqualTo("ok");
    }

    /** The rows of protocol records and reservations in the store, "records reservations". */
    static String inFlight() {
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(postgres.jdbcUrl(), postgres.config().user(),
                postgres.config().password());
             java.sql.ResultSet row = connection.createStatement().executeQuery(
                     "SELECT (SELECT count(*) FROM cross_shard), (SELECT count(*) FROM reservations)")) {
            row.next();
            return row.getLong(1) + " " + row.getLong(2);
        } catch (java.sql.SQLException e) {
            return e.toString();
        }
    }

    /**
     * Steps per client: short in the default suite (a transfer between shards answers after four
     * hops through Kafka, so a step costs more than a one-shard command), {@code -Django.cluster.long=true}
     * for the long variant.
     */
    static int steps(int normal) {
        return Boolean.getBoolean("jango.cluster.long") ? normal * 4 : normal / 2;
    }

    /** available + held of a BTC balance (scale 0 here, so the decimal text is the integer). */
    static BigInteger total(JsonNode balance) {
        return new BigInteger(balance.get("available").asText()).add(new BigInteger(balance.get("held").asText()));
    }

    /** Each scenario starts with both instances up and sharing the shards, whatever the one before left. */
    @org.junit.jupiter.api.BeforeEach
    void bothInstancesUp() throws Exception {
        for (String name : List.of("a", "b")) {
            Child child = instances.get(name);
            if (child == null || !child.alive()) {
                start(name);
            }
        }
        awaitOwners(Set.of("a", "b"));
    }

    static BigInteger clearing(String via) {
        JsonNode balances = ClusterLoad.read(ClusterLoad.get(via + "/v1/accounts/@clearing/balances").body()).get("balances");
        BigInteger sum = BigInteger.ZERO;
        if (balances != null) {
            for (JsonNode balance : balances) {
                sum = sum.add(total(balance));
            }
        }
        return sum;
    }

    @Test
    @Order(1)
    void crossShardTransfersUnderConcurrentLoadConserveMoney() throws Exception {
        List<String> users = users("x", 24);
        Set<Integer> shardsUsed = new TreeSet<>();
        jango.kafka.Shards map = new jango.kafka.Shards(SHARDS);
        users.forEach(u -> shardsUsed.add(map.of(u)));
        assertThat(shardsUsed).hasSize(SHARDS);
        ClusterLoad load = new ClusterLoad(urls("a", "b"));
        load.run("x", users, 4, steps(150), 1);
        verify(load, users, instances.get("a").url());
        assertThat(load.acks.values().stream().filter(a -> a.applied() && a.body().contains("transfer")).count())
                .as("cross-shard transfers applied").isGreaterThan(200);
        assertThat(load.acks.values().stream().filter(a -> a.applied() && a.body().contains("-bid\"")
                && a.body().contains("\"legs\"")).count()).as("trades settled from two holds").isGreaterThan(10);
        // Debits on two shards, all or nothing: from either instance, answered with every user's balance after it.
        String alice = users.get(0);
        String bob = users.stream().filter(u -> map.of(u) != map.of(alice)).findFirst().orElseThrow();
        HttpResponse<String> both = ClusterLoad.post(instances.get("b").url() + "/v1/commands", "{\"id\":\"x-two-debits\",\"type\":\"transfer\","
                + "\"legs\":[{\"from\":\"" + alice + "\",\"to\":\"" + bob + "\",\"asset\":\"BTC\",\"amount\":\"1\"},"
                + "{\"from\":\"" + bob + "\",\"to\":\"" + alice + "\",\"asset\":\"BTC\",\"amount\":\"2\"}]}");
        assertThat(both.statusCode()).as(both.body()).isEqualTo(200);
        JsonNode answer = ClusterLoad.read(both.body());
        assertThat(answer.get("status").asText()).as(both.body()).isIn("APPLIED", "REJECTED");
        if (answer.get("status").asText().equals("APPLIED")) {
            for (JsonNode balance : answer.get("balances")) {
                JsonNode now = ClusterLoad.read(ClusterLoad.get(instances.get("a").url() + "/v1/accounts/" + balance.get("account").asText()
                        + "/balances?asset=BTC").body()).get("balances").get(0);
                assertThat(now.get("available")).as(balance.toString()).isEqualTo(balance.get("available"));
                assertThat(now.get("revision")).as(balance.toString()).isEqualTo(balance.get("revision"));
            }
        }
        JsonNode stored = ClusterLoad.read(ClusterLoad.get(instances.get("a").url() + "/v1/commands/x-two-debits").body());
        for (String field : List.of("status", "seq", "balances", "reason")) {
            assertThat(stored.get(field)).as(field).isEqualTo(answer.get(field));
        }
    }

    @Test
    @Order(2)
    void killingOneInstanceUnderLoadLosesNothingAndTheSurvivorTakesItsShards() throws Exception {
        List<String> users = users("k", 24);
        ClusterLoad load = new ClusterLoad(urls("a", "b"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread clients = ClusterLoad.background("load", () -> load.run("k", users, 4, steps(250), 2), failure);
        TestWait.until("some load", 60_000, () -> load.acks.size() > 150);
        Child victim = instances.get("a");
        load.urls.remove(victim.url());
        victim.kill9();
        awaitOwners(Set.of("b"));
        clients.join();
        assertThat(failure.get()).isNull();
        verify(load, users, instances.get("b").url());
    }

    @Test
    @Order(3)
    void aFrozenInstanceIsFencedAndCannotWriteAfterItsShardsMoved() throws Exception {
        List<String> users = users("z", 24);
        ClusterLoad load = new ClusterLoad(urls("a", "b"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Child zombie = instances.get("a");
        Thread clients = ClusterLoad.background("load", () -> load.run("z", users, 4, steps(250), 3), failure);
        TestWait.until("some load", 60_000, () -> load.acks.size() > 150);
        load.urls.remove(zombie.url());
        zombie.signal("STOP");
        // Past the session timeout the group gives its shards to b, which fences a with new epochs.
        awaitOwners(Set.of("b"));
        Map<Integer, Long> epochs = new HashMap<>();
        store.shardRows().forEach(r -> epochs.put(r.shard(), r.epoch()));
        zombie.signal("CONT");
        clients.join();
        assertThat(failure.get()).isNull();
        // a woke up believing it owned shards; whatever it tried, b's epochs still stand.
        try {
            TestWait.until("a to notice it lost its shards", 60_000, () -> logOf(zombie).contains("event=shard_released"));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n---- a's log:\n" + tail(logOf(zombie), 80), e);
        }
        verify(load, users, instances.get("b").url());
        assertThat(logOf(zombie)).doesNotContain("event=shard_halted");
        load.urls.add(zombie.url());
        awaitOwners(Set.of("a", "b"));
        store.shardRows().forEach(r -> assertThat(r.epoch()).isGreaterThanOrEqualTo(epochs.get(r.shard())));
    }

    @Test
    @Order(4)
    void aBrokerRestartUnderLoadLosesNothingAndAppliesNothingTwice() throws Exception {
        List<String> users = users("r", 24);
        ClusterLoad load = new ClusterLoad(urls("a", "b"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread clients = ClusterLoad.background("load", () -> load.run("r", users, 4, steps(250), 4), failure);
        TestWait.until("some load", 60_000, () -> load.acks.size() > 150);
        kafka.kill();
        Thread.sleep(2_000); // the broker stays down for a while: clients get 503s and retry
        kafka.restart();
        clients.join();
        assertThat(failure.get()).isNull();
        // Clients may not even notice: the producer holds commands (up to its delivery timeout) until the broker is back.
        verify(load, users, instances.get("b").url());
    }

    @Test
    @Order(5)
    void aDatabaseOutageHaltsTheShardsUntilAnOperatorResumesThem() throws Exception {
        List<String> users = users("p", 24);
        ClusterLoad load = new ClusterLoad(urls("a", "b"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread clients = ClusterLoad.background("load", () -> load.run("p", users, 4, steps(400), 5), failure);
        TestWait.until("some load", 60_000, () -> load.acks.size() > 150);
        postgres.stop();
        String a = instances.get("a").url();
        String b = instances.get("b").url();
        // Commands still reach the log while the database is down; the shards cannot commit them. Their
        // retries are bounded (about 3 s): then they halt and say why, instead of skipping anything.
        try {
            TestWait.until("a shard to halt", 60_000, () -> ClusterLoad.get(a + "/health").body().contains("retries spent")
                    || ClusterLoad.get(b + "/health").body().contains("retries spent"));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n---- a's log:\n" + tail(logOf(instances.get("a")), 60)
                    + "\n---- b's log:\n" + tail(logOf(instances.get("b")), 60), e);
        }
        postgres.start();
        // Once the database is back each instance records its halts there; from then on both report the same ones.
        TestWait.until("the halts to be recorded in the store", 60_000, () -> {
            Set<Integer> recorded = new TreeSet<>();
            store.shardRows().forEach(r -> {
                if (r.haltedReason() != null) {
                    recorded.add(r.shard());
                }
            });
            return !recorded.isEmpty() && recorded.equals(down(a)) && recorded.equals(down(instances.get("b").url()));
        });
        assertThat(ClusterLoad.get(a + "/health").body()).contains("retries spent");
        for (int shard = 0; shard < SHARDS; shard++) {
            HttpResponse<String> resumed = ClusterLoad.post(a + "/v1/admin/shards/" + shard + "/resume", "");
            assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(202);
        }
        TestWait.until("health to be UP again", 60_000, () -> ClusterLoad.get(a + "/health").statusCode() == 200
                && ClusterLoad.get(instances.get("b").url() + "/health").statusCode() == 200);
        clients.join();
        assertThat(failure.get()).isNull();
        verify(load, users, a);
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    static Set<Integer> down(String url) {
        Set<Integer> down = new TreeSet<>();
        for (JsonNode shard : ClusterLoad.read(ClusterLoad.get(url + "/health").body()).get("shards")) {
            if (!shard.get("status").asText().equals("UP")) {
                down.add(shard.get("shard").asInt());
            }
        }
        return down;
    }

    static String logOf(Child child) {
        try {
            return Files.readString(child.log());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
