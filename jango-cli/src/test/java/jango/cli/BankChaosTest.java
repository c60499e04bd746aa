package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of withdrawals and deposits through {@code jango serve --banks} to three banks of a
 * {@code jango bank-sim} (separate processes, real TCP), with the simulator's seeded faults
 * (dropped, duplicated and late answers, disconnects, refusals, stalls, maintenance, and so an
 * opening breaker) and the gateway killed with -9 twice under load. Afterwards: every withdrawal
 * ended; each bank's books equal the gateway's and the ledger's (each payment once, to a
 * COMPLETED withdrawal, for its amount); every balance equals what was funded, credited and paid;
 * nothing stays held; suspense holds the unknown deposits; {@code jango reconcile} passes for
 * every bank. Size: -Django.bank.chaos.withdrawals (default 2,000), seed: -Django.bank.chaos.seed.
 */
class BankChaosTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> BANKS = List.of("004", "088", "020");
    private static final int USERS = 40;
    private static final long FUNDS = 100_000_000;
    private static final Pattern BANK_PORTS = Pattern.compile("([0-9]{3})@127\\.0\\.0\\.1:([0-9]+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicReference<String> gatewayUrl = new AtomicReference<>();
    /** Withdrawal id -> request, as sent (and retried with the same id until answered). */
    private final Map<String, Map<String, String>> withdrawals = new ConcurrentHashMap<>();
    private final Map<String, String> answered = new ConcurrentHashMap<>();

    @Test
    void nobodyIsPaidTwiceNothingIsLostAndNothingStaysHeld(@TempDir Path dir) throws Exception {
        int count = Integer.getInteger("jango.bank.chaos.withdrawals", 2_000);
        long seed = Long.getLong("jango.bank.chaos.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.println("bank chaos test: withdrawals=" + count + " seed=" + seed);

        Child sim = Child.start(dir.resolve("sim.log"), "bank-sim", "--control-port", "0", "--seed", Long.toString(seed),
                "--statement-dir", dir.resolve("statements").toString(),
                "--faults", "drop=0.02,duplicate=0.02,disconnect=0.003,refuse=0.03,delay=0.01,delay-ms=1500,inquiry-drop=0.02,"
                        + "duplicate-notice=0.05,stall-every-ms=6000,stall-ms=1200,maintenance-every-ms=9000,maintenance-ms=700",
                "--bank", "004:0", "--bank", "088:0", "--bank", "020:0");
        Child serve = null;
        try {
            Path banks = writeBanks(dir, sim);
            Path data = dir.resolve("data");
            serve = Child.start(dir.resolve("serve-0.log"), "serve", "--port", "0", "--data-dir", data.toString(), "--banks", banks.toString());
            gatewayUrl.set(serve.url());
            for (int u = 0; u < USERS; u++) {
                post(serve.url() + "/v1/commands", "{\"id\":\"fund-u" + u + "\",\"type\":\"deposit\",\"account\":\"u" + u
                        + "\",\"asset\":\"KRW\",\"amount\":\"" + FUNDS + "\"}");
                put(serve.url() + "/v1/admin/virtual-accounts/2790000" + u, "{\"account\":\"u" + u + "\"}");
            }

            for (int i = 0; i < count; i++) {
                String bank = BANKS.get(random.nextInt(BANKS.size()));
                String account = random.nextInt(100) < 3 ? "999-" + i : "110-" + random.nextInt(1_000_000);
                withdrawals.put("w" + i, Map.of("id", "w" + i, "account", "u" + random.nextInt(USERS), "amount",
                        Integer.toString(1 + random.nextInt(50_000)), "bank", bank, "bankAccount", account));
            }
            List<String> ids = new ArrayList<>(withdrawals.keySet());
            AtomicInteger next = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    for (int i = next.getAndIncrement(); i < ids.size(); i = next.getAndIncrement()) {
                        submit(ids.get(i));
                    }
                }));
            }
            Map<String, Integer> deposits = new HashMap<>(); // "bank/txNo" -> user index or -1 for suspense
            Thread depositor = Thread.ofPlatform().start(() -> deposit(sim.url(), new Random(seed + 1), count / 3, deposits));

            for (int kill = 1; kill <= 2; kill++) {
                int target = count * kill / 3;
                TestWait.until("load to reach " + target, 300_000, () -> answered.size() >= target);
                serve.kill9();
                serve = Child.start(dir.resolve("serve-" + kill + ".log"), "serve", "--port", "0", "--data-dir", data.toString(),
                        "--banks", banks.toString());
                gatewayUrl.set(serve.url());
            }
            for (Thread client : clients) {
                client.join(TimeUnit.MINUTES.toMillis(5));
            }
            depositor.join(TimeUnit.MINUTES.toMillis(5));
            assertThat(answered).as("every withdrawal answered").hasSize(count);

            // Calm the banks so that everything can end: faults off, stalls and maintenance over.
            for (String bank : BANKS) {
                post(sim.url() + "/banks/" + bank + "/faults", "{\"plan\":\"none\"}");
                post(sim.url() + "/banks/" + bank + "/faults", "{\"fault\":\"stall\",\"ms\":0}");
                post(sim.url() + "/banks/" + bank + "/faults", "{\"fault\":\"maintenance\",\"ms\":0}");
            }
            String url = serve.url();
            TestWait.until("every withdrawal to end", 180_000, () -> openWithdrawals(url) == 0);
            TestWait.until("every deposit acknowledged", 120_000, () -> unacknowledged(sim.url()) == 0);
            verify(url, sim.url(), deposits);
            for (String bank : BANKS) {
                JsonNode eod = JSON.readTree(post(sim.url() + "/banks/" + bank + "/end-of-day", "").body());
                Child.Result reconcile = Child.run(dir.resolve("reconcile-" + bank + ".log"), "reconcile", eod.get("file").asText(),
                        "--url", url);
                assertThat(reconcile.exitCode()).as("jango reconcile, bank %s (seed %d):\n%s", bank, seed, reconcile.output()).isZero();
            }
            System.out.println("bank chaos test: " + count + " withdrawals, " + deposits.size() + " deposits, 2 kills, seed " + seed);
        } finally {
            if (serve != null) {
                serve.kill9();
            }
            sim.kill9();
        }
    }

    private static Path writeBanks(Path dir, Child sim) throws IOException {
        Matcher matcher = BANK_PORTS.matcher(Files.readString(sim.log()));
        StringBuilder banks = new StringBuilder("asset=KRW\nretry-min-ms=100\nretry-max-ms=1500\n");
        while (matcher.find()) {
            String bank = "bank." + matcher.group(1) + ".";
            banks.append(bank).append("address=127.0.0.1:").append(matcher.group(2)).append('\n')
                    .append(bank).append("timeout-ms=800\n")
                    .append(bank).append("breaker.window=20\n").append(bank).append("breaker.minimum-calls=10\n")
                    .append(bank).append("breaker.open-ms=1000\n");
        }
        Path file = dir.resolve("banks.properties");
        Files.writeString(file, banks.toString());
        return file;
    }

    // ---- load -------------------------------------------------------------------------------

    /** POSTs the withdrawal until it is answered (200): across kills, 503s and broken connections, always with the same id. */
    private void submit(String id) {
        Map<String, String> w = withdrawals.get(id);
        String body = "{\"id\":\"" + id + "\",\"account\":\"" + w.get("account") + "\",\"amount\":\"" + w.get("amount") + "\",\"bank\":\""
                + w.get("bank") + "\",\"bankAccount\":\"" + w.get("bankAccount") + "\",\"recipientName\":\"홍길동\"}";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = post(gatewayUrl.get() + "/v1/withdrawals", body);
                if (response.statusCode() == 200) {
                    answered.put(id, response.body());
                    return;
                }
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            } catch (IOException e) {
                // the gateway is being killed or restarted: the same id again, soon
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new AssertionError("withdrawal " + id + " was never answered");
    }

    /** Deposits at the simulated banks: most to users' virtual accounts, some to unknown ones (suspense). */
    private void deposit(String simUrl, Random random, int count, Map<String, Integer> deposits) {
        for (int i = 0; i < count; i++) {
            String bank = BANKS.get(random.nextInt(BANKS.size()));
            int user = random.nextInt(100) < 5 ? -1 : random.nextInt(USERS);
            String account = user < 0 ? "5550000" + i : "2790000" + user;
            try {
                JsonNode answer = JSON.readTree(post(simUrl + "/banks/" + bank + "/deposits", "{\"virtualAccount\":\"" + account
                        + "\",\"amount\":\"" + (1_000 + i) + "\",\"name\":\"김철수\"}").body());
                synchronized (deposits) {
                    deposits.put(bank + "/" + answer.get("txNo").asLong(), user);
                }
            } catch (IOException e) {
                throw new AssertionError("the simulator is gone", e);
            }
        }
    }

    // ---- checks -----------------------------------------------------------------------------

    private int openWithdrawals(String url) {
        try {
            int open = 0;
            for (JsonNode bank : JSON.readTree(get(url + "/v1/admin/banks").body()).get("banks")) {
                open += bank.get("queue").get("open").asInt();
            }
            return open;
        } catch (IOException e) {
            return -1;
        }
    }

    private int unacknowledged(String simUrl) {
        int unacked = 0;
        for (String bank : BANKS) {
            try {
                for (JsonNode deposit : JSON.readTree(get(simUrl + "/banks/" + bank + "/books").body()).get("deposits")) {
                    if (!deposit.get("acked").asBoolean()) {
                        unacked++;
                    }
                }
            } catch (IOException e) {
                return -1;
            }
        }
        return unacked;
    }

    private void verify(String url, String simUrl, Map<String, Integer> deposits) throws Exception {
        long[] expected = new long[USERS];
        java.util.Arrays.fill(expected, FUNDS);
        Map<String, Long> paidByBank = new HashMap<>(); // "bank/txNo" -> amount the gateway says was paid
        Map<String, Integer> statuses = new HashMap<>();
        for (String id : withdrawals.keySet()) {
            JsonNode w = JSON.readTree(get(url + "/v1/withdrawals/" + id).body());
            String status = w.get("status").asText();
            statuses.merge(status, 1, Integer::sum);
            assertThat(status).as("withdrawal %s ended", id).isIn("COMPLETED", "FAILED", "REJECTED");
            if (status.equals("COMPLETED")) {
                long amount = Long.parseLong(w.get("amount").asText());
                expected[Integer.parseInt(w.get("account").asText().substring(1))] -= amount;
                assertThat(paidByBank.put(w.get("bank").asText() + "/" + Long.parseLong(w.get("bankTxNo").asText()), amount))
                        .as("one bank transaction number per withdrawal").isNull();
            } else if (status.equals("FAILED")) {
                assertThat(w.get("bankAccount").asText()).as("only closed accounts are refused for good: %s", w).startsWith("999-");
            }
        }
        System.out.println("bank chaos test: statuses " + statuses);
        long suspense = 0;
        for (String bank : BANKS) {
            JsonNode books = JSON.readTree(get(simUrl + "/banks/" + bank + "/books").body());
            assertThat(books.get("paidTwice")).as("bank %s paid a reference twice", bank).isEmpty();
            Set<String> paid = new HashSet<>();
            for (JsonNode transfer : books.get("transfers")) {
                if (transfer.get("code").asText().equals("0000")) {
                    String key = bank + "/" + transfer.get("txNo").asLong();
                    paid.add(key);
                    assertThat(paidByBank.get(key)).as("bank %s paid %s: the gateway has it COMPLETED for the same amount", bank, key)
                            .isEqualTo(transfer.get("amount").asLong());
                }
            }
            for (String key : paidByBank.keySet()) {
                if (key.startsWith(bank + "/")) {
                    assertThat(paid).as("COMPLETED withdrawal %s was paid by the bank", key).contains(key);
                }
            }
            for (JsonNode deposit : books.get("deposits")) {
                Integer user = deposits.get(bank + "/" + deposit.get("txNo").asLong());
                assertThat(user).as("a deposit the test made").isNotNull();
                if (user < 0) {
                    suspense += deposit.get("amount").asLong();
                } else {
                    expected[user] += deposit.get("amount").asLong();
                }
            }
        }
        for (int u = 0; u < USERS; u++) {
            JsonNode balance = JSON.readTree(get(url + "/v1/accounts/u" + u + "/balances?asset=KRW").body()).get("balances").get(0);
            assertThat(balance.get("available").asText()).as("u%d available", u).isEqualTo(Long.toString(expected[u]));
            assertThat(balance.get("held").asText()).as("u%d held: nothing stays held once every withdrawal ended", u).isEqualTo("0");
        }
        JsonNode held = JSON.readTree(get(url + "/v1/accounts/@suspense/balances?asset=KRW").body()).get("balances");
        assertThat(held.isEmpty() ? "0" : held.get(0).get("available").asText()).as("@suspense").isEqualTo(Long.toString(suspense));
        JsonNode state = JSON.readTree(get(url + "/v1/admin/state").body());
        assertThat(state.get("invariants").asText()).isEqualTo("ok");
    }

    // ---- http -------------------------------------------------------------------------------

    private HttpResponse<String> post(String url, String body) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> put(String url, String body) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> get(String url) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
