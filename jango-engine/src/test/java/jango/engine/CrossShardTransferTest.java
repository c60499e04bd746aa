package jango.engine;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol between shards, one record at a time (docs/distributed.md, "Multi-shard
 * transfers"): what each shard holds while a transfer is in flight, what it answers, how locks race
 * releases and expiries, deadlines, reminders, duplicates and late records. Every entry of every
 * shard is followed by the full invariant check ({@link Cluster}).
 */
class CrossShardTransferTest {
    private Cluster cluster;
    private String[][] users;
    private int ids;

    @BeforeEach
    void cluster() {
        cluster = new Cluster(3);
        cluster.registerAsset("KRW", 0);
        cluster.registerAsset("BTC", 8);
        users = cluster.usersByShard("u", 3);
    }

    private String id() {
        return "c" + ids++;
    }

    private void deposit(String user, String asset, String amount) {
        assertThat(cluster.run(new Command.Deposit(id(), user, asset, Decimal.parse(amount, false))).result().applied()).isTrue();
    }

    private void hold(String user, String asset, String amount, String holdId, long expiresAtMicros) {
        Outcome outcome = cluster.run(new Command.PlaceHold(id(), user, asset, Decimal.parse(amount, false), holdId, expiresAtMicros));
        assertThat(outcome.result().applied()).as(outcome.result().message()).isTrue();
    }

    private static Leg leg(String from, String to, String asset, String amount, String hold) {
        return new Leg(from, to, asset, Decimal.parse(amount, false), hold);
    }

    private static List<String> view(List<BalanceView> balances) {
        List<String> views = new ArrayList<>();
        balances.forEach(b -> views.add(b.account() + " " + b.asset() + " " + b.available().toBigInteger() + "/" + b.held().toBigInteger()));
        return views;
    }

    /** What one engine (embedded mode) answers for the same commands: the answer a cluster must give too. */
    private static Result embedded(List<Command> setup, Command command) {
        Engine engine = new Engine();
        long seq = 0;
        engine.apply(++seq, 1, new Command.RegisterAsset("KRW", 0), EngineListener.NONE);
        engine.apply(++seq, 1, new Command.RegisterAsset("BTC", 8), EngineListener.NONE);
        for (Command each : setup) {
            engine.apply(++seq, 1, each, EngineListener.NONE);
        }
        return engine.apply(++seq, 1, command, EngineListener.NONE).result();
    }

    @Test
    void aTransferToAnotherShardReservesThenTakesAndAnswersAfterEveryLeg() {
        String a = users[0][0];
        String b = users[1][0];
        deposit(a, "KRW", "100");
        Command.Transfer t = new Command.Transfer("t1", List.of(leg(a, b, "KRW", "30", null)));
        cluster.submit(t);
        cluster.step(0);
        // Reserved, not missing: the money in flight shows as held.
        assertThat(cluster.balance(a, "KRW")).isEqualTo("70/30");
        assertThat(cluster.answers).doesNotContainKey("t1");
        assertThat(cluster.engines[0].crossShard.coordinators).containsKey("t1");
        assertThat(cluster.engines[0].crossShard.participants).containsKey("t1");
        assertThat(cluster.logs.get(1)).hasSize(1);
        cluster.runUntilQuiet(new Random(1));

        Result result = cluster.answers.get("t1").result();
        assertThat(result.status()).isEqualTo(Status.APPLIED);
        assertThat(view(result.balances())).containsExactly(a + " KRW 70/0", b + " KRW 30/0");
        assertThat(cluster.results.get("t1").result()).isEqualTo(result);
        assertThat(cluster.balance(a, "KRW")).isEqualTo("70/0");
        assertThat(cluster.balance(b, "KRW")).isEqualTo("30/0");
        cluster.assertSettled();
        // History: one entry per account, with the transfer's net change (the reservation is not an entry).
        List<String> entries = new ArrayList<>();
        cluster.history.stream().filter(h -> "t1".equals(h.commandId())).forEach(h -> entries.add(h.account() + " " + h.type() + " "
                + h.availableDelta().toBigInteger() + "/" + h.heldDelta().toBigInteger()));
        assertThat(entries).containsExactlyInAnyOrder(a + " transfer -30/0", b + " transfer 30/0", "@clearing transfer 30/0",
                "@clearing transfer -30/0");
        // The result's seq is the coordinator's decision entry (the last vote), after the transfer's own entry.
        assertThat(result.seq()).isEqualTo(cluster.engines[0].lastSeq() - 1);
    }

    @Test
    void aTradeBetweenShardsSettlesFromBothHoldsAndAnswersAsEmbeddedModeDoes() {
        String buyer = users[0][0];
        String seller = users[1][0];
        List<Command> setup = List.of(
                new Command.Deposit("s1", buyer, "KRW", Decimal.parse("1000", false)),
                new Command.Deposit("s2", seller, "BTC", Decimal.parse("2", false)),
                new Command.PlaceHold("s3", buyer, "KRW", Decimal.parse("600", false), "hb", Command.NO_EXPIRY),
                new Command.PlaceHold("s4", seller, "BTC", Decimal.parse("1", false), "hs", Command.NO_EXPIRY));
        setup.forEach(c -> assertThat(cluster.run(c).result().applied()).isTrue());
        Command.Transfer trade = new Command.Transfer("trade", List.of(
                leg(buyer, seller, "KRW", "495", "hb"),
                leg(buyer, "@fees", "KRW", "5", "hb"),
                leg(seller, buyer, "BTC", "0.5", "hs"),
                leg(seller, "@fees", "BTC", "0.001", "hs")));
        cluster.submit(trade);
        cluster.held = r -> r instanceof Command.Vote;
        cluster.runUntilQuiet(new Random(2));
        // Both holds are locked while the votes are on their way; their money stays held.
        assertThat(cluster.hold("hb").locked().toBigInteger()).hasToString("500");
        assertThat(cluster.hold("hs").locked().toBigInteger()).hasToString("50100000");
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("400/600");
        // What /metrics shows meanwhile: the buyer's shard coordinates and takes part, the seller's takes part.
        jango.engine.port.TransfersInFlight coordinator = cluster.engines[0].view().transfersInFlight();
        assertThat(coordinator.coordinating()).isEqualTo(1);
        assertThat(coordinator.participating()).isEqualTo(1);
        assertThat(coordinator.oldestStartMicros()).isLessThanOrEqualTo(cluster.nowMicros);
        assertThat(cluster.engines[1].view().transfersInFlight().participating()).isEqualTo(1);
        cluster.release();
        cluster.runUntilQuiet(new Random(3));
        for (Engine engine : cluster.engines) {
            assertThat(engine.view().transfersInFlight()).isEqualTo(jango.engine.port.TransfersInFlight.NONE);
        }

        Result result = cluster.answers.get("trade").result();
        Result expected = embedded(setup, trade);
        assertThat(result.status()).isEqualTo(Status.APPLIED);
        assertThat(view(result.balances())).isEqualTo(view(expected.balances()));
        assertThat(cluster.hold("hb").remaining().toBigInteger()).hasToString("100");
        assertThat(cluster.hold("hb").locked().isZero()).isTrue();
        assertThat(cluster.hold("hs").remaining().toBigInteger()).hasToString("49900000");
        cluster.assertSettled();
    }

    @Test
    void theLowestFailingLegOverAllShardsIsTheReason() {
        String a = users[0][0];
        String b = users[1][0];
        String c = users[0][1];
        List<Command> setup = List.of(new Command.Deposit("s1", a, "KRW", Decimal.parse("100", false)),
                new Command.Deposit("s2", b, "KRW", Decimal.parse("5", false)));
        setup.forEach(cmd -> cluster.run(cmd));
        // leg 1 fails on b's shard (5 + 10 < 50); leg 2 fails on a's (the coordinator): embedded mode says leg 1.
        Command.Transfer t = new Command.Transfer("t-low", List.of(
                leg(a, b, "KRW", "10", null),
                leg(b, c, "KRW", "50", null),
                leg(a, c, "KRW", "1000", null)));
        Result result = cluster.run(t).result();
        Result expected = embedded(setup, t);
        assertThat(result.status()).isEqualTo(Status.REJECTED);
        assertThat(result.reason()).isEqualTo(expected.reason());
        assertThat(result.message()).isEqualTo(expected.message()).startsWith("legs[1]: ");
        assertThat(cluster.engines[0].view().transfersInFlight().abortedRefused()).as("aborts for a refusal").isEqualTo(1);
        assertThat(cluster.engines[0].view().transfersInFlight().abortedGaveUp()).isZero();
        assertThat(cluster.balance(a, "KRW")).isEqualTo("100/0");
        assertThat(cluster.balance(b, "KRW")).isEqualTo("5/0");
        cluster.assertSettled();
        assertThat(cluster.history).noneMatch(h -> "t-low".equals(h.commandId()));
    }

    @Test
    void aRefusalOnTheCoordinatorWithNoEarlierRemoteLegAnswersAtOnce() {
        String a = users[0][0];
        String b = users[1][0];
        cluster.submit(new Command.Transfer("t-poor", List.of(leg(a, b, "KRW", "10", null))));
        cluster.step(0);
        Outcome answer = cluster.answers.get("t-poor");
        assertThat(answer.kind()).isEqualTo(Outcome.Kind.NEW);
        assertThat(answer.result().reason()).isEqualTo(Reason.INSUFFICIENT_FUNDS);
        assertThat(cluster.logs.get(1)).as("no other shard hears of it").isEmpty();
    }

    @Test
    void aReleaseOfAllDuringTheTransferFreesWhatIsNotLockedAndTheRestWhenItCommits() {
        String buyer = users[0][0];
        String seller = users[1][0];
        deposit(seller, "KRW", "100");
        deposit(buyer, "KRW", "1");
        hold(seller, "KRW", "100", "h-rel", Command.NO_EXPIRY);
        cluster.held = r -> r instanceof Command.Commit;
        // The buyer pays first, so its shard coordinates and the seller's hold is a participant's, locked until the Commit.
        cluster.submit(new Command.Transfer("t-rel", List.of(leg(buyer, seller, "KRW", "1", null), leg(seller, buyer, "KRW", "40", "h-rel"))));
        cluster.runUntilQuiet(new Random(4));
        Outcome release = cluster.run(new Command.Release("r-all", "h-rel", null));
        assertThat(release.result().applied()).isTrue();
        assertThat(view(release.result().balances())).containsExactly(seller + " KRW 60/40");
        assertThat(cluster.hold("h-rel").remaining().toBigInteger()).hasToString("40");
        assertThat(cluster.hold("h-rel").state()).isEqualTo(HoldState.OPEN);
        assertThat(cluster.hold("h-rel").locked().toBigInteger()).hasToString("40");
        Outcome again = cluster.run(new Command.Release("r-again", "h-rel", null));
        assertThat(again.result().reason()).isEqualTo(Reason.UNKNOWN_HOLD);
        cluster.release();
        cluster.runUntilQuiet(new Random(5));
        assertThat(cluster.answers.get("t-rel").result().applied()).isTrue();
        assertThat(cluster.hold("h-rel").state()).isEqualTo(HoldState.SETTLED);
        assertThat(cluster.balance(seller, "KRW")).isEqualTo("61/0");
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("40/0");
        cluster.assertSettled();
    }

    @Test
    void aReleaseOfAllDuringATransferThatAbortsReleasesTheRestWhenItAborts() {
        String buyer = users[0][0];
        String seller = users[1][0];
        deposit(seller, "BTC", "1");
        deposit(buyer, "KRW", "10");
        hold(seller, "BTC", "1", "h-ab", Command.NO_EXPIRY);
        // The buyer's shard coordinates; the seller's vote never comes, so the coordinator gives up at the deadline.
        cluster.held = r -> r instanceof Command.Vote;
        Command.Transfer t = new Command.Transfer("t-ab", List.of(leg(buyer, seller, "KRW", "10", null),
                leg(seller, buyer, "BTC", "0.4", "h-ab")));
        cluster.submit(t);
        cluster.runUntilQuiet(new Random(6));
        assertThat(cluster.hold("h-ab").locked().toBigInteger()).hasToString("40000000");
        assertThat(cluster.run(new Command.Release("r-ab", "h-ab", null)).result().applied()).isTrue();
        assertThat(cluster.balance(seller, "BTC")).isEqualTo("60000000/40000000");
        cluster.tickAll(cluster.nowMicros + ProtocolRules.DEADLINE_MICROS + 1);
        cluster.runUntilQuiet(new Random(7));
        Outcome answer = cluster.answers.get("t-ab");
        assertThat(answer.kind()).isEqualTo(Outcome.Kind.UNAVAILABLE);
        assertThat(answer.message()).contains("shard " + cluster.map.of(seller) + " did not answer in time");
        assertThat(cluster.hold("h-ab").state()).isEqualTo(HoldState.RELEASED);
        assertThat(cluster.balance(seller, "BTC")).isEqualTo("100000000/0");
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("10/0");
        // The release that waited for the lock is history under its own id, the transfer is not.
        assertThat(cluster.history).anyMatch(h -> "r-ab".equals(h.commandId()) && h.availableDelta().toBigInteger().intValue() == 40000000);
        assertThat(cluster.history).noneMatch(h -> "t-ab".equals(h.commandId()));
        cluster.held = r -> false;
        cluster.heldBack.clear(); // the vote is lost for good: reminders and the abort end it anyway
        cluster.settle(new Random(8));
        cluster.assertSettled();
    }

    @Test
    void anExpiryDuringTheTransferExpiresWhatIsFreeAndTheRestWaitsForTheLocks() {
        String buyer = users[0][0];
        String seller = users[1][0];
        deposit(seller, "KRW", "100");
        deposit(buyer, "KRW", "1");
        long expiry = cluster.nowMicros + 1_000;
        hold(seller, "KRW", "100", "h-exp", expiry);
        cluster.held = r -> r instanceof Command.Commit;
        cluster.submit(new Command.Transfer("t-exp", List.of(leg(buyer, seller, "KRW", "1", null), leg(seller, buyer, "KRW", "40", "h-exp"))));
        cluster.runUntilQuiet(new Random(9));
        cluster.tickAll(expiry + 1);
        cluster.runUntilQuiet(new Random(10));
        assertThat(cluster.hold("h-exp").state()).isEqualTo(HoldState.OPEN);
        assertThat(cluster.hold("h-exp").remaining().toBigInteger()).hasToString("40");
        assertThat(cluster.balance(seller, "KRW")).isEqualTo("60/40");
        Outcome partial = cluster.run(new Command.Release("r-part", "h-exp", Decimal.parse("1", false)));
        assertThat(partial.result().reason()).isEqualTo(Reason.UNKNOWN_HOLD);
        cluster.release();
        cluster.runUntilQuiet(new Random(11));
        assertThat(cluster.hold("h-exp").state()).isEqualTo(HoldState.SETTLED);
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("40/0");
        assertThat(cluster.balance(seller, "KRW")).isEqualTo("61/0");
        cluster.assertSettled();
    }

    @Test
    void aPartialReleaseMayTakeOnlyWhatIsNotLocked() {
        String buyer = users[0][0];
        String seller = users[1][0];
        deposit(seller, "KRW", "100");
        deposit(buyer, "KRW", "2");
        hold(seller, "KRW", "100", "h-part", Command.NO_EXPIRY);
        cluster.held = r -> r instanceof Command.Commit;
        cluster.submit(new Command.Transfer("t-part", List.of(leg(buyer, seller, "KRW", "1", null), leg(seller, buyer, "KRW", "40", "h-part"))));
        cluster.runUntilQuiet(new Random(12));
        Outcome tooMuch = cluster.run(new Command.Release("r-70", "h-part", Decimal.parse("70", false)));
        assertThat(tooMuch.result().reason()).isEqualTo(Reason.INSUFFICIENT_FUNDS);
        assertThat(tooMuch.result().message()).contains("60 KRW left", "40 more locked");
        // Another trade fills the rest of the order at the same time: both lock their part.
        cluster.submit(new Command.Transfer("t-part2", List.of(leg(buyer, seller, "KRW", "1", null), leg(seller, buyer, "KRW", "60", "h-part"))));
        cluster.runUntilQuiet(new Random(13));
        assertThat(cluster.hold("h-part").locked().toBigInteger()).hasToString("100");
        cluster.release();
        cluster.runUntilQuiet(new Random(14));
        assertThat(cluster.hold("h-part").state()).isEqualTo(HoldState.SETTLED);
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("100/0");
        assertThat(cluster.balance(seller, "KRW")).isEqualTo("2/0");
        cluster.assertSettled();
    }

    @Test
    void aShardThatDoesNotAnswerInTimeGets503AndTheRetryIsANewAttempt() {
        String a = users[0][0];
        String b = users[1][0];
        deposit(a, "KRW", "100");
        Command.Transfer t = new Command.Transfer("t-late", List.of(leg(a, b, "KRW", "30", null)));
        cluster.held = r -> r instanceof Command.Prepare || r instanceof Command.Abort;
        cluster.submit(t);
        cluster.runUntilQuiet(new Random(15));
        cluster.tickAll(cluster.nowMicros + ProtocolRules.DEADLINE_MICROS);
        cluster.runUntilQuiet(new Random(16));
        assertThat(cluster.answers.get("t-late").kind()).isEqualTo(Outcome.Kind.UNAVAILABLE);
        assertThat(cluster.engines[0].view().transfersInFlight().abortedGaveUp()).as("aborts for no vote in time").isEqualTo(1);
        assertThat(cluster.balance(a, "KRW")).isEqualTo("100/0");
        // The coordinator waits for b's Done; until then a retry is told the same.
        assertThat(cluster.run(t).kind()).isEqualTo(Outcome.Kind.UNAVAILABLE);
        assertThat(cluster.results.get("t-late").pending()).isTrue();
        // The Abort reaches b first: the late Prepare finds its tombstone and locks nothing.
        cluster.releaseReversed();
        cluster.step(1);
        cluster.step(1);
        assertThat(cluster.engines[1].crossShard.isEmpty()).isTrue();
        assertThat(cluster.results.get(Names.protocolId("t-late", 1, Names.PREPARE, 1)).result().status()).isEqualTo(Status.REJECTED);
        cluster.runUntilQuiet(new Random(17));
        assertThat(cluster.engines[1].crossShard.isEmpty()).isTrue();
        cluster.settle(new Random(18));
        cluster.assertSettled();
        Outcome retried = cluster.run(t);
        assertThat(retried.result().applied()).isTrue();
        assertThat(cluster.results).containsKey(Names.protocolId("t-late", 2, Names.COMMIT, 1));
        assertThat(cluster.balance(b, "KRW")).isEqualTo("30/0");
        cluster.assertSettled();
    }

    @Test
    void duplicatesAndLateRecordsChangeNothing() {
        String a = users[0][0];
        String b = users[1][0];
        deposit(a, "KRW", "100");
        cluster.run(new Command.Transfer("t-dup", List.of(leg(a, b, "KRW", "30", null))));
        String hash0 = withoutPosition(cluster.engines[0]);
        String hash1 = withoutPosition(cluster.engines[1]);
        // Every record of the transfer, again: a duplicate Prepare or Abort-less Commit changes no balance.
        Command.Prepare prepare = new Command.Prepare(Names.protocolId("t-dup", 1, Names.PREPARE, 1), "t-dup", 1, 1, 0,
                Long.MAX_VALUE, 1, List.of(leg(a, b, "KRW", "30", null)));
        cluster.logs.get(1).add(new Cluster.Entry(prepare, cluster.nowMicros));
        cluster.logs.get(1).add(new Cluster.Entry(new Command.Commit(Names.protocolId("t-dup", 1, Names.COMMIT, 1), "t-dup", 1, 1, 0),
                cluster.nowMicros));
        cluster.logs.get(0).add(new Cluster.Entry(new Command.Vote(Names.protocolId("t-dup", 1, Names.VOTE, 1), "t-dup", 1, 1,
                Command.Vote.YES, Integer.MAX_VALUE, null, null), cluster.nowMicros));
        cluster.runUntilQuiet(new Random(19));
        assertThat(cluster.balance(a, "KRW")).isEqualTo("70/0");
        assertThat(cluster.balance(b, "KRW")).isEqualTo("30/0");
        cluster.assertSettled();
        assertThat(cluster.answers.get("t-dup").result().applied()).isTrue();
        // The duplicate Commit and the Commit that answered the late Vote were each answered with Done again, ignored.
        assertThat(cluster.sent.get("Commit")).isEqualTo(2);
        assertThat(cluster.sent.get("Done")).isEqualTo(3);
        assertThat(withoutPosition(cluster.engines[0])).isEqualTo(hash0);
        assertThat(withoutPosition(cluster.engines[1])).isEqualTo(hash1);
    }

    /** The same with an id filter in each shard: a duplicate record is found only if its first copy's id was put in it. */
    @Test
    void duplicatesAndLateRecordsChangeNothingWhenTheShardsFilterIds() {
        cluster = new Cluster(3, 1 << 16);
        cluster.registerAsset("KRW", 0);
        cluster.registerAsset("BTC", 8);
        users = cluster.usersByShard("u", 3);
        duplicatesAndLateRecordsChangeNothing();
    }

    /** The state hash as if the engine were still at seq 0: what changed besides the position. */
    private static String withoutPosition(Engine engine) {
        Engine copy = engine.copy();
        copy.lastSeq = 0;
        copy.lastAtMicros = 0;
        return SnapshotCodec.stateHash(copy);
    }

    @Test
    void lostRecordsAreSentAgainByReminders() {
        String a = users[0][0];
        String b = users[1][0];
        String c = users[2][0];
        deposit(a, "KRW", "100");
        cluster.faults = new Cluster.Faults(42, 0.5, 0.3);
        for (int i = 0; i < 10; i++) {
            cluster.submit(new Command.Transfer("t-lost" + i, List.of(leg(a, b, "KRW", "3", null), leg(a, c, "KRW", "2", null))));
        }
        cluster.settle(new Random(20));
        cluster.assertSettled();
        // Every transfer ended: those whose votes were lost gave up (503) and moved nothing; the others applied fully.
        int applied = 0;
        for (int i = 0; i < 10; i++) {
            Outcome answer = cluster.answers.get("t-lost" + i);
            if (answer != null && answer.kind() == Outcome.Kind.NEW && answer.result().applied()) {
                applied++;
            }
        }
        assertThat(cluster.lost).isNotEmpty();
        assertThat(cluster.balance(a, "KRW")).isEqualTo((100 - 5 * applied) + "/0");
        assertThat(cluster.balance(b, "KRW")).isEqualTo(applied == 0 ? null : (3 * applied) + "/0");
    }

    @Test
    void aSnapshotInTheMiddleOfTheProtocolRestoresItExactly() throws Exception {
        String buyer = users[0][0];
        String seller = users[1][0];
        deposit(buyer, "KRW", "100");
        deposit(seller, "KRW", "100");
        hold(seller, "KRW", "50", "h-snap", cluster.nowMicros + 10_000_000);
        cluster.held = r -> r instanceof Command.Vote;
        cluster.submit(new Command.Transfer("t-snap", List.of(leg(buyer, seller, "KRW", "20", null),
                leg(seller, buyer, "KRW", "30", "h-snap"))));
        cluster.runUntilQuiet(new Random(21));
        assertThat(cluster.run(new Command.Release("r-snap", "h-snap", null)).result().applied()).isTrue();
        for (int shard = 0; shard < 2; shard++) {
            Engine live = cluster.engines[shard];
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            SnapshotCodec.write(live.copy(), bytes);
            Engine restored = SnapshotCodec.read(new ByteArrayInputStream(bytes.toByteArray()), live.archive(),
                    new ShardMap(shard, cluster.count));
            assertThat(SnapshotCodec.stateHash(restored)).isEqualTo(SnapshotCodec.stateHash(live));
            assertThat(restored.nextExpiryMicros()).isEqualTo(live.nextExpiryMicros());
            restored.checkInvariants();
            cluster.engines[shard] = restored;
        }
        cluster.release();
        cluster.runUntilQuiet(new Random(22));
        assertThat(cluster.answers.get("t-snap").result().applied()).isTrue();
        assertThat(cluster.hold("h-snap").state()).isEqualTo(HoldState.SETTLED);
        assertThat(cluster.balance(seller, "KRW")).isEqualTo("90/0");
        assertThat(cluster.balance(buyer, "KRW")).isEqualTo("110/0");
        cluster.assertSettled();
    }

    @Test
    void theSameIdWhileInFlightJoinsOrConflicts() {
        String a = users[0][0];
        String b = users[1][0];
        deposit(a, "KRW", "100");
        Command.Transfer t = new Command.Transfer("t-join", List.of(leg(a, b, "KRW", "30", null)));
        cluster.held = r -> r instanceof Command.Vote;
        cluster.submit(t);
        cluster.runUntilQuiet(new Random(23));
        cluster.submit(t);
        assertThat(cluster.apply(0, new Cluster.Entry(t, cluster.nowMicros))).isEqualTo(Outcome.Kind.JOINED);
        Outcome conflict = cluster.run(new Command.Deposit("t-join", users[2][0], "KRW", Decimal.parse("1", false)));
        assertThat(conflict.kind()).isEqualTo(Outcome.Kind.ID_CONFLICT);
        cluster.release();
        cluster.runUntilQuiet(new Random(24));
        cluster.logs.get(0).clear();
        assertThat(cluster.run(t).kind()).isEqualTo(Outcome.Kind.REPLAYED);
        cluster.assertSettled();
    }

    @Test
    void creditsInFlightKeepRoomSoTheirCommitsCannotOverflow() {
        String a = users[0][0];
        String b = users[1][0];
        String max = "170141183460469231731687303715884105727";
        cluster.registerAsset("BIG", 0);
        deposit(a, "BIG", "100");
        deposit(b, "BIG", "170141183460469231731687303715884105700");
        cluster.held = r -> r instanceof Command.Commit;
        cluster.submit(new Command.Transfer("t-room", List.of(leg(a, b, "BIG", "20", null))));
        cluster.runUntilQuiet(new Random(25));
        // b has 20 coming: a deposit of 10 would pass 2^127-1 once it arrives, so it is refused now.
        Outcome deposit = cluster.run(new Command.Deposit("d-room", b, "BIG", Decimal.parse("10", false)));
        assertThat(deposit.result().reason()).isEqualTo(Reason.AMOUNT_OVERFLOW);
        Outcome second = cluster.run(new Command.Transfer("t-room2", List.of(leg(a, b, "BIG", "10", null))));
        assertThat(second.result().reason()).isEqualTo(Reason.AMOUNT_OVERFLOW);
        cluster.release();
        cluster.runUntilQuiet(new Random(26));
        assertThat(cluster.answers.get("t-room").result().applied()).isTrue();
        assertThat(cluster.balance(b, "BIG")).isEqualTo("170141183460469231731687303715884105720/0");
        assertThat(max).hasSize(39);
        cluster.assertSettled();
    }
}
