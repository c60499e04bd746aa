package jango.server;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint, status code and error code of shared/API.md, over real HTTP, against any backend:
 * a subclass gives the server ({@link #startServer}). One server for the whole class.
 *
 * <p>Nothing here needs a fresh backend: every command id, account, hold and asset that a test
 * creates is unique to this run ({@link #run}), and assets the tests share (BTC, USDT, KRW, ETH)
 * are created idempotently. What only one backend promises belongs in its subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ApiContract {
    /** This run's tag, 7 base-36 characters: in ids and accounts (lower case) and in asset codes (upper case). */
    protected final String run = Long.toString(ThreadLocalRandom.current().nextLong(2_176_782_336L, 78_364_164_096L), 36); // [36^6, 36^7)
    private final AtomicInteger ids = new AtomicInteger();
    /**
     * The server under test, from {@link #startServer}. (Its name hides the package {@code jango}
     * in subclasses: import classes there rather than writing {@code jango.x.Y}.)
     */
    protected TestServer jango;

    /**
     * The server the contract runs against, called once before the tests of the class (after the
     * class's extensions, before any {@code @BeforeAll} of the subclass). It must answer on HTTP
     * when this returns; {@link TestServer#close()} closes it after the tests (use
     * {@link TestServer#closing} for infrastructure that must outlive the ledger).
     *
     * @param dir an empty directory for this class, deleted afterwards
     */
    protected abstract TestServer startServer(Path dir) throws Exception;

    @BeforeAll
    final void startContractServer(@TempDir Path dir) throws Exception {
        jango = startServer(dir);
        jango.asset("BTC", 8);
        jango.asset("USDT", 2);
        jango.asset("KRW", 0);
        jango.asset("ETH", 18);
    }

    @AfterAll
    final void stopContractServer() {
        if (jango != null) {
            jango.close();
        }
    }

    /** A command id unique to this run. */
    protected String id() {
        return "c-" + run + "-" + ids.incrementAndGet();
    }

    /** An account unique to this run. */
    protected String user() {
        return "u" + run + "-" + ids.incrementAndGet();
    }

    /** An asset code unique to this run, starting with {@code prefix} (at most 9 characters, A-Z and 0-9). */
    protected String assetCode(String prefix) {
        return prefix + run.toUpperCase(java.util.Locale.ROOT);
    }

    protected Reply deposit(String account, String asset, String amount) {
        return jango.command("{\"id\":\"" + id() + "\",\"type\":\"deposit\",\"account\":\"" + account + "\",\"asset\":\"" + asset
                + "\",\"amount\":\"" + amount + "\"}");
    }

    protected static JsonNode applied(Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode json = reply.json();
        assertThat(json.get("status").asText()).as(reply.toString()).isEqualTo("APPLIED");
        return json;
    }

    protected static void rejected(Reply reply, String reason) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode json = reply.json();
        assertThat(json.get("status").asText()).as(reply.toString()).isEqualTo("REJECTED");
        assertThat(json.get("reason").asText()).as(reply.toString()).isEqualTo(reason);
        assertThat(json.get("message").asText()).isNotBlank();
        assertThat(json.has("balances")).isFalse();
    }

    protected JsonNode balance(String account, String asset) {
        JsonNode balances = jango.get("/v1/accounts/" + account + "/balances?asset=" + asset).json().get("balances");
        return balances.isEmpty() ? null : balances.get(0);
    }

    // ---- assets -------------------------------------------------------------------------------

    @Test
    void assetsAreCreatedOnceAndConflictOnAnotherScale() {
        String sol = assetCode("SOL");
        assertThat(jango.put("/v1/assets/" + sol, "{\"scale\": 9}").status()).isEqualTo(201);
        Reply again = jango.put("/v1/assets/" + sol, "{\"scale\": 9}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("scale").asInt()).isEqualTo(9);
        Reply conflict = jango.put("/v1/assets/" + sol, "{\"scale\": 8}");
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.json().get("error").asText()).isEqualTo("ASSET_CONFLICT");
        JsonNode assets = jango.get("/v1/assets").json().get("assets");
        List<String> codes = new ArrayList<>();
        assets.forEach(a -> codes.add(a.get("code").asText() + ":" + a.get("scale").asInt()));
        assertThat(codes).contains("BTC:8", "USDT:2", sol + ":9", "ETH:18");
    }

    @Test
    void badAssetRequestsAreMalformed() {
        for (String[] bad : new String[][] {
                {"/v1/assets/btc", "{\"scale\": 8}", "code"},
                {"/v1/assets/ABCDEFGHIJKLMNOPQ", "{\"scale\": 8}", "code"},
                {"/v1/assets/XYZ", "{\"scale\": 19}", "scale"},
                {"/v1/assets/XYZ", "{\"scale\": -1}", "scale"},
                {"/v1/assets/XYZ", "{\"scale\": \"8\"}", "scale"},
                {"/v1/assets/XYZ", "{\"scale\": 8.0}", "scale"},
                {"/v1/assets/XYZ", "{}", "scale"},
                {"/v1/assets/XYZ", "{\"scale\": 8, \"name\": \"x\"}", "name"},
                {"/v1/assets/XYZ", "[8]", "body"},
                {"/v1/assets/XYZ", "{\"scale\": 8", "body"}}) {
            Reply reply = jango.put(bad[0], bad[1]);
            assertThat(reply.status()).as(bad[0] + " " + bad[1]).isEqualTo(400);
            assertThat(reply.json().get("error").asText()).isEqualTo("MALFORMED");
            assertThat(reply.json().get("message").asText()).as(bad[1]).contains(bad[2]);
        }
        List<String> codes = new ArrayList<>();
        jango.get("/v1/assets").json().get("assets").forEach(a -> codes.add(a.get("code").asText()));
        assertThat(codes).doesNotContain("XYZ");
    }

    // ---- commands -----------------------------------------------------------------------------

    @Test
    void depositAnswersWithTheResultAndBalances() {
        String user = user();
        String id = id();
        Reply reply = jango.command("{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + user
                + "\",\"asset\":\"BTC\",\"amount\":\"1.50000000\"}");
        JsonNode json = applied(reply);
        assertThat(json.get("id").asText()).isEqualTo(id);
        assertThat(json.get("seq").asLong()).isPositive();
        assertThat(json.get("at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
        JsonNode first = json.get("balances").get(0);
        assertThat(first.get("account").asText()).isEqualTo(user);
        assertThat(first.get("asset").asText()).isEqualTo("BTC");
        assertThat(first.get("available").asText()).isEqualTo("1.5");
        assertThat(first.get("held").asText()).isEqualTo("0");
        assertThat(first.get("revision").asLong()).isEqualTo(1);
        assertThat(json.get("balances").get(1).get("account").asText()).isEqualTo("@external");

        Reply stored = jango.get("/v1/commands/" + id);
        assertThat(stored.status()).isEqualTo(200);
        assertThat(stored.body()).isEqualTo(reply.body());
    }

    @Test
    void sameIdAndBodyReplaysAndAnotherBodyConflicts() {
        String user = user();
        String replay = id();
        String body = "{\"id\":\"" + replay + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"USDT\",\"amount\":\"10\"}";
        Reply first = jango.command(body);
        applied(first);
        assertThat(first.header("Jango-Replayed")).isNull();
        // Same body with other key order and spacing is the same command.
        Reply again = jango.command("{ \"amount\":\"10\", \"asset\":\"USDT\", \"account\":\"" + user
                + "\", \"type\":\"deposit\", \"id\":\"" + replay + "\" }");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Jango-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        Reply conflict = jango.command(body.replace("\"10\"", "\"11\""));
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.json().get("error").asText()).isEqualTo("ID_CONFLICT");
        assertThat(balance(user, "USDT").get("available").asText()).isEqualTo("10");
    }

    @Test
    void rejectedResultsAreStoredAndFinal() {
        String user = user();
        String id = id();
        String body = "{\"id\":\"" + id + "\",\"type\":\"withdraw\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"1\"}";
        rejected(jango.command(body), "INSUFFICIENT_FUNDS");
        deposit(user, "BTC", "5");
        Reply again = jango.command(body);
        assertThat(again.header("Jango-Replayed")).isEqualTo("true");
        assertThat(again.json().get("status").asText()).isEqualTo("REJECTED");
        assertThat(jango.get("/v1/commands/" + id).json().get("reason").asText()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(balance(user, "BTC").get("available").asText()).isEqualTo("5");
    }

    @Test
    void everyRejectionReason() {
        String user = user();
        String other = user();
        deposit(user, "BTC", "1");
        String base = "{\"id\":\"%s\",\"type\":\"%s\",%s}";
        rejected(jango.command(base.formatted(id(), "withdraw", "\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"2\"")), "INSUFFICIENT_FUNDS");
        rejected(jango.command(base.formatted(id(), "deposit", "\"account\":\"" + user + "\",\"asset\":\"" + assetCode("DOGE") + "\",\"amount\":\"2\"")), "UNKNOWN_ASSET");
        rejected(jango.command(base.formatted(id(), "deposit", "\"account\":\"" + user + "\",\"asset\":\"USDT\",\"amount\":\"0.001\"")), "SCALE_EXCEEDED");
        rejected(jango.command(base.formatted(id(), "release", "\"hold\":\"no-such-hold\"")), "UNKNOWN_HOLD");
        applied(jango.command(base.formatted(id(), "hold", "\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"0.1\",\"hold\":\"h-" + user + "\"")));
        rejected(jango.command(base.formatted(id(), "hold", "\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"0.1\",\"hold\":\"h-" + user + "\"")), "HOLD_EXISTS");
        rejected(jango.command(base.formatted(id(), "transfer", "\"from\":\"" + other + "\",\"to\":\"" + user
                + "\",\"asset\":\"BTC\",\"amount\":\"0.1\",\"hold\":\"h-" + user + "\"")), "HOLD_MISMATCH");
        rejected(jango.command(base.formatted(id(), "deposit", "\"account\":\"" + user + "\",\"asset\":\"KRW\",\"amount\":\""
                + "9".repeat(40) + "\"")), "AMOUNT_OVERFLOW");
        rejected(jango.command(base.formatted(id(), "transfer", "\"from\":\"" + user + "\",\"to\":\"" + user
                + "\",\"asset\":\"BTC\",\"amount\":\"0.1\"")), "SAME_ACCOUNT");
        rejected(jango.command(base.formatted(id(), "deposit", "\"account\":\"@fees\",\"asset\":\"BTC\",\"amount\":\"1\"")), "SYSTEM_ACCOUNT");
        rejected(jango.command(base.formatted(id(), "withdraw", "\"account\":\"@fees\",\"asset\":\"BTC\",\"amount\":\"1\"")), "SYSTEM_ACCOUNT");
        rejected(jango.command(base.formatted(id(), "hold", "\"account\":\"@fees\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"hx\"")), "SYSTEM_ACCOUNT");
        // 2^127-1 minor units of KRW is fine; one more credit to the same account overflows.
        // A fresh asset, so @external's side of it holds exactly -(2^127-1) and stays in range.
        String ovf = assetCode("OVF");
        jango.asset(ovf, 0);
        String max = "170141183460469231731687303715884105727";
        applied(jango.command(base.formatted(id(), "deposit", "\"account\":\"" + other + "\",\"asset\":\"" + ovf + "\",\"amount\":\"" + max + "\"")));
        rejected(jango.command(base.formatted(id(), "adjust", "\"account\":\"" + other + "\",\"asset\":\"" + ovf + "\",\"amount\":\"1\",\"reason\":\"x\"")), "AMOUNT_OVERFLOW");
        assertThat(balance(user, "BTC").get("available").asText()).isEqualTo("0.9");
        assertThat(balance(user, "BTC").get("held").asText()).isEqualTo("0.1");
    }

    @Test
    void holdReleaseAndSettleFromHold() {
        String buyer = user();
        String seller = user();
        deposit(buyer, "USDT", "1000");
        deposit(seller, "BTC", "2");
        String hold = "order-" + buyer;
        JsonNode placed = applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + buyer
                + "\",\"asset\":\"USDT\",\"amount\":\"600\",\"hold\":\"" + hold + "\"}"));
        assertThat(placed.get("balances").get(0).get("available").asText()).isEqualTo("400");
        assertThat(placed.get("balances").get(0).get("held").asText()).isEqualTo("600");
        JsonNode view = jango.get("/v1/holds/" + hold).json();
        assertThat(view.get("state").asText()).isEqualTo("OPEN");
        assertThat(view.get("remaining").asText()).isEqualTo("600");
        assertThat(view.get("expiresAt").isNull()).isTrue();

        // A trade settles from the hold with a fee leg, all or nothing.
        String trade = "{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + buyer + "\",\"to\":\"" + seller + "\",\"asset\":\"USDT\",\"amount\":\"495\",\"hold\":\"" + hold + "\"},"
                + "{\"from\":\"" + buyer + "\",\"to\":\"@fees\",\"asset\":\"USDT\",\"amount\":\"5\",\"hold\":\"" + hold + "\"},"
                + "{\"from\":\"" + seller + "\",\"to\":\"" + buyer + "\",\"asset\":\"BTC\",\"amount\":\"0.01\"}]}";
        JsonNode settled = applied(jango.command(trade));
        // buyer and seller in both assets, and @fees
        assertThat(settled.get("balances")).hasSize(5);
        assertThat(jango.get("/v1/holds/" + hold).json().get("remaining").asText()).isEqualTo("100");
        assertThat(jango.get("/v1/holds/" + hold).json().get("state").asText()).isEqualTo("OPEN");
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"release\",\"hold\":\"" + hold + "\",\"amount\":\"40\"}"));
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"release\",\"hold\":\"" + hold + "\"}"));
        JsonNode released = jango.get("/v1/holds/" + hold).json();
        assertThat(released.get("state").asText()).isEqualTo("RELEASED");
        assertThat(released.get("remaining").asText()).isEqualTo("0");
        assertThat(released.get("amount").asText()).isEqualTo("600");
        assertThat(balance(buyer, "USDT").get("available").asText()).isEqualTo("500");
        assertThat(balance(buyer, "USDT").get("held").asText()).isEqualTo("0");
        assertThat(balance(buyer, "BTC").get("available").asText()).isEqualTo("0.01");
        assertThat(balance(seller, "USDT").get("available").asText()).isEqualTo("495");

        String settleAll = "full-" + buyer;
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + buyer
                + "\",\"asset\":\"USDT\",\"amount\":\"100\",\"hold\":\"" + settleAll + "\"}"));
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"from\":\"" + buyer + "\",\"to\":\"" + seller
                + "\",\"asset\":\"USDT\",\"amount\":\"100\",\"hold\":\"" + settleAll + "\"}"));
        assertThat(jango.get("/v1/holds/" + settleAll).json().get("state").asText()).isEqualTo("SETTLED");
        rejected(jango.command("{\"id\":\"" + id() + "\",\"type\":\"release\",\"hold\":\"" + settleAll + "\"}"), "UNKNOWN_HOLD");

        Reply unknown = jango.get("/v1/holds/nope-" + buyer);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).isEqualTo("NOT_FOUND");
    }

    @Test
    void multiLegTransferIsAllOrNothing() {
        String a = user();
        String b = user();
        deposit(a, "BTC", "1");
        deposit(a, "USDT", "10");
        Reply reply = jango.command("{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"asset\":\"BTC\",\"amount\":\"0.5\"},"
                + "{\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"asset\":\"USDT\",\"amount\":\"11\"}]}");
        rejected(reply, "INSUFFICIENT_FUNDS");
        assertThat(reply.json().get("message").asText()).startsWith("legs[1]");
        assertThat(balance(a, "BTC").get("available").asText()).isEqualTo("1");
        assertThat(balance(a, "BTC").get("revision").asLong()).isEqualTo(1);
        assertThat(jango.get("/v1/accounts/" + b + "/balances").json().get("balances")).isEmpty();
    }

    @Test
    void adjustIsSignedAgainstAdjustments() {
        String user = user();
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"adjust\",\"account\":\"" + user
                + "\",\"asset\":\"ETH\",\"amount\":\"1.000000000000000001\",\"reason\":\"ticket 42\"}"));
        JsonNode json = applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"adjust\",\"account\":\"" + user
                + "\",\"asset\":\"ETH\",\"amount\":\"-0.000000000000000001\",\"reason\":\"ticket 43\"}"));
        assertThat(json.get("balances").get(0).get("available").asText()).isEqualTo("1");
        assertThat(json.get("balances").get(1).get("account").asText()).isEqualTo("@adjustments");
        rejected(jango.command("{\"id\":\"" + id() + "\",\"type\":\"adjust\",\"account\":\"" + user
                + "\",\"asset\":\"ETH\",\"amount\":\"-2\",\"reason\":\"too much\"}"), "INSUFFICIENT_FUNDS");
    }

    @Test
    void batchAnswersInOrderAndEachCommandStandsAlone() {
        String user = user();
        String dup = id();
        String body = "{\"commands\":["
                + "{\"id\":\"" + dup + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"1\"},"
                + "{\"id\":\"" + id() + "\",\"type\":\"withdraw\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"5\"},"
                + "{\"id\":\"" + id() + "\",\"type\":\"withdraw\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"0.25\"},"
                + "{\"id\":\"" + dup + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"1\"},"
                + "{\"id\":\"" + dup + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"2\"}]}";
        Reply reply = jango.post("/v1/commands/batch", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode results = reply.json().get("results");
        assertThat(results).hasSize(5);
        assertThat(results.get(0).get("status").asText()).isEqualTo("APPLIED");
        assertThat(results.get(1).get("reason").asText()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(results.get(2).get("status").asText()).isEqualTo("APPLIED");
        assertThat(results.get(3)).isEqualTo(results.get(0));
        assertThat(results.get(4).get("error").asText()).isEqualTo("ID_CONFLICT");
        assertThat(results.get(1).get("seq").asLong()).isGreaterThan(results.get(0).get("seq").asLong());
        assertThat(balance(user, "BTC").get("available").asText()).isEqualTo("0.75");
    }

    @Test
    void batchLimits() {
        StringBuilder big = new StringBuilder("{\"commands\":[");
        for (int i = 0; i <= 10_000; i++) {
            big.append(i == 0 ? "" : ",").append("{\"id\":\"b").append(i).append("\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":\"1\"}");
        }
        String tooMany = big.append("]}").toString();
        assertThat(tooMany.length()).isLessThan(1 << 20);
        Reply many = jango.post("/v1/commands/batch", tooMany);
        assertThat(many.status()).isEqualTo(413);
        assertThat(many.json().get("error").asText()).isEqualTo("TOO_LARGE");

        Reply huge = jango.post("/v1/commands", "{\"id\":\"x\",\"type\":\"deposit\",\"pad\":\"" + "x".repeat(1 << 20) + "\"}");
        assertThat(huge.status()).isEqualTo(413);
        assertThat(huge.json().get("error").asText()).isEqualTo("TOO_LARGE");

        Reply empty = jango.post("/v1/commands/batch", "{\"commands\":[]}");
        assertThat(empty.status()).isEqualTo(400);
        String ok1 = id();
        Reply bad = jango.post("/v1/commands/batch", "{\"commands\":[{\"id\":\"" + ok1 + "\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":\"1\"},"
                + "{\"id\":\"" + id() + "\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":1}]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("message").asText()).startsWith("commands[1].amount");
        assertThat(jango.get("/v1/commands/" + ok1).status()).isEqualTo(404);
    }

    // ---- queries ------------------------------------------------------------------------------

    @Test
    void balancesHaveAnEtagThatChangesOnlyWithTheBalances() {
        String user = user();
        assertThat(jango.get("/v1/accounts/" + user + "/balances").json().get("balances")).isEmpty();
        deposit(user, "BTC", "1");
        deposit(user, "USDT", "2");
        Reply first = jango.get("/v1/accounts/" + user + "/balances");
        assertThat(first.json().get("account").asText()).isEqualTo(user);
        assertThat(first.json().get("balances")).hasSize(2);
        String etag = first.header("ETag");
        assertThat(etag).isNotBlank();
        Reply unchanged = jango.get("/v1/accounts/" + user + "/balances", "If-None-Match", etag);
        assertThat(unchanged.status()).isEqualTo(304);
        deposit(user, "USDT", "1");
        Reply changed = jango.get("/v1/accounts/" + user + "/balances", "If-None-Match", etag);
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.header("ETag")).isNotEqualTo(etag);
        JsonNode usdt = jango.get("/v1/accounts/" + user + "/balances?asset=USDT").json().get("balances");
        assertThat(usdt).hasSize(1);
        assertThat(usdt.get(0).get("available").asText()).isEqualTo("3");
        assertThat(usdt.get(0).get("revision").asLong()).isEqualTo(2);
        assertThat(jango.get("/v1/accounts/bad%20name/balances").status()).isEqualTo(400);
        assertThat(jango.get("/v1/accounts/@external/balances").json().get("balances")).isNotEmpty();
    }

    @Test
    void historyIsNewestFirstAndPagesNeverSkipOrRepeat() {
        String user = user();
        String other = user();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = id();
            jango.command("{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"" + (i % 2 == 0 ? "BTC" : "USDT")
                    + "\",\"amount\":\"" + (i + 1) + "\"}");
            expected.add(0, id);
        }
        // Rejected commands are not history.
        rejected(jango.command("{\"id\":\"" + id() + "\",\"type\":\"withdraw\",\"account\":\"" + user
                + "\",\"asset\":\"BTC\",\"amount\":\"100000\"}"), "INSUFFICIENT_FUNDS");
        String transfer = id();
        applied(jango.command("{\"id\":\"" + transfer + "\",\"type\":\"transfer\",\"from\":\"" + user + "\",\"to\":\"" + other
                + "\",\"asset\":\"BTC\",\"amount\":\"1\"}"));
        expected.add(0, transfer);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        long lastSeq = Long.MAX_VALUE;
        do {
            Reply page = jango.get("/v1/accounts/" + user + "/history?limit=4" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            for (JsonNode entry : page.json().get("entries")) {
                assertThat(entry.get("seq").asLong()).isLessThan(lastSeq);
                lastSeq = entry.get("seq").asLong();
                seen.add(entry.get("commandId").asText());
            }
            cursor = page.json().get("next").isNull() ? null : page.json().get("next").asText();
        } while (cursor != null);
        assertThat(seen).isEqualTo(expected);

        JsonNode newest = jango.get("/v1/accounts/" + user + "/history?limit=1").json().get("entries").get(0);
        assertThat(newest.get("type").asText()).isEqualTo("transfer");
        assertThat(newest.get("availableDelta").asText()).isEqualTo("-1");
        assertThat(newest.get("heldDelta").asText()).isEqualTo("0");
        assertThat(newest.get("available").asText()).isEqualTo("168");
        assertThat(newest.get("at").asText()).endsWith("Z");

        JsonNode usdtOnly = jango.get("/v1/accounts/" + user + "/history?asset=USDT&limit=1000").json().get("entries");
        assertThat(usdtOnly).hasSize(12);
        usdtOnly.forEach(e -> assertThat(e.get("asset").asText()).isEqualTo("USDT"));

        for (String bad : List.of("limit=0", "limit=1001", "limit=x", "cursor=not-a-cursor", "asset=btc")) {
            Reply reply = jango.get("/v1/accounts/" + user + "/history?" + bad);
            assertThat(reply.status()).as(bad).isEqualTo(400);
            assertThat(reply.json().get("error").asText()).isEqualTo("MALFORMED");
        }
    }

    @Test
    void unknownCommandsRoutesAndMethods() {
        Reply missing = jango.get("/v1/commands/never-sent-" + run);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").asText()).isEqualTo("NOT_FOUND");
        Reply route = jango.get("/v2/nothing");
        assertThat(route.status()).isEqualTo(404);
        assertThat(route.json().get("error").asText()).isEqualTo("NOT_FOUND");
        Reply method = jango.send("DELETE", "/v1/commands", null);
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.json().has("error")).isTrue();
    }

    @Test
    void lookupAnswersStoredResultsInOrderAndAdminStateChecksInvariants() {
        String user = user();
        Reply first = deposit(user, "KRW", "5");
        String id = first.json().get("id").asText();
        Reply lookup = jango.post("/v1/commands/lookup", "{\"ids\":[\"" + id + "\",\"never-sent-x" + run + "\"]}");
        assertThat(lookup.status()).isEqualTo(200);
        assertThat(lookup.json().get("results").get(0)).isEqualTo(first.json());
        assertThat(lookup.json().get("results").get(1).isNull()).isTrue();
        Reply bad = jango.post("/v1/commands/lookup", "{\"ids\":[\"ok\", 7]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("message").asText()).startsWith("ids[1]");
        JsonNode state = jango.get("/v1/admin/state").json();
        assertThat(state.get("invariants").asText()).isEqualTo("ok");
        assertThat(state.get("stateHash").asText()).hasSize(64);
    }

    @Test
    void healthAndMetrics() {
        Reply health = jango.get("/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("UP");
        assertThat(health.json().get("shards")).isNotEmpty();
        health.json().get("shards").forEach(shard -> assertThat(shard.get("status").asText()).as(shard.toString()).isEqualTo("UP"));
        deposit(user(), "KRW", "1");
        Reply metrics = jango.get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("jango_commands_total{status=\"APPLIED\"}", "jango_batch_write_seconds", "jango_shards_halted");
    }

    @Test
    void seqsAreUniqueAcrossConcurrentClients() throws Exception {
        String user = user();
        int threads = 8;
        int perThread = 50;
        Set<Long> seqs = java.util.Collections.synchronizedSet(new HashSet<>());
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    seqs.add(applied(deposit(user, "KRW", "1")).get("seq").asLong());
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        assertThat(seqs).hasSize(threads * perThread);
        assertThat(balance(user, "KRW").get("available").asText()).isEqualTo(Integer.toString(threads * perThread));
    }
}
