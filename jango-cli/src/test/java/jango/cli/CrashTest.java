package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 under concurrent load, again and again, on one data directory. After each restart:
 * every acknowledged result is stored exactly as it was answered, every command applied at most
 * once, balances equal the sum of the APPLIED commands, and every asset sums to zero. Finally
 * {@code jango audit} replays the whole journal and passes. Rounds: -Django.crash.rounds (default 3).
 */
class CrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int USERS = 16;
    private static final int CLIENTS = 4;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Every command ever sent: id -> body. */
    private final Map<String, String> sent = new ConcurrentHashMap<>();
    /** Every answer received: id -> result JSON as answered. */
    private final Map<String, JsonNode> acknowledged = new ConcurrentHashMap<>();

    @Test
    void killNineUnderLoadLosesNothingAcknowledgedAndAppliesNothingTwice(@TempDir Path dir) throws Exception {
        int rounds = Integer.getInteger("jango.crash.rounds", 3);
        long seed = Long.getLong("jango.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Path data = dir.resolve("data");
        System.out.println("crash test: rounds=" + rounds + " seed=" + seed);

        for (int round = 1; round <= rounds; round++) {
            Path log = dir.resolve("serve-" + round + ".log");
            Child child = Child.serve(data, log);
            try {
                if (round == 1) {
                    assertThat(put(child, "/v1/assets/KRW", "{\"scale\": 0}")).isIn(200, 201);
                    assertThat(put(child, "/v1/assets/BTC", "{\"scale\": 8}")).isIn(200, 201);
                } else {
                    verifyWithLog(child, "after kill -9 #" + (round - 1) + " (seed " + seed + ")", log);
                }
                int acknowledgedBefore = acknowledged.size();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    long clientSeed = random.nextLong();
                    int r = round;
                    clients.add(Thread.ofPlatform().start(() -> load(child, r, client, new Random(clientSeed), stop)));
                }
                // Let the load run, then kill at a random moment while requests are in flight.
                long killAfterMs = 300 + random.nextInt(1200);
                TestWait.until("load to get going", 30_000, () -> acknowledged.size() > acknowledgedBefore + 50);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(killAfterMs));
                child.kill9();
                stop.set(true);
                for (Thread client : clients) {
                    client.join(TimeUnit.SECONDS.toMillis(30));
                }
            } finally {
                child.kill9();
            }
        }

        Path lastLog = dir.resolve("serve-final.log");
        Child last = Child.serve(data, lastLog);
        try {
            verifyWithLog(last, "after the last kill -9 (seed " + seed + ")", lastLog);
        } finally {
            last.stop();
        }
        Child.Result audit = Child.run(dir.resolve("audit.log"), "audit", "--data-dir", data.toString());
        assertThat(audit.exitCode()).as("jango audit output:\n" + audit.output()).isZero();
        assertThat(audit.output()).contains("PASS");
        System.out.println("crash test: " + rounds + " kills, " + sent.size() + " commands sent, " + acknowledged.size() + " acknowledged");
    }

    /**
     * The kill between the journal's fsync and the index's write: the index takes nothing (a test
     * switch), so every result answered lives only in the journal when the process dies. After the
     * restart every acknowledged result is stored as answered, retries are replays, and the audit
     * passes: results are rebuilt from the journal, never lost with the index.
     */
    @Test
    void aKillBetweenTheJournalAndTheIndexLosesNoResult(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("serve-paused.log");
        Child child = Child.start(log, List.of("-Django.embedded.pauseIndexForTests=true"), "serve", "--port", "0",
                "--data-dir", data.toString());
        try {
            assertThat(put(child, "/v1/assets/KRW", "{\"scale\": 0}")).isIn(200, 201);
            assertThat(put(child, "/v1/assets/BTC", "{\"scale\": 8}")).isIn(200, 201);
            AtomicBoolean stop = new AtomicBoolean();
            // Few requests: with the index taking nothing, the writer waits once too much is in memory.
            Thread client = Thread.ofPlatform().start(() -> load(child, 0, 0, new Random(7), stop, 20));
            client.join(TimeUnit.MINUTES.toMillis(2));
            assertThat(acknowledged).hasSizeGreaterThan(20);
        } finally {
            child.kill9();
        }
        Path restartLog = dir.resolve("serve-after.log");
        Child restarted = Child.serve(data, restartLog);
        try {
            verifyWithLog(restarted, "after a kill with the index behind", restartLog);
            String recovered = java.nio.file.Files.readString(restartLog);
            assertThat(recovered).as("the index was behind the journal at the kill").containsPattern("event=recovered .*indexed_before=0 ");
        } finally {
            restarted.stop();
        }
        Child.Result audit = Child.run(dir.resolve("audit.log"), "audit", "--data-dir", data.toString());
        assertThat(audit.exitCode()).as("jango audit output:\n" + audit.output()).isZero();
    }

    // ---- load ---------------------------------------------------------------------------------

    private void load(Child child, int round, int client, Random random, AtomicBoolean stop) {
        load(child, round, client, random, stop, Integer.MAX_VALUE);
    }

    /** Sends commands (single and in batches of 20) until stopped, or after {@code requests} requests. */
    private void load(Child child, int round, int client, Random random, AtomicBoolean stop, int requests) {
        int n = 0;
        for (int request = 0; request < requests && !stop.get(); request++) {
            try {
                if (random.nextInt(4) == 0) {
                    List<String> ids = new ArrayList<>();
                    StringBuilder batch = new StringBuilder("{\"commands\":[");
                    for (int i = 0; i < 20; i++) {
                        String id = "r" + round + "-c" + client + "-" + n++;
                        String body = randomCommand(id, random);
                        sent.put(id, body);
                        ids.add(id);
                        batch.append(i == 0 ? "" : ",").append(body);
                    }
                    HttpResponse<String> response = post(child, "/v1/commands/batch", batch.append("]}").toString());
                    if (response.statusCode() == 200) {
                        JsonNode results = JSON.readTree(response.body()).get("results");
                        for (int i = 0; i < ids.size(); i++) {
                            acknowledged.put(ids.get(i), results.get(i));
                        }
                    }
                } else {
                    String id = "r" + round + "-c" + client + "-" + n++;
                    String body = randomCommand(id, random);
                    sent.put(id, body);
                    HttpResponse<String> response = post(child, "/v1/commands", body);
                    if (response.statusCode() == 200) {
                        acknowledged.put(id, JSON.readTree(response.body()));
                    }
                }
            } catch (IOException e) {
                return; // the server is gone: killed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String randomCommand(String id, Random random) {
        String user = "u" + random.nextInt(USERS);
        String asset = random.nextBoolean() ? "KRW" : "BTC";
        String amount = asset.equals("KRW") ? Integer.toString(1 + random.nextInt(1000)) : "0.0" + (1 + random.nextInt(9999));
        return switch (random.nextInt(5)) {
            case 0, 1 -> "{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"}";
            case 2 -> "{\"id\":\"" + id + "\",\"type\":\"withdraw\",\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"}";
            default -> {
                String to = "u" + ((Integer.parseInt(user.substring(1)) + 1 + random.nextInt(USERS - 1)) % USERS);
                yield "{\"id\":\"" + id + "\",\"type\":\"transfer\",\"from\":\"" + user + "\",\"to\":\"" + to + "\",\"asset\":\"" + asset
                        + "\",\"amount\":\"" + amount + "\"}";
            }
        };
    }

    // ---- verification -------------------------------------------------------------------------

    /** A failed check carries the server's log tail: the temp dir is gone after the test. */
    private void verifyWithLog(Child child, String when, Path log) throws Exception {
        try {
            verify(child, when);
        } catch (AssertionError e) {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
            throw new AssertionError(e.getMessage() + "\n--- server log tail (" + log.getFileName() + ") ---\n" + tail, e);
        }
    }

    private void verify(Child child, String when) throws Exception {
        // 1. Every acknowledged result is stored exactly as it was answered.
        for (Map.Entry<String, JsonNode> ack : acknowledged.entrySet()) {
            HttpResponse<String> stored = get(child, "/v1/commands/" + ack.getKey());
            assertThat(stored.statusCode()).as(when + ": acknowledged " + ack.getKey() + " is missing").isEqualTo(200);
            assertThat(JSON.readTree(stored.body())).as(when + ": stored result of " + ack.getKey()).isEqualTo(ack.getValue());
        }
        // 2. Commands whose answer was lost: retrying with the same id is safe and gives their one result.
        for (Map.Entry<String, String> command : sent.entrySet()) {
            if (!acknowledged.containsKey(command.getKey())) {
                HttpResponse<String> retried = post(child, "/v1/commands", command.getValue());
                assertThat(retried.statusCode()).as(when + ": retry of " + command.getKey() + ": " + retried.body()).isEqualTo(200);
                acknowledged.put(command.getKey(), JSON.readTree(retried.body()));
            }
        }
        // 3. Balances are the sum of the APPLIED commands; each applied once; conservation.
        Map<String, Map<String, BigInteger>> expected = new TreeMap<>();
        Map<String, Set<String>> expectedHistory = new HashMap<>();
        Set<Long> seqs = new HashSet<>();
        for (Map.Entry<String, JsonNode> ack : acknowledged.entrySet()) {
            JsonNode result = ack.getValue();
            assertThat(seqs.add(result.get("seq").asLong())).as(when + ": seq used twice: " + result).isTrue();
            if (!result.get("status").asText().equals("APPLIED")) {
                continue;
            }
            JsonNode command = JSON.readTree(sent.get(ack.getKey()));
            String asset = command.get("asset").asText();
            BigInteger amount = minor(command.get("amount").asText(), asset);
            String from = switch (command.get("type").asText()) {
                case "deposit" -> "@external";
                case "withdraw" -> command.get("account").asText();
                default -> command.get("from").asText();
            };
            String to = switch (command.get("type").asText()) {
                case "deposit" -> command.get("account").asText();
                case "withdraw" -> "@external";
                default -> command.get("to").asText();
            };
            for (String account : List.of(from, to)) {
                expectedHistory.computeIfAbsent(account, a -> new HashSet<>()).add(ack.getKey() + "/" + asset);
            }
            expected.computeIfAbsent(from, a -> new TreeMap<>()).merge(asset, amount.negate(), BigInteger::add);
            expected.computeIfAbsent(to, a -> new TreeMap<>()).merge(asset, amount, BigInteger::add);
        }
        Map<String, BigInteger> sums = new HashMap<>();
        for (Map.Entry<String, Map<String, BigInteger>> account : expected.entrySet()) {
            JsonNode balances = JSON.readTree(get(child, "/v1/accounts/" + account.getKey() + "/balances").body()).get("balances");
            Map<String, BigInteger> actual = new HashMap<>();
            for (JsonNode balance : balances) {
                String asset = balance.get("asset").asText();
                assertThat(balance.get("held").asText()).isEqualTo("0");
                actual.put(asset, minor(balance.get("available").asText(), asset));
                sums.merge(asset, actual.get(asset), BigInteger::add);
            }
            for (Map.Entry<String, BigInteger> asset : account.getValue().entrySet()) {
                assertThat(actual.getOrDefault(asset.getKey(), BigInteger.ZERO))
                        .as(when + ": " + account.getKey() + " " + asset.getKey()).isEqualTo(asset.getValue());
            }
            if (!account.getKey().startsWith("@")) {
                checkHistoryOnce(child, account.getKey(), expectedHistory.getOrDefault(account.getKey(), Set.of()), when);
            }
        }
        sums.forEach((asset, sum) -> assertThat(sum).as(when + ": conservation of " + asset).isZero());
    }

    /** Each APPLIED command appears in the account's history exactly once per asset it changed. */
    private void checkHistoryOnce(Child child, String account, Set<String> expectedEntries, String when) throws Exception {
        Map<String, Integer> seen = new HashMap<>();
        String cursor = null;
        do {
            JsonNode page = JSON.readTree(get(child, "/v1/accounts/" + account + "/history?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + cursor)).body());
            for (JsonNode entry : page.get("entries")) {
                String key = entry.get("commandId").asText() + "/" + entry.get("asset").asText();
                assertThat(seen.merge(key, 1, Integer::sum)).as(when + ": history of " + account + " repeats " + key).isEqualTo(1);
            }
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        assertThat(seen.keySet()).as(when + ": history of " + account).isEqualTo(expectedEntries);
    }

    private static BigInteger minor(String decimal, String asset) {
        return new java.math.BigDecimal(decimal).movePointRight(asset.equals("BTC") ? 8 : 0).toBigIntegerExact();
    }

    // ---- HTTP ---------------------------------------------------------------------------------

    private HttpResponse<String> post(Child child, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(child.url() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(Child child, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(child.url() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int put(Child child, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(child.url() + path)).timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
