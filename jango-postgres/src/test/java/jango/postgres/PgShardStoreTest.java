package jango.postgres;

import jango.engine.StoredResult;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.CrossShardRecord;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.engine.Int128;
import jango.engine.Outcome;
import jango.engine.SnapshotCodec;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.LoadedShard;
import jango.engine.port.ShardStore.ShardCommit;
import jango.engine.port.StateSummary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgShardStoreTest {
    private static final Logger log = LoggerFactory.getLogger(PgShardStoreTest.class);

    @TempDir
    static Path dir;
    private static TestPostgres postgres;

    private PgConfig config;
    private final List<PgShardStore> stores = new ArrayList<>();

    @BeforeAll
    static void startPostgres() {
        postgres = TestPostgres.start(dir.resolve("pg"));
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(PgShardStore::close);
    }

    /**
     * A read runs in autocommit (no COMMIT to wait for), on a connection of the same pool as the
     * commits: the connection must be transactional again when a commit takes it, or a commit's
     * statements would each commit on their own. Two connections (the migration needs both); the
     * pool hands a thread back the connection it used last, so reads and transactions alternate on
     * one, and every transaction must find it transactional.
     */
    @Test
    void aReadInAutocommitLeavesThePoolsConnectionTransactional(TestInfo test) throws Exception {
        newStore(test).init(1);
        try (Database database = Database.open(config.withPoolSize(2))) {
            for (int i = 0; i < 4; i++) {
                assertThat(database.read("a read", java.sql.Connection::getAutoCommit)).isTrue();
                assertThat(database.transaction("a transaction", java.sql.Connection::getAutoCommit)).isFalse();
            }
            int shardCount = database.read("a read", connection -> {
                try (var select = connection.prepareStatement("SELECT shard_count FROM meta");
                     var row = select.executeQuery()) {
                    return row.next() ? row.getInt(1) : -1;
                }
            });
            assertThat(shardCount).isEqualTo(1);
            assertThat(database.snapshot("a snapshot", java.sql.Connection::getAutoCommit)).isFalse();
        }
    }

    /**
     * The API's reads have a pool of their own: with every read connection taken (a burst of reads),
     * a writer still acquires its shard, prefetches and commits batches, and it is the next read that
     * waits for a connection and fails as unavailable after the connection timeout (1 s here). With
     * one pool for both, the writer waited and failed (found in a review, 2026-12-02).
     */
    @Test
    void aBurstOfReadsLeavesTheWritersConnectionsFree(TestInfo test) throws Exception {
        newStore(test).init(1);
        PgShardStore store = open(config.withPoolSize(2).withReadPoolSize(1)); // the migration takes two
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<Object> burst = reader.submit(() -> store.readDatabase().read("a long read", connection -> {
                taken.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }));
            assertThat(taken.await(10, TimeUnit.SECONDS)).isTrue();

            ShardDriver writer = start(store, 0, "w", 7); // acquire, load and a first commit
            for (int batch = 0; batch < 3; batch++) {
                store.commit(writer.batch(50)); // each prefetches through the writers' pool
            }
            assertThat(store.shardRows().get(0).lastSeq()).isEqualTo(writer.engine().lastSeq());
            assertThatThrownBy(() -> store.balances("u1", null)).isInstanceOf(ShardStore.Unavailable.class)
                    .hasMessageContaining("balances");
            assertThatThrownBy(() -> store.forReads().results(List.of("x"))).isInstanceOf(ShardStore.Unavailable.class);

            release.countDown();
            burst.get(10, TimeUnit.SECONDS);
            assertReadsMatch(store.forReads(), List.of(writer));
        } finally {
            release.countDown();
            reader.shutdownNow();
        }
        store.forReads().close(); // the view closes nothing: its store still reads and writes
        assertThat(store.forReads().balances("nobody", null)).isEmpty();
        assertThat(store.shardCount()).isEqualTo(1);
    }

    /** A store on a database of its own, named after the test. */
    private PgShardStore newStore(TestInfo test) {
        if (config == null) {
            String name = "t_" + test.getTestMethod().orElseThrow().getName().toLowerCase();
            config = postgres.createDatabase(name.substring(0, Math.min(name.length(), 60)));
        }
        return open(config);
    }

    private PgShardStore open(PgConfig pgConfig) {
        PgShardStore store = PgShardStore.open(pgConfig);
        stores.add(store);
        return store;
    }

    private static ShardDriver start(ShardStore store, int shard, String owner, long seed) {
        ShardDriver driver = new ShardDriver(shard, seed).take(ShardDriver.acquire(store, shard, owner));
        store.commit(driver.registerAssets(store));
        return driver;
    }

    // ---- shards and commits ------------------------------------------------------------------

    @Test
    void initMakesTheShardsOnceAndNeverChangesTheCount(TestInfo test) {
        PgShardStore store = newStore(test);
        assertThat(store.shardCount()).isZero();
        assertThat(store.init(4)).isEqualTo(4);
        assertThat(store.init(8)).isEqualTo(4);
        assertThat(store.shardCount()).isEqualTo(4);
        assertThat(store.shardRows()).extracting(ShardStore.ShardRow::shard).containsExactly(0, 1, 2, 3);
        assertThat(store.shardRows()).allSatisfy(row -> {
            assertThat(row.epoch()).isZero();
            assertThat(row.owner()).isNull();
            assertThat(row.nextOffset()).isZero();
        });
        assertThat(open(config).shardCount()).as("another instance reads the same count").isEqualTo(4);
        assertThat(open(config).init(2)).isEqualTo(4);
        assertThatThrownBy(() -> store.init(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shards: 0");
        assertThatThrownBy(() -> ShardDriver.acquire(store, 4, "a")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shard: 4");
    }

    @Test
    void committedBatchesReloadIntoTheSameState(TestInfo test) throws SQLException {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver zero = start(store, 0, "a", 1);
        ShardDriver one = start(store, 1, "a", 2);
        for (int batch = 0; batch < 15; batch++) {
            store.commit(zero.batch(150));
            store.commit(one.batch(150));
        }
        for (ShardDriver driver : List.of(zero, one)) {
            LoadedShard loaded = ShardDriver.reload(store, driver.shard, driver.epoch());
            assertThat(SnapshotCodec.stateHash(loaded.engine())).as("shard %s", driver.shard).isEqualTo(driver.stateHash());
            assertThat(rowCounts().get("results")).isGreaterThan(2000);
            assertThat(loaded.nextOffset()).isEqualTo(3 + 15 * 150);
            loaded.engine().checkInvariants();
            // The loaded engine carries on where the live one was: same next state for the same commands.
            ShardDriver twin = new ShardDriver(driver.shard, 99).take(loaded);
            ShardDriver live = new ShardDriver(driver.shard, 99).take(ShardDriver.reload(store, driver.shard, driver.epoch()));
            twin.batch(200);
            live.batch(200);
            assertThat(twin.stateHash()).isEqualTo(live.stateHash());
        }
        StateSummary summary = store.stateSummary();
        assertThat(summary.invariantViolation()).isNull();
        assertThat(summary.seq()).isEqualTo(zero.engine().lastSeq() + one.engine().lastSeq());
        assertThat(store.stateSummary().stateHash()).as("the hash is of the state, not of the moment").isEqualTo(summary.stateHash());
        assertReadsMatch(store, List.of(zero, one));
    }

    /** Every committed balance, hold and result reads back as the engines have it; system owners are summed over shards. */
    private static void assertReadsMatch(ShardStore store, List<ShardDriver> drivers) {
        Map<String, Int128[]> systemSums = new HashMap<>();
        for (ShardDriver driver : drivers) {
            Engine engine = driver.engine();
            engine.view().forEachBalance(balance -> {
                if (balance.account().startsWith("@")) {
                    systemSums.merge(balance.account() + " " + balance.asset(),
                            new Int128[] {balance.available(), balance.held(), Int128.of(balance.revision())},
                            (a, b) -> new Int128[] {a[0].add(b[0]), a[1].add(b[1]), a[2].add(b[2])});
                } else {
                    assertThat(store.balances(balance.account(), balance.asset())).containsExactly(balance);
                }
            });
            for (String user : driver.users()) {
                List<BalanceView> expected = new ArrayList<>();
                engine.view().forEachBalance(b -> {
                    if (b.account().equals(user)) {
                        expected.add(b);
                    }
                });
                expected.sort(Comparator.comparing(BalanceView::asset));
                assertThat(store.balances(user, null)).containsExactlyElementsOf(expected);
            }
            engine.view().forEachOpenHold(hold -> assertThat(store.hold(hold.holdId())).isEqualTo(hold));
            for (int i = 0; i < 50; i++) {
                String id = "s" + driver.shard + "c" + i;
                StoredResult stored = driver.made(id);
                StoredResult read = store.result(id);
                if (stored == null) {
                    assertThat(read).isNull();
                } else {
                    assertThat(read.result()).isEqualTo(stored.result());
                    assertThat(read.fingerprint()).isEqualTo(stored.fingerprint());
                }
            }
        }
        systemSums.forEach((key, sum) -> {
            String[] ownerAsset = key.split(" ");
            assertThat(store.balances(ownerAsset[0], ownerAsset[1]))
                    .containsExactly(new BalanceView(ownerAsset[0], ownerAsset[1], sum[0], sum[1], sum[2].lo()));
        });
        assertThat(store.balances("nobody", null)).isEmpty();
        assertThat(store.hold("never-placed")).isNull();
        assertThat(store.result("never-sent")).isNull();
    }

    @Test
    void aStaleEpochCanNeitherCommitNorReload(TestInfo test) throws SQLException {
        PgShardStore store = newStore(test);
        store.init(1);
        ShardDriver a = start(store, 0, "a", 3);
        store.commit(a.batch(200));
        String committed = a.stateHash();

        LoadedShard b = ShardDriver.acquire(store, 0, "b");
        assertThat(b.epoch()).isEqualTo(a.epoch() + 1);
        assertThat(SnapshotCodec.stateHash(b.engine())).isEqualTo(committed);

        Map<String, Long> before = rowCounts();
        ShardCommit late = a.batch(200);
        assertThatThrownBy(() -> store.commit(late)).isInstanceOf(ShardStore.Fenced.class)
                .hasMessageContaining("epoch " + a.epoch() + " is stale").hasMessageContaining("owned by b");
        assertThat(rowCounts()).as("a fenced commit writes nothing").isEqualTo(before);
        assertThat(store.shardRows().getFirst().nextOffset()).isEqualTo(b.nextOffset());
        assertThatThrownBy(() -> ShardDriver.reload(store, 0, a.epoch())).isInstanceOf(ShardStore.Fenced.class);

        ShardDriver bDriver = new ShardDriver(0, 4).take(b);
        store.commit(bDriver.batch(200));
        assertThat(SnapshotCodec.stateHash(ShardDriver.reload(store, 0, b.epoch()).engine())).isEqualTo(bDriver.stateHash());
        assertThat(store.shardRows().getFirst().owner()).isEqualTo("b");
    }

    /**
     * A writer commits as fast as it can while another instance acquires the shard: every commit
     * that succeeded is in what the new owner loads, and every commit after that is fenced.
     */
    @Test
    void aCommitRacingAnAcquireIsEitherLoadedOrFenced(TestInfo test) throws Exception {
        PgShardStore store = newStore(test);
        store.init(1);
        ShardDriver writer = start(store, 0, "a", 5);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            for (int round = 0; round < 12; round++) {
                Map<Long, String> hashByOffset = new ConcurrentHashMap<>();
                AtomicLong lastCommitted = new AtomicLong(-1);
                CountDownLatch committing = new CountDownLatch(3);
                ShardDriver current = writer;
                Future<Integer> fenced = executor.submit(() -> {
                    for (int commits = 0; ; commits++) {
                        ShardCommit commit = current.batch(20);
                        try {
                            store.commit(commit);
                        } catch (ShardStore.Fenced e) {
                            return commits;
                        }
                        hashByOffset.put(commit.nextOffset(), current.stateHash());
                        lastCommitted.set(commit.nextOffset());
                        committing.countDown();
                    }
                });
                assertThat(committing.await(10, TimeUnit.SECONDS)).isTrue();
                LoadedShard taken = ShardDriver.acquire(store, 0, "b" + round);
                int commits = fenced.get(10, TimeUnit.SECONDS);
                assertThat(commits).isGreaterThanOrEqualTo(3);
                assertThat(taken.nextOffset()).as("round %s: the last successful commit is loaded", round)
                        .isEqualTo(lastCommitted.get());
                assertThat(SnapshotCodec.stateHash(taken.engine())).isEqualTo(hashByOffset.get(taken.nextOffset()));
                writer.take(ShardDriver.acquire(store, 0, "a")); // the writer takes the shard back from what is committed
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void resultAndHoldIdsAreGlobal(TestInfo test) throws SQLException {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver zero = start(store, 0, "a", 6);
        ShardDriver one = start(store, 1, "a", 7);
        ShardCommit first = zero.batch(List.of(
                new Command.Deposit("x1", "s0u1", "USD", Decimal.parse("10", false)),
                new Command.PlaceHold("x2", "s0u1", "USD", Decimal.parse("4", false), "hold-1", Command.NO_EXPIRY)));
        // Shard 1 races: it applies the same command id before shard 0's commit, so it cannot know.
        ShardCommit sameResult = one.batch(List.of(new Command.Deposit("x1", "s1u1", "USD", Decimal.parse("1", false))));
        store.commit(first);

        assertThat(store.results(List.of("x1", "x2", "unknown"))).containsOnlyKeys("x1", "x2");
        assertThat(store.results(List.of("x1")).get("x1").result().status()).isEqualTo(jango.engine.Status.APPLIED);
        assertThat(store.results(List.of())).isEmpty();
        assertThat(store.holds(List.of("hold-1", "hold-2"))).containsOnlyKeys("hold-1");
        assertThat(store.holds(List.of("hold-1")).get("hold-1").account()).isEqualTo("s0u1");

        Map<String, Long> before = rowCounts();
        long offsetBefore = store.shardRows().get(1).nextOffset();
        assertThatThrownBy(() -> store.commit(sameResult)).isInstanceOf(ShardStore.Unavailable.class)
                .isNotInstanceOf(ShardStore.Fenced.class).hasMessageContaining("results_pkey");
        one.take(ShardDriver.reload(store, 1, one.epoch()));
        // The same for a hold id.
        ShardCommit second = zero.batch(List.of(
                new Command.PlaceHold("x3", "s0u1", "USD", Decimal.parse("1", false), "hold-2", Command.NO_EXPIRY)));
        ShardCommit sameHold = one.batch(List.of(new Command.Deposit("y1", "s1u1", "USD", Decimal.parse("9", false)),
                new Command.PlaceHold("y2", "s1u1", "USD", Decimal.parse("3", false), "hold-2", Command.NO_EXPIRY)));
        store.commit(second);
        before = rowCounts();
        assertThatThrownBy(() -> store.commit(sameHold)).isInstanceOf(ShardStore.Unavailable.class)
                .hasMessageContaining("hold hold-2 already exists on shard 0");
        assertThat(rowCounts()).isEqualTo(before);
        assertThat(store.shardRows().get(1).nextOffset()).isEqualTo(offsetBefore);
        assertThat(store.hold("hold-2").account()).isEqualTo("s0u1");
        assertThat(store.stateSummary().invariantViolation()).isNull();

        // Once committed, the ids are known to every shard: a later command with them is answered from the store.
        one.take(ShardDriver.reload(store, 1, one.epoch()));
        Outcome replay = one.applyAlone(new Command.Deposit("x1", "s1u1", "USD", Decimal.parse("1", false)));
        assertThat(replay.kind()).isEqualTo(Outcome.Kind.ID_CONFLICT);
        Outcome hold = one.applyAlone(new Command.PlaceHold("y3", "s1u1", "USD", Decimal.parse("1", false), "hold-1",
                Command.NO_EXPIRY));
        assertThat(hold.result().reason()).isEqualTo(jango.engine.Reason.HOLD_EXISTS);
    }

    @Test
    void aMalformedCommitIsRefusedBeforeItTouchesTheDatabase(TestInfo test) throws SQLException {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver driver = start(store, 0, "a", 16);
        ShardCommit commit = driver.batch(List.of(new Command.Deposit("m1", "s0u1", "USD", Decimal.parse("5", false)),
                new Command.PlaceHold("m2", "s0u1", "USD", Decimal.parse("1", false), "m-hold", Command.NO_EXPIRY)));
        Map<String, Long> before = rowCounts();
        BalanceView balance = commit.balances().iterator().next();
        HoldView hold = commit.holds().iterator().next();
        assertThatThrownBy(() -> store.commit(with(commit, List.of(balance, balance), commit.holds(), commit.outbox())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balances: s0u1 USD twice");
        assertThatThrownBy(() -> store.commit(with(commit, commit.balances(), List.of(hold, hold), commit.outbox())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds: m-hold twice");
        List<ShardStore.OutboxMessage> foreign = List.of(new ShardStore.OutboxMessage(0, 1, "commands", 1, "k", new byte[] {1}));
        assertThatThrownBy(() -> store.commit(with(commit, commit.balances(), commit.holds(), foreign)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a message of shard 1 in a commit of shard 0");
        assertThat(rowCounts()).isEqualTo(before);
        store.commit(commit);
        assertThat(SnapshotCodec.stateHash(ShardDriver.reload(store, 0, driver.epoch()).engine())).isEqualTo(driver.stateHash());
    }

    private static ShardCommit with(ShardCommit commit, java.util.Collection<BalanceView> balances,
                                    java.util.Collection<HoldView> holds, List<ShardStore.OutboxMessage> outbox) {
        return new ShardCommit(commit.shard(), commit.epoch(), commit.nextOffset(), commit.lastSeq(), commit.lastAtMicros(),
                balances, holds, commit.results(), commit.history(), outbox, commit.assets());
    }

    /**
     * The ends of the 128-bit range survive NUMERIC(39,0) exactly, in balances and in history, and a
     * system owner's rows are summed over shards.
     */
    @Test
    void amountsKeepAll128Bits(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(2);
        List<Int128> values = List.of(Int128.MIN, Int128.MAX, Int128.ZERO, Int128.of(-1), Int128.of(Long.MIN_VALUE),
                Int128.of(Long.MAX_VALUE), Int128.of(0, Long.MIN_VALUE), Int128.of(-2, Long.MAX_VALUE), Int128.of(1, 0));
        for (int shard = 0; shard < 2; shard++) {
            LoadedShard loaded = ShardDriver.acquire(store, shard, "a");
            List<BalanceView> balances = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                Int128 value = shard == 0 ? values.get(i) : Int128.ZERO;
                balances.add(new BalanceView("@edge", "A" + i, value, Int128.ZERO, 1));
                balances.add(new BalanceView("user" + shard, "A" + i, value, value, 1));
            }
            Map<String, Integer> assets = new java.util.HashMap<>();
            for (int i = 0; i < values.size(); i++) {
                assets.put("A" + i, 0);
            }
            // History rows too: the same values, and an expiry's row without a command id.
            List<BalanceChange> history = new ArrayList<>();
            for (int i = 0; shard == 0 && i < values.size(); i++) {
                Int128 value = values.get(i);
                history.add(new BalanceChange(1, 1, i == 0 ? null : "c-" + i, i == 0 ? "expire" : "adjust", "user0", "A" + i,
                        value, value, value, value, 1));
            }
            store.commit(new ShardCommit(shard, loaded.epoch(), 1, 1, 1, balances, List.of(), List.of(), history, List.of(), assets));
        }
        for (int i = 0; i < values.size(); i++) {
            assertThat(store.balances("@edge", "A" + i)).containsExactly(new BalanceView("@edge", "A" + i, values.get(i), Int128.ZERO, 2));
            assertThat(store.balances("user0", "A" + i)).containsExactly(new BalanceView("user0", "A" + i, values.get(i), values.get(i), 1));
            assertThat(allPages(store, "user0", "A" + i, 10)).containsExactly(new HistoryEntry(1, 1, i == 0 ? null : "c-" + i,
                    i == 0 ? "expire" : "adjust", "A" + i, values.get(i), values.get(i), values.get(i), values.get(i), 1));
        }
        Engine loaded = ShardDriver.reload(store, 0, 1).engine();
        assertThat(loaded.view().balance("user0", "A0").available()).isEqualTo(Int128.MIN);
        assertThat(loaded.view().balance("user0", "A1").held()).isEqualTo(Int128.MAX);
    }

    // ---- assets ------------------------------------------------------------------------------

    @Test
    void anAssetIsRegisteredOnceForAllShards(TestInfo test) throws Exception {
        PgShardStore store = newStore(test);
        assertThat(store.registerAsset("EUR", 2)).isEqualTo(new ShardStore.AssetRegistration(true, 2));
        assertThat(store.registerAsset("EUR", 2)).isEqualTo(new ShardStore.AssetRegistration(false, 2));
        assertThat(store.registerAsset("EUR", 4)).as("a conflict: the scale it has").isEqualTo(new ShardStore.AssetRegistration(false, 2));
        assertThatThrownBy(() -> store.registerAsset("eur", 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.registerAsset("JPY", 19)).isInstanceOf(IllegalArgumentException.class);

        PgShardStore other = open(config);
        ExecutorService executor = Executors.newFixedThreadPool(8);
        try {
            List<Future<ShardStore.AssetRegistration>> racing = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int scale = i;
                racing.add(executor.submit(() -> (scale % 2 == 0 ? store : other).registerAsset("BTC", 8 + scale % 3)));
            }
            int created = 0;
            Set<Integer> scales = new HashSet<>();
            for (Future<ShardStore.AssetRegistration> registration : racing) {
                created += registration.get(10, TimeUnit.SECONDS).created() ? 1 : 0;
                scales.add(registration.get().scale());
            }
            assertThat(created).isEqualTo(1);
            assertThat(scales).hasSize(1);
        } finally {
            executor.shutdownNow();
        }
        assertThat(store.assets()).containsOnlyKeys("BTC", "EUR").containsEntry("EUR", 2);
    }

    // ---- history -----------------------------------------------------------------------------

    @Test
    void historyPagesNewestFirstWithoutSkipsOrRepeats(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver zero = start(store, 0, "a", 8);
        ShardDriver one = start(store, 1, "a", 9);
        List<BalanceChange> all = new ArrayList<>();
        for (int batch = 0; batch < 6; batch++) {
            for (ShardDriver driver : List.of(zero, one)) {
                ShardCommit commit = driver.batch(150);
                store.commit(commit);
                all.addAll(commit.history());
            }
        }
        String user = "s0u2";
        // The embedded ledger's order for an owner on one shard: seq descending, asset, revision descending.
        List<HistoryEntry> expected = all.stream().filter(c -> c.account().equals(user))
                .sorted(Comparator.comparingLong(BalanceChange::seq).reversed()
                        .thenComparing(BalanceChange::asset)
                        .thenComparing(Comparator.comparingLong(BalanceChange::revision).reversed()))
                .map(PgShardStoreTest::entry).toList();
        assertThat(expected).hasSizeGreaterThan(100);
        for (int limit : List.of(1, 7, 1000)) {
            assertThat(allPages(store, user, null, limit)).as("limit %s", limit).isEqualTo(expected);
        }
        List<HistoryEntry> usd = expected.stream().filter(e -> e.asset().equals("USD")).toList();
        assertThat(allPages(store, user, "USD", 9)).isEqualTo(usd);
        assertThat(store.history(user, "DOGE", 10, null)).isEqualTo(new HistoryPage(List.of(), null));

        // Changes committed while a client pages are newer: they never shift the pages after its cursor.
        HistoryPage first = store.history(user, null, 10, null);
        ShardCommit meanwhile = zero.batch(300);
        store.commit(meanwhile);
        all.addAll(meanwhile.history());
        List<HistoryEntry> rest = new ArrayList<>(first.entries());
        for (String cursor = first.next(); cursor != null; ) {
            HistoryPage page = store.history(user, null, 10, cursor);
            rest.addAll(page.entries());
            cursor = page.next();
        }
        assertThat(rest).isEqualTo(expected);

        // A system owner's history spans shards, by time; every change once.
        List<HistoryEntry> external = allPages(store, "@external", null, 50);
        assertThat(external).containsExactlyInAnyOrderElementsOf(
                all.stream().filter(c -> c.account().equals("@external")).map(PgShardStoreTest::entry).toList());
        assertThat(external).isSortedAccordingTo(Comparator.comparingLong(HistoryEntry::atMicros).reversed());

        String cursor = store.history(user, null, 2, null).next();
        assertThatThrownBy(() -> store.history(user, null, 2, "!!")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.history(user, null, 2, "AQEAAAAA")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.history("s0u3", null, 2, cursor)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another account");
        assertThatThrownBy(() -> store.history(user, "USD", 2, cursor)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.history(user, null, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.history(user, null, 1001, null)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The issue's failure: {@code GET /v1/accounts/u1/history?asset=BTC&limit=2}, second page. The
     * cursor's conditions followed {@code asset = ?} without a space, which PostgreSQL 14 read as
     * {@code $2 AND} and 15 and newer refuse ({@code trailing junk after parameter at or near "$2AND"}).
     */
    @Test
    void historyWithAnAssetFilterPagesPastTheFirstPage(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(1);
        ShardDriver driver = start(store, 0, "a", 16);
        List<BalanceChange> all = new ArrayList<>();
        for (int batch = 0; batch < 3; batch++) {
            ShardCommit commit = driver.batch(200);
            store.commit(commit);
            all.addAll(commit.history());
        }
        String user = "s0u1";
        List<HistoryEntry> usd = all.stream().filter(c -> c.account().equals(user) && c.asset().equals("USD"))
                .sorted(Comparator.comparingLong(BalanceChange::seq).reversed()
                        .thenComparing(Comparator.comparingLong(BalanceChange::revision).reversed()))
                .map(PgShardStoreTest::entry).toList();
        assertThat(usd).hasSizeGreaterThan(4);

        HistoryPage first = store.history(user, "USD", 2, null);
        assertThat(first.entries()).isEqualTo(usd.subList(0, 2));
        HistoryPage second = store.history(user, "USD", 2, first.next());
        assertThat(second.entries()).isEqualTo(usd.subList(2, 4));
        assertThat(allPages(store, user, "USD", 2)).isEqualTo(usd);
    }

    private static List<HistoryEntry> allPages(ShardStore store, String owner, String asset, int limit) {
        List<HistoryEntry> entries = new ArrayList<>();
        String cursor = null;
        do {
            HistoryPage page = store.history(owner, asset, limit, cursor);
            assertThat(page.entries().size()).isLessThanOrEqualTo(limit);
            entries.addAll(page.entries());
            cursor = page.next();
            if (cursor != null) {
                assertThat(page.entries()).hasSize(limit);
            }
        } while (cursor != null);
        return entries;
    }

    private static HistoryEntry entry(BalanceChange c) {
        return new HistoryEntry(c.seq(), c.atMicros(), c.commandId(), c.type(), c.asset(), c.available(), c.held(),
                c.availableDelta(), c.heldDelta(), c.revision());
    }

    // ---- outbox ------------------------------------------------------------------------------

    @Test
    void outboxListsOldestFirstAndDeletesWhatWasPublished(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver zero = start(store, 0, "a", 10);
        ShardDriver one = start(store, 1, "a", 11);
        List<ShardStore.OutboxMessage> sent = new ArrayList<>();
        for (int batch = 0; batch < 3; batch++) {
            ShardCommit commit = zero.batch(40);
            store.commit(commit);
            sent.addAll(commit.outbox());
            store.commit(one.batch(40));
        }
        List<ShardStore.OutboxMessage> listed = store.outbox(0, 10_000);
        assertThat(listed).hasSameSizeAs(sent);
        assertThat(listed).extracting(ShardStore.OutboxMessage::id).isSorted().doesNotHaveDuplicates();
        for (int i = 0; i < sent.size(); i++) {
            ShardStore.OutboxMessage want = sent.get(i);
            ShardStore.OutboxMessage got = listed.get(i);
            assertThat(got.shard()).isZero();
            assertThat(got.topic()).isEqualTo(want.topic());
            assertThat(got.partition()).isEqualTo(want.partition());
            assertThat(got.key()).isEqualTo(want.key());
            assertThat(got.value()).isEqualTo(want.value());
        }
        assertThat(store.outbox(0, 5)).extracting(ShardStore.OutboxMessage::id)
                .containsExactlyElementsOf(listed.subList(0, 5).stream().map(ShardStore.OutboxMessage::id).toList());

        // The relay reads on after the last row it published, before that row is deleted.
        assertThat(store.outbox(0, listed.get(4).id(), 10_000)).extracting(ShardStore.OutboxMessage::id)
                .containsExactlyElementsOf(listed.subList(5, listed.size()).stream().map(ShardStore.OutboxMessage::id).toList());
        store.deleteOutbox(0, listed.subList(0, 10).stream().map(ShardStore.OutboxMessage::id).toList());
        store.deleteOutbox(0, List.of());
        assertThat(store.outbox(0, 10_000)).extracting(ShardStore.OutboxMessage::id)
                .containsExactlyElementsOf(listed.subList(10, listed.size()).stream().map(ShardStore.OutboxMessage::id).toList());
        assertThat(store.outbox(1, 10_000)).isNotEmpty().allSatisfy(m -> assertThat(m.shard()).isEqualTo(1));
        assertThatThrownBy(() -> store.outbox(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A page is bounded by bytes too: rows of change events are large, and the relay holds a page in memory. */
    @Test
    void anOutboxPageStopsAtItsByteBoundButAlwaysHoldsOneRow(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(1);
        ShardDriver zero = start(store, 0, "a", 14);
        ShardCommit commit = zero.batch(1);
        byte[] big = new byte[(int) (PgShardStore.MAX_OUTBOX_PAGE_BYTES / 3) + 1];
        List<ShardStore.OutboxMessage> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            rows.add(new ShardStore.OutboxMessage(0, 0, "changes", 0, null, big));
        }
        store.commit(with(commit, commit.balances(), commit.holds(), rows));
        List<ShardStore.OutboxMessage> page = store.outbox(0, 10_000);
        assertThat(page).as("rows whose bytes before them are under the bound").hasSize(3);
        store.deleteOutbox(0, page.stream().map(ShardStore.OutboxMessage::id).toList());
        List<ShardStore.OutboxMessage> rest = store.outbox(0, 10_000);
        assertThat(rest).hasSize(2);
        store.deleteOutbox(0, rest.stream().map(ShardStore.OutboxMessage::id).toList());

        ShardCommit huge = zero.batch(1);
        ShardStore.OutboxMessage small = new ShardStore.OutboxMessage(0, 0, "events", -1, "k", new byte[10]);
        store.commit(with(huge, huge.balances(), huge.holds(), List.of(
                new ShardStore.OutboxMessage(0, 0, "changes", 0, null, new byte[(int) PgShardStore.MAX_OUTBOX_PAGE_BYTES + 1]), small)));
        assertThat(store.outbox(0, 10_000)).as("a row larger than the bound comes alone").hasSize(1);
    }

    // ---- audit -------------------------------------------------------------------------------

    @Test
    void stateSummaryNamesWhatBroke(TestInfo test) throws SQLException {
        PgShardStore store = newStore(test);
        store.init(2);
        ShardDriver zero = start(store, 0, "a", 12);
        ShardDriver one = start(store, 1, "a", 13);
        store.commit(zero.batch(300));
        store.commit(one.batch(300));
        store.commit(zero.batch(List.of(
                new Command.Deposit("d1", "s0u1", "USD", Decimal.parse("100", false)),
                new Command.PlaceHold("d2", "s0u1", "USD", Decimal.parse("30", false), "audit-hold", Command.NO_EXPIRY))));
        StateSummary clean = store.stateSummary();
        assertThat(clean.invariantsHold()).isTrue();

        assertPlanted(store, "UPDATE balances SET available = available + 1 WHERE owner = 's0u1' AND asset = 'USD'",
                "conservation: USD sums to 1 over all accounts, not 0", clean);
        assertPlanted(store, "UPDATE balances SET available = available - 1 WHERE owner = '@external' AND asset = 'USD' AND shard = 1",
                "conservation: USD sums to -1 over all accounts, not 0", clean);
        assertPlanted(store, "UPDATE balances SET held = held + 5, available = available - 5 WHERE owner = 's0u1' AND asset = 'USD'",
                "s0u1 USD holds", clean);
        assertPlanted(store, "UPDATE balances SET available = -5 WHERE owner = 's0u1' AND asset = 'USD'",
                "s0u1 USD is negative on shard 0: available -5", clean);
        assertPlanted(store, "UPDATE holds SET state = 'RELEASED' WHERE hold_id = 'audit-hold'",
                "closed hold audit-hold still has 3000", clean);
        assertPlanted(store, "UPDATE holds SET shard = 1 WHERE hold_id = 'audit-hold'",
                "open hold audit-hold has no account or nothing left", clean);
        // Across shards: a participant whose coordinator's record is gone (its transfer could never end).
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO cross_shard (shard, kind, key, state, record) VALUES (1, 'P', 'orphan-t', 'RESERVED', '\\x00')");
            assertThat(store.stateSummary().invariantViolation())
                    .isEqualTo("transfer orphan-t has a participant record on shard 1 and no coordinator record on any shard");
            statement.execute("INSERT INTO cross_shard (shard, kind, key, state, record) VALUES (0, 'X', 'orphan-t', 'PREPARING', '\\x00')");
            assertThat(store.stateSummary().invariantViolation()).as("with its coordinator's record").isNull();
            statement.execute("DELETE FROM cross_shard WHERE key = 'orphan-t'");
        }
        assertThat(store.stateSummary()).isEqualTo(clean);
    }

    /**
     * Records of transfers between shards are written and, once ended, deleted by kind and key
     * (another kind's record under the same key stays), with the participants' reservations. The
     * table churns like this in production, and the delete must find its rows by the primary key
     * however small the table was when a plan was made: a cached plan from an empty table scanned
     * the whole table for every ended record (one sequential scan per record before the fix).
     */
    @Test
    void endedRecordsOfTransfersBetweenShardsAreDeletedByKeyWithoutScanningTheTable(TestInfo test) throws Exception {
        PgShardStore store = newStore(test);
        long epoch = acquireTheOnlyShard(store);
        byte[] padding = new byte[CHURNED_ROW_BYTES];
        int rounds = 60;
        int perRound = 20;
        long seq = 1;
        store.commit(crossShardCommit(epoch, seq++, List.of(new CrossShardRecord(CrossShardRecord.COORDINATOR, "t-kept", "PREPARING",
                padding, List.of()))));
        // As autovacuum does in production: the table is vacuumed while nearly empty (its file cut
        // back to a page), and deletes are planned right then, before the next records arrive.
        CrossShardRecord endedElsewhere = new CrossShardRecord(CrossShardRecord.PARTICIPANT, "t-kept", "COMMITTED", null, List.of());
        for (int i = 0; i < 10; i++) {
            store.commit(crossShardCommit(epoch, seq++, List.of(endedElsewhere)));
        }
        vacuum("cross_shard");
        for (int i = 0; i < 10; i++) {
            store.commit(crossShardCommit(epoch, seq++, List.of(endedElsewhere)));
        }
        for (int round = 0; round < rounds; round++) {
            List<CrossShardRecord> open = new ArrayList<>();
            List<CrossShardRecord> ended = new ArrayList<>();
            for (int i = 0; i < perRound; i++) {
                String key = "t-" + round + "-" + i;
                open.add(new CrossShardRecord(CrossShardRecord.COORDINATOR, key, "PREPARING", padding, List.of()));
                open.add(new CrossShardRecord(CrossShardRecord.PARTICIPANT, key, "RESERVED", padding,
                        List.of(new CrossShardRecord.Reservation("u" + i, "USD", Int128.of(0, 5)))));
                ended.add(new CrossShardRecord(CrossShardRecord.COORDINATOR, key, "COMMITTED", null, List.of()));
                ended.add(new CrossShardRecord(CrossShardRecord.PARTICIPANT, key, "COMMITTED", null, List.of()));
            }
            // The kept transfer's participant record, under the coordinator's key, ends: the coordinator's stays.
            ended.add(endedElsewhere);
            store.commit(crossShardCommit(epoch, seq++, open));
            store.commit(crossShardCommit(epoch, seq++, ended));
        }
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT kind, key FROM cross_shard")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString("kind") + " " + rows.getString("key")).isEqualTo("X t-kept");
                assertThat(rows.next()).as("only the kept coordinator's record is left").isFalse();
            }
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM reservations")) {
                rows.next();
                assertThat(rows.getLong(1)).as("reservations of ended participants").isZero();
            }
        }
        // Over the whole test (the database is its own): every ended record was one sequential scan
        // of the table before (about 2,500); now a scan happens only while the table is a page or two,
        // where it is the cheapest plan.
        long deletedRows = 2L * rounds * perRound;
        assertThat(tableScans("cross_shard", deletedRows)).as("sequential scans of cross_shard").isLessThan(rounds / 2);
    }

    /**
     * The relay's reads and deletes of the outbox, which churns the same way (every row deleted
     * within a second of its insert), find their rows through {@code (shard, id)} however small the
     * table was when a plan was made: a plan cached while the outbox was empty read all of it.
     */
    @Test
    void theRelaysReadsAndDeletesOfTheOutboxDoNotScanTheTable(TestInfo test) throws Exception {
        PgShardStore store = newStore(test);
        long epoch = acquireTheOnlyShard(store);
        byte[] value = new byte[CHURNED_ROW_BYTES];
        long[] seq = {1};
        long[] lastRead = {0};
        java.util.function.IntConsumer relayRound = messages -> {
            List<ShardStore.OutboxMessage> outbox = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                outbox.add(new ShardStore.OutboxMessage(0, 0, "jango.events", 0, "k" + i, value));
            }
            long at = seq[0]++;
            store.commit(new ShardCommit(0, epoch, at, at, at, List.of(), List.of(), List.of(), List.of(), outbox, Map.of()));
            List<ShardStore.OutboxMessage> page = store.outbox(0, lastRead[0], 1_000);
            assertThat(page).hasSize(messages);
            lastRead[0] = page.getLast().id();
            store.deleteOutbox(0, page.stream().map(ShardStore.OutboxMessage::id).toList());
        };
        // As autovacuum does in production: the outbox is vacuumed while empty, and the relay's
        // statements are planned right then.
        for (int i = 0; i < 10; i++) {
            relayRound.accept(1);
        }
        vacuum("outbox");
        int rounds = 60;
        for (int round = 0; round < rounds; round++) {
            relayRound.accept(20);
        }
        assertThat(store.outbox(0, 0, 1_000)).isEmpty();
        // Over the whole test (the database is its own): each read and each delete was a sequential
        // scan before (63 here); now a scan happens only while the table is a page or two (3 here).
        assertThat(tableScans("outbox", 10 + 20L * rounds)).as("sequential scans of outbox").isLessThan(rounds / 2);
    }

    /**
     * A shard's load reads its open holds through an index of open holds only: ended holds stay in
     * the table forever, and reading past them made every load (a start, a failover) slower as
     * holds accumulated, without bound.
     */
    @Test
    void aLoadReadsOnlyTheOpenHoldsNotEveryHoldEverPlaced(TestInfo test) throws Exception {
        PgShardStore store = newStore(test);
        store.init(1);
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("""
                    INSERT INTO holds (hold_id, shard, account, asset, amount, remaining, expires_at_micros, state, locked)
                    SELECT 'h' || i, 0, 'u' || (i % 100), 'USD', 5, 0, 0, 'SETTLED', 0 FROM generate_series(1, 20000) i""");
            statement.execute("ANALYZE holds");
            try (java.sql.PreparedStatement explain = connection.prepareStatement("EXPLAIN " + ShardLoader.OPEN_HOLDS)) {
                explain.setInt(1, 0);
                StringBuilder plan = new StringBuilder();
                try (ResultSet rows = explain.executeQuery()) {
                    while (rows.next()) {
                        plan.append(rows.getString(1)).append('\n');
                    }
                }
                assertThat(plan.toString()).as("the load's plan").contains("holds_open_by_shard");
            }
            statement.execute("DELETE FROM holds");
        }
    }

    /** Rows this big fill a page with a few, so that the dead rows of a churn make a table of many pages. */
    private static final int CHURNED_ROW_BYTES = 1500;

    /** A store of one shard, acquired: the epoch to commit at. */
    private static long acquireTheOnlyShard(PgShardStore store) {
        store.init(1);
        return ShardDriver.acquire(store, 0, "a").epoch();
    }

    private void vacuum(String table) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("VACUUM " + table);
        }
    }

    private static ShardCommit crossShardCommit(long epoch, long seq, List<CrossShardRecord> records) {
        return new ShardCommit(0, epoch, seq, seq, seq, List.of(), List.of(), List.of(), List.of(), List.of(), Map.of(), records);
    }

    /**
     * The table's sequential scans as PostgreSQL counts them, once its deleted rows reach
     * {@code deletedRows}: each server process reports its counts when idle, up to ten seconds
     * late, and this waits for the reports that carry the deletes.
     */
    private long tableScans(String table, long deletedRows) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            while (true) {
                statement.execute("SELECT pg_stat_clear_snapshot()");
                try (ResultSet row = statement.executeQuery("SELECT seq_scan, n_tup_del FROM pg_stat_user_tables WHERE relname = '"
                        + table + "'")) {
                    row.next();
                    if (row.getLong("n_tup_del") >= deletedRows) {
                        return row.getLong("seq_scan");
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("PostgreSQL did not report " + deletedRows + " deleted rows of " + table + " in 30 s");
                }
                Thread.sleep(200);
            }
        }
    }

    /** Plants a violation by hand, checks the audit names it and that the hash moved, then puts the clean rows back. */
    private void assertPlanted(ShardStore store, String sql, String violation, StateSummary clean) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS clean_balances AS TABLE balances");
            statement.execute("CREATE TABLE IF NOT EXISTS clean_holds AS TABLE holds");
            statement.execute(sql);
            StateSummary summary = store.stateSummary();
            assertThat(summary.invariantViolation()).startsWith(violation);
            assertThat(summary.stateHash()).isNotEqualTo(clean.stateHash());
            statement.execute("TRUNCATE balances, holds; INSERT INTO balances SELECT * FROM clean_balances;"
                    + " INSERT INTO holds SELECT * FROM clean_holds");
        }
        assertThat(store.stateSummary()).isEqualTo(clean);
    }

    // ---- failures ----------------------------------------------------------------------------

    @Test
    void unavailableWhileTheDatabaseIsDownAndWorkingAfterItRestarts() throws Exception {
        try (TestPostgres own = TestPostgres.start(dir.resolve("restart"))) {
            PgShardStore store = open(own.config());
            store.init(1);
            ShardDriver driver = start(store, 0, "a", 14);
            store.commit(driver.batch(100));
            String committed = driver.stateHash();

            ShardCommit lost = driver.batch(100); // applied (its ids read from the store first), then the database goes
            own.stop();
            long startNanos = System.nanoTime();
            assertThatThrownBy(() -> store.commit(lost)).isInstanceOf(ShardStore.Unavailable.class)
                    .isNotInstanceOf(ShardStore.Fenced.class).hasMessageContaining("commit of shard 0");
            assertThatThrownBy(() -> store.balances("s0u1", null)).isInstanceOf(ShardStore.Unavailable.class)
                    .hasMessageContaining("read of s0u1's balances");
            assertThatThrownBy(() -> ShardDriver.reload(store, 0, driver.epoch())).isInstanceOf(ShardStore.Unavailable.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos)).as("fails fast, bounded").isLessThan(15_000);
            assertThatThrownBy(() -> PgShardStore.open(own.config())).isInstanceOf(ShardStore.Unavailable.class)
                    .hasMessageContaining("cannot connect");

            own.start();
            LoadedShard reloaded = awaitAvailable(() -> ShardDriver.reload(store, 0, driver.epoch()));
            assertThat(SnapshotCodec.stateHash(reloaded.engine())).as("the lost batch is not there").isEqualTo(committed);
            driver.take(reloaded);
            store.commit(driver.batch(100));
            assertThat(SnapshotCodec.stateHash(ShardDriver.reload(store, 0, driver.epoch()).engine())).isEqualTo(driver.stateHash());
        }
    }

    /** Retries while the pool reconnects: the first calls after a restart may meet dead connections. */
    private static <T> T awaitAvailable(java.util.function.Supplier<T> call) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                return call.get();
            } catch (ShardStore.Fenced e) {
                throw e;
            } catch (ShardStore.Unavailable e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    // ---- cost --------------------------------------------------------------------------------

    @Test
    void aThousandCommandBatchIsOneTransaction(TestInfo test) {
        PgShardStore store = newStore(test);
        store.init(1);
        ShardDriver driver = start(store, 0, "a", 15);
        store.commit(driver.batch(1000)); // warm the pool and the statements
        List<Long> micros = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < 7; i++) {
            ShardCommit commit = driver.batch(1000);
            rows = commit.balances().size() + commit.holds().size() + commit.results().size() + commit.history().size()
                    + commit.outbox().size();
            long startNanos = System.nanoTime();
            store.commit(commit);
            micros.add((System.nanoTime() - startNanos) / 1_000);
        }
        List<Long> sorted = micros.stream().sorted().toList();
        log.info("event=commit_cost commands=1000 rows={} median_ms={} max_ms={}", rows, sorted.get(3) / 1000.0,
                sorted.getLast() / 1000.0);
        assertThat(SnapshotCodec.stateHash(ShardDriver.reload(store, 0, driver.epoch()).engine())).isEqualTo(driver.stateHash());
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
    }

    private Map<String, Long> rowCounts() throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String table : List.of("balances", "holds", "results", "history", "outbox")) {
                try (ResultSet row = statement.executeQuery("SELECT count(*) FROM " + table)) {
                    row.next();
                    counts.put(table, row.getLong(1));
                }
            }
            try (ResultSet row = statement.executeQuery("SELECT md5(string_agg(t::text, ',' ORDER BY shard)) FROM shards t")) {
                row.next();
                counts.put("shards " + row.getString(1), 0L);
            }
        }
        return counts;
    }
}
