package jango.engine;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random streams through several shards ({@link Cluster}), the full invariant check of the
 * shard after every entry.
 *
 * <ul>
 *   <li><b>Embedded answers, one at a time.</b> The property test's stream, each command answered
 *       before the next: every answer (status, reason, message, balances but revisions) and every
 *       balance and hold equal those of one engine, as embedded mode gives them.</li>
 *   <li><b>All or nothing, under faults.</b> Many transfers at once between users of every shard,
 *       settling from holds that releases and expiries race, while the network loses, duplicates
 *       and delays protocol records and time passes deadlines. When everything has settled: nothing
 *       is in flight or locked, {@code @clearing} is zero, every answer is the stored result, and
 *       each transfer's history entries over all shards are exactly its legs (APPLIED) or nothing.</li>
 * </ul>
 *
 * More seeds: {@code -Django.engine.crossShardSeeds=200}; one seed: {@code -Django.engine.crossShardSeed=N}.
 */
class CrossShardPropertyTest {
    private static final int DEFAULT_SEEDS = 8;
    private static final long FIRST_SEED = 0xC055_0000L;

    @TestFactory
    Stream<DynamicTest> oneAtATimeEveryAnswerIsEmbeddedModes() {
        return seeds().mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> withSeed(seed, () -> serial(seed, 1_500))));
    }

    @TestFactory
    Stream<DynamicTest> concurrentTransfersUnderFaultsApplyAllOrNothing() {
        return seeds().mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> withSeed(seed, () -> concurrent(seed, 300))));
    }

    private static LongStream seeds() {
        String explicit = System.getProperty("jango.engine.crossShardSeed");
        if (explicit != null && !explicit.isBlank()) {
            return Arrays.stream(explicit.split(",")).map(String::trim).mapToLong(Long::decode);
        }
        return LongStream.range(FIRST_SEED, FIRST_SEED + Integer.getInteger("jango.engine.crossShardSeeds", DEFAULT_SEEDS));
    }

    private static void withSeed(long seed, Runnable run) {
        try {
            run.run();
        } catch (Throwable failure) {
            throw new AssertionError("seed " + seed + ": " + failure.getMessage()
                    + "\nreplay with: mvn -pl jango-engine test -Dtest=CrossShardPropertyTest -Django.engine.crossShardSeed=" + seed, failure);
        }
    }

    // ---- one at a time: the answers of embedded mode ----------------------------------------------

    private static void serial(long seed, int commands) {
        Cluster cluster = new Cluster(3 + (int) (seed % 2));
        Engine reference = new Engine();
        ReferenceLedger hints = new ReferenceLedger();
        CommandStream stream = new CommandStream(seed, hints);
        int crossed = 0;
        for (int i = 0; i < commands; i++) {
            CommandStream.Entry entry = stream.next();
            hints.apply(entry.atMicros(), entry.command());
            Outcome expected = reference.apply(reference.lastSeq() + 1, entry.atMicros(), entry.command(), EngineListener.NONE);
            cluster.nowMicros = Math.max(cluster.nowMicros, entry.atMicros());
            String what = "entry #" + i + " " + entry.command();
            switch (entry.command()) {
                case Command.RegisterAsset register -> {
                    for (int shard = 0; shard < cluster.count; shard++) {
                        cluster.logs.get(shard).add(new Cluster.Entry(register, entry.atMicros()));
                    }
                    cluster.runUntilQuiet(new Random(seed + i));
                }
                case Command.Tick tick -> {
                    cluster.tickAll(entry.atMicros());
                    cluster.runUntilQuiet(new Random(seed + i));
                }
                default -> {
                    int before = cluster.sent.getOrDefault("Prepare", 0);
                    Outcome actual = cluster.run(entry.command());
                    crossed += cluster.sent.getOrDefault("Prepare", 0) > before ? 1 : 0;
                    if (systemAccountSplit(expected, actual)) {
                        return;
                    }
                    sameAnswer(what, expected, actual);
                }
            }
            cluster.assertNothingInFlight(); // @clearing: the stream uses it in legs too, so sameState compares it with the reference
            sameState(what, reference, cluster);
        }
        assertThat(crossed).as("transfers that crossed shards").isGreaterThan(commands / 20);
    }

    /**
     * A system owner has an account on every shard, each holding its share: near the edge of the
     * 128-bit range one engine's single account overflows where a shard's share does not, or the
     * other way round. The stream then means something else in each, so the comparison ends there.
     */
    private static boolean systemAccountSplit(Outcome expected, Outcome actual) {
        if (expected.kind() != Outcome.Kind.NEW || actual == null || actual.kind() != Outcome.Kind.NEW) {
            return false;
        }
        // User accounts are equal in both (checked after every entry), so an overflow only one of them meets is a system owner's.
        Result want = expected.result();
        Result got = actual.result();
        return (want.reason() == Reason.AMOUNT_OVERFLOW || got.reason() == Reason.AMOUNT_OVERFLOW)
                && (want.status() != got.status() || want.reason() != got.reason() || !want.message().equals(got.message()));
    }

    private static void sameAnswer(String what, Outcome expected, Outcome actual) {
        assertThat(actual).as(what + ": answered").isNotNull();
        assertThat(actual.kind()).as(what + ": kind (" + actual + ")").isEqualTo(expected.kind());
        if (expected.result() == null || expected.kind() == Outcome.Kind.ID_CONFLICT) {
            return;
        }
        Result want = expected.result();
        Result got = actual.result();
        assertThat(got.status()).as(what + ": status (" + got.message() + ")").isEqualTo(want.status());
        assertThat(got.reason()).as(what + ": reason").isEqualTo(want.reason());
        assertThat(got.message()).as(what + ": message").isEqualTo(want.message());
        assertThat(balances(got.balances())).as(what + ": balances").isEqualTo(balances(want.balances()));
    }

    /**
     * Balances as embedded mode lists them, but revisions (a reservation is a change of its own),
     * {@code @clearing} (reserved between shards) and the amounts of system owners: an answer gives
     * a system owner's row on the shards the command touched, and its sum is over every shard.
     */
    private static List<String> balances(List<BalanceView> views) {
        List<String> listed = new ArrayList<>();
        for (BalanceView view : views) {
            if (view.account().equals(Names.CLEARING)) {
                continue;
            }
            listed.add(view.account() + " " + view.asset() + (Names.isSystem(view.account()) ? ""
                    : " " + view.available().toBigInteger() + "/" + view.held().toBigInteger()));
        }
        return listed;
    }

    private static void sameState(String what, Engine reference, Cluster cluster) {
        Map<String, String> expected = new TreeMap<>();
        reference.view().forEachBalance(b -> expected.put(b.account() + " " + b.asset(),
                b.available().toBigInteger() + "/" + b.held().toBigInteger()));
        Map<String, String> actual = new TreeMap<>();
        for (Engine engine : cluster.engines) {
            engine.view().forEachBalance(b -> actual.put(b.account() + " " + b.asset(), cluster.balance(b.account(), b.asset())));
        }
        // A system owner may have an account on a shard the reference never had reason to open, at zero.
        actual.entrySet().removeIf(e -> !expected.containsKey(e.getKey()) && e.getValue().equals("0/0"));
        assertThat(actual).as(what + ": every balance").isEqualTo(expected);
        Map<String, String> holds = new TreeMap<>();
        Map<String, String> expectedHolds = new TreeMap<>();
        reference.view().forEachOpenHold(h -> {
            expectedHolds.put(h.holdId(), hold(h));
            holds.put(h.holdId(), hold(cluster.hold(h.holdId())));
        });
        assertThat(holds).as(what + ": open holds").isEqualTo(expectedHolds);
    }

    private static String hold(HoldView h) {
        return h == null ? "missing" : h.account() + " " + h.asset() + " " + h.amount().toBigInteger() + " " + h.remaining().toBigInteger()
                + " " + h.expiresAtMicros() + " " + h.state() + " locked " + h.locked().toBigInteger();
    }

    // ---- many at once, under faults: all or nothing -------------------------------------------------

    private static void concurrent(long seed, int transfers) {
        Random random = new Random(seed);
        Cluster cluster = new Cluster(3);
        cluster.registerAsset("KRW", 0);
        cluster.registerAsset("BTC", 8);
        String[][] byShard = cluster.usersByShard("p", 3);
        List<String> users = new ArrayList<>();
        Arrays.stream(byShard).forEach(shard -> users.addAll(List.of(shard)));
        int ids = 0;
        for (String user : users) {
            cluster.run(new Command.Deposit("fund-" + user + "-k", user, "KRW", Decimal.parse("100000", false)));
            cluster.run(new Command.Deposit("fund-" + user + "-b", user, "BTC", Decimal.parse("100", false)));
        }
        cluster.faults = new Cluster.Faults(seed, 0.02, 0.1);
        Map<String, Command.Transfer> sent = new HashMap<>();
        List<String> openHolds = new ArrayList<>();
        int holds = 0;
        for (int i = 0; i < transfers; i++) {
            cluster.nowMicros += random.nextInt(300_000);
            int roll = random.nextInt(10);
            if (roll < 2) {
                // An order: a hold, sometimes expiring soon.
                String user = users.get(random.nextInt(users.size()));
                String holdId = "oh" + holds++;
                long expiry = random.nextBoolean() ? Command.NO_EXPIRY : cluster.nowMicros + random.nextInt(3_000_000);
                cluster.submit(new Command.PlaceHold("h" + ids++, user, random.nextBoolean() ? "KRW" : "BTC",
                        Decimal.parse(Integer.toString(1 + random.nextInt(5000)), false), holdId, expiry));
                openHolds.add(holdId);
            } else if (roll < 3 && !openHolds.isEmpty()) {
                String holdId = openHolds.get(random.nextInt(openHolds.size()));
                cluster.submit(new Command.Release("r" + ids++, holdId, random.nextBoolean() ? null : Decimal.parse("1", false)));
            } else {
                Command.Transfer t = trade(random, users, openHolds, cluster, "t" + ids++);
                sent.put(t.id(), t);
                cluster.submit(t);
                if (random.nextInt(10) == 0) {
                    cluster.submit(t); // a client's retry while it is in flight
                }
            }
            if (random.nextInt(3) == 0) {
                cluster.tickAll(cluster.nowMicros);
            }
            // Some of the logs move on before the next command comes in.
            for (int steps = random.nextInt(12); steps > 0; steps--) {
                cluster.step(random.nextInt(cluster.count));
            }
        }
        cluster.faults = Cluster.Faults.none();
        cluster.settle(random);
        cluster.assertSettled();
        checkAllOrNothing(cluster, sent);
    }

    /** A trade or a payment: legs between users of random shards, some from holds, some paying a fee to @fees. */
    private static Command.Transfer trade(Random random, List<String> users, List<String> openHolds, Cluster cluster, String id) {
        int count = 1 + random.nextInt(4);
        List<Leg> legs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String asset = random.nextBoolean() ? "KRW" : "BTC";
            String from = users.get(random.nextInt(users.size()));
            String hold = null;
            if (!openHolds.isEmpty() && random.nextInt(3) == 0) {
                hold = openHolds.get(random.nextInt(openHolds.size()));
                HoldView view = cluster.hold(hold);
                if (view != null && random.nextInt(6) > 0) {
                    from = view.account();
                    asset = view.asset();
                }
            }
            String to = random.nextInt(5) == 0 ? "@fees" : users.get(random.nextInt(users.size()));
            String amount = asset.equals("KRW") ? Integer.toString(1 + random.nextInt(3000)) : "0." + (1 + random.nextInt(99999));
            legs.add(new Leg(from, to, asset, Decimal.parse(amount, false), hold));
        }
        return new Command.Transfer(id, legs);
    }

    /**
     * Every answer is the stored result; a transfer applied has, over all shards, exactly the history
     * entries its legs make (per account, the net of its legs; @clearing nets to zero); one not
     * applied (refused, or given up on) has none.
     */
    private static void checkAllOrNothing(Cluster cluster, Map<String, Command.Transfer> sent) {
        Map<String, Map<String, BigInteger>> history = new HashMap<>();
        for (BalanceChange change : cluster.history) {
            if (change.commandId() != null && sent.containsKey(change.commandId())) {
                history.computeIfAbsent(change.commandId(), k -> new TreeMap<>())
                        .merge(change.account() + " " + change.asset(), change.availableDelta().toBigInteger()
                                .add(change.heldDelta().toBigInteger()), BigInteger::add);
            }
        }
        int applied = 0;
        int refused = 0;
        for (Command.Transfer t : sent.values()) {
            StoredResult stored = cluster.results.get(t.id());
            Outcome answer = cluster.answers.get(t.id());
            Map<String, BigInteger> entries = history.getOrDefault(t.id(), Map.of());
            entries.entrySet().removeIf(e -> e.getValue().signum() == 0 && e.getKey().startsWith(Names.CLEARING));
            if (stored != null && !stored.pending() && stored.result().applied()) {
                applied++;
                Map<String, BigInteger> expected = new TreeMap<>();
                for (Leg leg : t.legs()) {
                    BigInteger amount = leg.amount().toMinor(leg.asset().equals("KRW") ? 0 : 8).toBigInteger();
                    expected.merge(leg.from() + " " + leg.asset(), amount.negate(), BigInteger::add);
                    expected.merge(leg.to() + " " + leg.asset(), amount, BigInteger::add);
                }
                expected.entrySet().removeIf(e -> e.getValue().signum() == 0);
                Map<String, BigInteger> got = new TreeMap<>(entries);
                got.entrySet().removeIf(e -> e.getValue().signum() == 0);
                assertThat(got).as("history of APPLIED " + t).isEqualTo(expected);
            } else {
                refused++;
                assertThat(entries).as("history of " + t.id() + ", not applied (" + stored + ")").isEmpty();
            }
            if (answer != null && answer.kind() == Outcome.Kind.NEW) {
                assertThat(stored).as("stored result of answered " + t.id()).isNotNull();
                assertThat(answer.result()).as("the answer of " + t.id() + " is its stored result").isEqualTo(stored.result());
            }
        }
        assertThat(applied).as("transfers applied").isGreaterThan(sent.size() / 5);
        assertThat(refused).as("transfers refused or given up on").isPositive();
    }
}
