package jango.client;

import jango.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cases of the HTTP contract (jango-server's ApiContract) over gRPC, through the Java client:
 * the same semantics, reasons, idempotency and limits. Against any backend: a subclass gives the
 * server. Everything a test creates is unique to the run, so the backend need not be fresh.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ClientContract {
    protected final String run = Long.toString(ThreadLocalRandom.current().nextLong(2_176_782_336L, 78_364_164_096L), 36);
    private final AtomicInteger ids = new AtomicInteger();
    protected TestServer server;
    protected JangoClient jango;

    /** The server the contract runs against (its HTTP side is used for the state hash only). */
    protected abstract TestServer startServer(Path dir) throws Exception;

    @BeforeAll
    final void startContractServer(@TempDir Path dir) throws Exception {
        server = startServer(dir);
        jango = JangoClient.builder().endpoints("127.0.0.1:" + server.port()).build();
        for (String[] asset : new String[][] {{"BTC", "8"}, {"USDT", "2"}, {"KRW", "0"}, {"ETH", "18"}}) {
            jango.putAsset(asset[0], Integer.parseInt(asset[1]));
        }
    }

    @AfterAll
    final void stopContractServer() {
        if (jango != null) {
            jango.close();
        }
        if (server != null) {
            server.close();
        }
    }

    protected String id() {
        return "g-" + run + "-" + ids.incrementAndGet();
    }

    protected String user() {
        return "g" + run + "-" + ids.incrementAndGet();
    }

    protected String assetCode(String prefix) {
        return prefix + run.toUpperCase(java.util.Locale.ROOT);
    }

    protected static BigDecimal amount(String text) {
        return new BigDecimal(text);
    }

    protected CommandResult deposit(String account, String asset, String amount) {
        return applied(jango.submit(new Command.Deposit(id(), account, asset, amount(amount))));
    }

    protected static CommandResult applied(CommandResult result) {
        assertThat(result.status()).as(result.toString()).isEqualTo(CommandResult.Status.APPLIED);
        return result;
    }

    protected static void rejected(CommandResult result, String reason) {
        assertThat(result.status()).as(result.toString()).isEqualTo(CommandResult.Status.REJECTED);
        assertThat(result.reason()).as(result.toString()).isEqualTo(reason);
        assertThat(result.message()).isNotBlank();
        assertThat(result.balances()).isEmpty();
    }

    protected Balance balance(String account, String asset) {
        List<Balance> balances = jango.balances(account, asset);
        return balances.isEmpty() ? null : balances.get(0);
    }

    protected static void refused(Runnable call, String code, String messagePart) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(JangoException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    // ---- assets -------------------------------------------------------------------------------

    @Test
    void assetsAreCreatedOnceAndConflictOnAnotherScale() {
        String sol = assetCode("SOL");
        assertThat(jango.putAsset(sol, 9)).isTrue();
        assertThat(jango.putAsset(sol, 9)).isFalse();
        refused(() -> jango.putAsset(sol, 8), "ASSET_CONFLICT", sol);
        assertThat(jango.assets()).containsEntry("BTC", 8).containsEntry("USDT", 2).containsEntry(sol, 9).containsEntry("ETH", 18);
    }

    @Test
    void badAssetRequestsAreMalformed() {
        refused(() -> jango.putAsset("btc", 8), "MALFORMED", "code");
        refused(() -> jango.putAsset("ABCDEFGHIJKLMNOPQ", 8), "MALFORMED", "code");
        refused(() -> jango.putAsset("XYZ", 19), "MALFORMED", "scale");
        refused(() -> jango.putAsset("XYZ", -1), "MALFORMED", "scale");
        assertThat(jango.assets()).doesNotContainKey("XYZ");
    }

    // ---- commands -----------------------------------------------------------------------------

    @Test
    void depositAnswersWithTheResultAndBalances() {
        String user = user();
        String id = id();
        CommandResult result = applied(jango.submit(new Command.Deposit(id, user, "BTC", amount("1.50000000"))));
        assertThat(result.id()).isEqualTo(id);
        assertThat(result.seq()).isPositive();
        assertThat(result.at()).isAfter(Instant.parse("2020-01-01T00:00:00Z"));
        assertThat(result.replayed()).isFalse();
        Balance first = result.balances().get(0);
        assertThat(first.account()).isEqualTo(user);
        assertThat(first.asset()).isEqualTo("BTC");
        assertThat(first.available()).isEqualByComparingTo("1.5");
        assertThat(first.available().toPlainString()).isEqualTo("1.5");
        assertThat(first.held().toPlainString()).isEqualTo("0");
        assertThat(first.revision()).isEqualTo(1);
        assertThat(result.balances().get(1).account()).isEqualTo("@external");
        assertThat(jango.command(id)).contains(result);
    }

    @Test
    void sameIdAndBodyReplaysAndAnotherBodyConflicts() {
        String user = user();
        String replay = id();
        CommandResult first = applied(jango.submit(new Command.Deposit(replay, user, "USDT", amount("10"))));
        // 10 and 10.00 are the same amount, so the same body.
        CommandResult again = jango.submit(new Command.Deposit(replay, user, "USDT", amount("10.00")));
        assertThat(again.replayed()).isTrue();
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(again.balances()).isEqualTo(first.balances());
        refused(() -> jango.submit(new Command.Deposit(replay, user, "USDT", amount("11"))), "ID_CONFLICT", replay);
        assertThat(balance(user, "USDT").available()).isEqualByComparingTo("10");
    }

    @Test
    void rejectedResultsAreStoredAndFinal() {
        String user = user();
        Command withdraw = new Command.Withdraw(id(), user, "BTC", amount("1"));
        rejected(jango.submit(withdraw), "INSUFFICIENT_FUNDS");
        deposit(user, "BTC", "5");
        CommandResult again = jango.submit(withdraw);
        assertThat(again.replayed()).isTrue();
        rejected(again, "INSUFFICIENT_FUNDS");
        assertThat(jango.command(withdraw.id()).orElseThrow().reason()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(balance(user, "BTC").available()).isEqualByComparingTo("5");
    }

    @Test
    void everyRejectionReason() {
        String user = user();
        String other = user();
        deposit(user, "BTC", "1");
        rejected(jango.submit(new Command.Withdraw(id(), user, "BTC", amount("2"))), "INSUFFICIENT_FUNDS");
        rejected(jango.submit(new Command.Deposit(id(), user, assetCode("DOGE"), amount("2"))), "UNKNOWN_ASSET");
        rejected(jango.submit(new Command.Deposit(id(), user, "USDT", amount("0.001"))), "SCALE_EXCEEDED");
        rejected(jango.submit(new Command.Release(id(), "no-such-hold")), "UNKNOWN_HOLD");
        String hold = "h-" + user;
        applied(jango.submit(new Command.Hold(id(), user, "BTC", amount("0.1"), hold)));
        rejected(jango.submit(new Command.Hold(id(), user, "BTC", amount("0.1"), hold)), "HOLD_EXISTS");
        rejected(jango.submit(new Command.Transfer(id(), List.of(new Command.Leg(other, user, "BTC", amount("0.1"), hold)))), "HOLD_MISMATCH");
        rejected(jango.submit(new Command.Deposit(id(), user, "KRW", amount("9".repeat(40)))), "AMOUNT_OVERFLOW");
        rejected(jango.submit(new Command.Transfer(id(), user, user, "BTC", amount("0.1"))), "SAME_ACCOUNT");
        rejected(jango.submit(new Command.Deposit(id(), "@fees", "BTC", amount("1"))), "SYSTEM_ACCOUNT");
        rejected(jango.submit(new Command.Withdraw(id(), "@fees", "BTC", amount("1"))), "SYSTEM_ACCOUNT");
        rejected(jango.submit(new Command.Hold(id(), "@fees", "BTC", amount("1"), "hx")), "SYSTEM_ACCOUNT");
        String ovf = assetCode("OVF");
        jango.putAsset(ovf, 0);
        applied(jango.submit(new Command.Deposit(id(), other, ovf, amount("170141183460469231731687303715884105727"))));
        rejected(jango.submit(new Command.Adjust(id(), other, ovf, amount("1"), "x")), "AMOUNT_OVERFLOW");
        assertThat(balance(user, "BTC").available()).isEqualByComparingTo("0.9");
        assertThat(balance(user, "BTC").held()).isEqualByComparingTo("0.1");
    }

    @Test
    void holdReleaseAndSettleFromHold() {
        String buyer = user();
        String seller = user();
        deposit(buyer, "USDT", "1000");
        deposit(seller, "BTC", "2");
        String hold = "order-" + buyer;
        CommandResult placed = applied(jango.submit(new Command.Hold(id(), buyer, "USDT", amount("600"), hold)));
        assertThat(placed.balances().get(0).available()).isEqualByComparingTo("400");
        assertThat(placed.balances().get(0).held()).isEqualByComparingTo("600");
        Hold view = jango.hold(hold).orElseThrow();
        assertThat(view.state()).isEqualTo(Hold.State.OPEN);
        assertThat(view.remaining()).isEqualByComparingTo("600");
        assertThat(view.expiresAt()).isNull();

        CommandResult settled = applied(jango.submit(new Command.Transfer(id(), List.of(
                new Command.Leg(buyer, seller, "USDT", amount("495"), hold),
                new Command.Leg(buyer, "@fees", "USDT", amount("5"), hold),
                new Command.Leg(seller, buyer, "BTC", amount("0.01"))))));
        assertThat(settled.balances()).hasSize(5);
        assertThat(jango.hold(hold).orElseThrow().remaining()).isEqualByComparingTo("100");
        applied(jango.submit(new Command.Release(id(), hold, amount("40"))));
        applied(jango.submit(new Command.Release(id(), hold)));
        Hold released = jango.hold(hold).orElseThrow();
        assertThat(released.state()).isEqualTo(Hold.State.RELEASED);
        assertThat(released.remaining()).isEqualByComparingTo("0");
        assertThat(released.amount()).isEqualByComparingTo("600");
        assertThat(balance(buyer, "USDT").available()).isEqualByComparingTo("500");
        assertThat(balance(buyer, "BTC").available()).isEqualByComparingTo("0.01");
        assertThat(balance(seller, "USDT").available()).isEqualByComparingTo("495");

        Instant expiry = Instant.parse("2999-01-01T00:00:00.000001Z");
        String later = "later-" + buyer;
        applied(jango.submit(new Command.Hold(id(), buyer, "USDT", amount("1"), later, expiry)));
        assertThat(jango.hold(later).orElseThrow().expiresAt()).isEqualTo(expiry);
        assertThat(jango.hold("nope-" + buyer)).isEmpty();
    }

    @Test
    void multiLegTransferIsAllOrNothing() {
        String a = user();
        String b = user();
        deposit(a, "BTC", "1");
        deposit(a, "USDT", "10");
        CommandResult result = jango.submit(new Command.Transfer(id(), List.of(
                new Command.Leg(a, b, "BTC", amount("0.5")), new Command.Leg(a, b, "USDT", amount("11")))));
        rejected(result, "INSUFFICIENT_FUNDS");
        assertThat(result.message()).startsWith("legs[1]");
        assertThat(balance(a, "BTC").available()).isEqualByComparingTo("1");
        assertThat(balance(a, "BTC").revision()).isEqualTo(1);
        assertThat(jango.balances(b)).isEmpty();
    }

    @Test
    void adjustIsSignedAgainstAdjustments() {
        String user = user();
        applied(jango.submit(new Command.Adjust(id(), user, "ETH", amount("1.000000000000000001"), "ticket 42")));
        CommandResult down = applied(jango.submit(new Command.Adjust(id(), user, "ETH", amount("-0.000000000000000001"), "ticket 43")));
        assertThat(down.balances().get(0).available().toPlainString()).isEqualTo("1");
        assertThat(down.balances().get(1).account()).isEqualTo("@adjustments");
        rejected(jango.submit(new Command.Adjust(id(), user, "ETH", amount("-2"), "too much")), "INSUFFICIENT_FUNDS");
    }

    @Test
    void commandsSentTogetherStandAloneAndAnswerInOrder() {
        String user = user();
        String dup = id();
        List<CompletableFuture<CommandResult>> answers = new ArrayList<>();
        answers.add(jango.submitAsync(new Command.Deposit(dup, user, "BTC", amount("1"))));
        answers.add(jango.submitAsync(new Command.Withdraw(id(), user, "BTC", amount("5"))));
        answers.add(jango.submitAsync(new Command.Withdraw(id(), user, "BTC", amount("0.25"))));
        answers.add(jango.submitAsync(new Command.Deposit(dup, user, "BTC", amount("1"))));
        answers.add(jango.submitAsync(new Command.Deposit(dup, user, "BTC", amount("2"))));
        CommandResult first = applied(answers.get(0).join());
        rejected(answers.get(1).join(), "INSUFFICIENT_FUNDS");
        applied(answers.get(2).join());
        assertThat(answers.get(3).join().seq()).isEqualTo(first.seq());
        assertThat(answers.get(4)).failsWithin(java.time.Duration.ofSeconds(30)).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(JangoException.class, e -> assertThat(e.code()).isEqualTo("ID_CONFLICT"));
        assertThat(balance(user, "BTC").available()).isEqualByComparingTo("0.75");
    }

    /** One caller's malformed command in a shared batch is that caller's refusal; the others are applied. */
    @Test
    void aMalformedCommandFailsAloneInItsBatch() {
        String user = user();
        List<CompletableFuture<CommandResult>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String account = i == 7 ? "bad name" : user;
            answers.add(jango.submitAsync(new Command.Deposit(id(), account, "KRW", amount("1"))));
        }
        for (int i = 0; i < 20; i++) {
            if (i == 7) {
                assertThat(answers.get(i)).failsWithin(java.time.Duration.ofSeconds(30)).withThrowableThat().havingCause()
                        .isInstanceOfSatisfying(JangoException.class, e -> {
                            assertThat(e.code()).isEqualTo("MALFORMED");
                            assertThat(e.getMessage()).contains("deposit.account");
                        });
            } else {
                applied(answers.get(i).join());
            }
        }
        assertThat(balance(user, "KRW").available()).isEqualByComparingTo("19");
    }

    // ---- queries ------------------------------------------------------------------------------

    @Test
    void balancesOfOneOrEveryAsset() {
        String user = user();
        assertThat(jango.balances(user)).isEmpty();
        deposit(user, "BTC", "1");
        deposit(user, "USDT", "2");
        deposit(user, "USDT", "1");
        assertThat(jango.balances(user)).extracting(Balance::asset).containsExactly("BTC", "USDT");
        Balance usdt = balance(user, "USDT");
        assertThat(usdt.available()).isEqualByComparingTo("3");
        assertThat(usdt.revision()).isEqualTo(2);
        refused(() -> jango.balances("bad name"), "MALFORMED", "account");
        assertThat(jango.balances("@external")).isNotEmpty();
    }

    @Test
    void historyIsNewestFirstAndPagesNeverSkipOrRepeat() {
        String user = user();
        String other = user();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            CommandResult result = deposit(user, i % 2 == 0 ? "BTC" : "USDT", Integer.toString(i + 1));
            expected.add(0, result.id());
        }
        rejected(jango.submit(new Command.Withdraw(id(), user, "BTC", amount("100000"))), "INSUFFICIENT_FUNDS");
        CommandResult transfer = applied(jango.submit(new Command.Transfer(id(), user, other, "BTC", amount("1"))));
        expected.add(0, transfer.id());

        List<String> seen = new ArrayList<>();
        String cursor = null;
        long lastSeq = Long.MAX_VALUE;
        do {
            HistoryPage page = jango.history(user, null, 4, cursor);
            for (HistoryEntry entry : page.entries()) {
                assertThat(entry.seq()).isLessThan(lastSeq);
                lastSeq = entry.seq();
                seen.add(entry.commandId());
            }
            cursor = page.next();
        } while (cursor != null);
        assertThat(seen).isEqualTo(expected);

        HistoryEntry newest = jango.history(user, null, 1, null).entries().get(0);
        assertThat(newest.type()).isEqualTo("transfer");
        assertThat(newest.availableDelta().toPlainString()).isEqualTo("-1");
        assertThat(newest.heldDelta().toPlainString()).isEqualTo("0");
        assertThat(newest.available()).isEqualByComparingTo("168");
        assertThat(jango.history(user, "USDT", 1000, null).entries()).hasSize(12).allSatisfy(e -> assertThat(e.asset()).isEqualTo("USDT"));
        refused(() -> jango.history(user, null, 1001, null), "MALFORMED", "limit");
        refused(() -> jango.history(user, null, -1, null), "MALFORMED", "limit");
        refused(() -> jango.history(user, null, 10, "not-a-cursor"), "MALFORMED", "cursor");
        refused(() -> jango.history(user, "btc", 10, null), "MALFORMED", "asset");
    }

    @Test
    void lookupAnswersStoredResultsInOrder() {
        CommandResult first = deposit(user(), "KRW", "5");
        List<CommandResult> found = jango.lookup(List.of(first.id(), "never-sent-x" + run));
        assertThat(found.get(0)).isEqualTo(first);
        assertThat(found.get(1)).isNull();
        refused(() -> jango.lookup(List.of("ok", "bad id")), "MALFORMED", "ids[1]");
        assertThat(jango.command("never-sent-" + run)).isEmpty();
    }

    @Test
    void healthListsShards() {
        Health health = jango.health();
        assertThat(health.up()).isTrue();
        assertThat(health.shards()).isNotEmpty().allSatisfy(shard -> assertThat(shard.up()).isTrue());
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
                    seqs.add(deposit(user, "KRW", "1").seq());
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        assertThat(seqs).hasSize(threads * perThread);
        assertThat(balance(user, "KRW").available()).isEqualByComparingTo(Integer.toString(threads * perThread));
    }
}
