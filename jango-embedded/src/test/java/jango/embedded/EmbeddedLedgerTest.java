package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.embedded.journal.JournalCorruptException;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.Leg;
import jango.engine.MemoryArchive;
import jango.engine.Names;
import jango.engine.Reason;
import jango.engine.Outcome;
import jango.engine.port.LedgerObserver;
import jango.engine.port.StateSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recovery paths of the embedded ledger: snapshots, a bad snapshot, a corrupt journal, a lost index. */
class EmbeddedLedgerTest {
    @TempDir
    Path dir;

    private EmbeddedConfig config() {
        return EmbeddedConfig.defaults(dir).withSnapshotEveryCommands(200);
    }

    /** Writes a seeded mix of deposits and transfers through the real writer; returns the state there. */
    private StateSummary load(EmbeddedLedger ledger, int batches, long seed) throws Exception {
        Random random = new Random(seed);
        ledger.submit(List.of(new Command.RegisterAsset("KRW", 0))).get();
        for (int b = 0; b < batches; b++) {
            List<Command> commands = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                String id = "s" + seed + "-" + b + "-" + i;
                String user = "u" + random.nextInt(20);
                Decimal amount = Decimal.parse(Integer.toString(1 + random.nextInt(100)), false);
                commands.add(random.nextInt(3) == 0
                        ? new Command.Deposit(id, user, "KRW", amount)
                        : new Command.Transfer(id, List.of(new Leg(user, "u" + random.nextInt(20), "KRW", amount, null))));
            }
            List<Outcome> outcomes = ledger.submit(commands).get();
            assertThat(outcomes).hasSize(commands.size());
        }
        return ledger.stateSummary();
    }

    private List<Path> snapshots() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
            return files.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
        }
    }

    /**
     * The writer fills a journal record up to 20,000 commands, but a record holds at most 64 MiB: 20,000
     * transfers of 16 legs with the longest names encode to about 100 MB. Queued together, they are
     * written in several records and every one is answered; before the fix the record was refused
     * and the writer halted the shard.
     */
    @Test
    void aQueueOfTheLargestCommandsIsSplitIntoRecordsThatFitTheJournal() throws Exception {
        String a = "a".repeat(63) + "1";
        String b = "b".repeat(63) + "2";
        String hold = "h".repeat(64);
        List<Leg> legs = new ArrayList<>();
        for (int i = 0; i < Names.MAX_LEGS; i++) {
            legs.add(new Leg(a, b, "KRW", Decimal.parse("123456789012345678901234567890", false), hold));
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            ledger.submit(List.of(new Command.RegisterAsset("KRW", 0))).get();
            List<CompletableFuture<List<Outcome>>> answers = new ArrayList<>();
            for (int request = 0; request < 60; request++) {
                List<Command> commands = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    commands.add(new Command.Transfer(String.format("%064d", request * 1_000 + i), legs));
                }
                answers.add(ledger.submit(commands));
            }
            for (CompletableFuture<List<Outcome>> answer : answers) {
                assertThat(answer.get(60, TimeUnit.SECONDS)).hasSize(500)
                        .allSatisfy(outcome -> assertThat(outcome.result().reason()).isEqualTo(Reason.UNKNOWN_HOLD));
            }
            assertThat(ledger.shards()).allSatisfy(shard -> assertThat(shard.up()).isTrue());
            assertThat(ledger.stateSummary().seq()).isEqualTo(1 + 60 * 500);
        }
    }

    @Test
    void aSnapshotWriteThatFailsLeavesNoPartialFileBehind() throws Exception {
        Path snapshotDir = dir.resolve("failing-snapshots");
        Snapshots snapshots = new Snapshots(snapshotDir);
        Engine engine = new Engine(1 << 16, new MemoryArchive());
        engine.apply(1, 1, new Command.RegisterAsset("KRW", 0), EngineListener.NONE);
        // The name the snapshot moves to is taken by a directory that is not empty: the move fails.
        Path target = snapshotDir.resolve(String.format("snapshot-%020d.bin", 1));
        Files.createDirectories(target);
        Files.writeString(target.resolve("in-the-way"), "x");

        assertThatThrownBy(() -> snapshots.write(engine)).isInstanceOf(IOException.class);

        try (Stream<Path> files = Files.list(snapshotDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(target.getFileName().toString());
        }
    }

    @Test
    void snapshotsBoundRecoveryAndTheReplayAgreesWithThem() throws Exception {
        StateSummary before;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            before = load(ledger, 40, 1);
        }
        assertThat(snapshots()).hasSize(2);
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            assertThat(ledger.stateSummary()).isEqualTo(before);
            assertThat(ledger.balances("u1", null)).isNotEmpty();
        }
        Audit.Report report = Audit.run(dir, line -> { });
        assertThat(report.problems()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.snapshotsChecked()).isEqualTo(2);
        assertThat(report.stateHash()).isEqualTo(before.stateHash());
        assertThat(report.assets()).allMatch(Audit.AssetTotals::conserved);
    }

    @Test
    void anUnreadableSnapshotIsPassedOverAndTheJournalReplayed() throws Exception {
        StateSummary before;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            before = load(ledger, 20, 2);
        }
        for (Path snapshot : snapshots()) {
            byte[] bytes = Files.readAllBytes(snapshot);
            bytes[bytes.length / 2] ^= 0x40;
            Files.write(snapshot, bytes);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            assertThat(ledger.stateSummary()).isEqualTo(before);
        }
        Audit.Report report = Audit.run(dir, line -> { });
        assertThat(report.passed()).isFalse();
        assertThat(report.problems()).anyMatch(p -> p.contains("snapshot at seq"));
    }

    /** A count damaged on disk is a bad snapshot like any other, passed over; not an array of billions. */
    @Test
    void aSnapshotWithADamagedCountIsPassedOverNotAllocated() throws Exception {
        StateSummary before;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            before = load(ledger, 20, 3);
        }
        List<Path> written = snapshots();
        Path newest = written.get(written.size() - 1);
        try (FileChannel channel = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            // magic, version, seq, time: the count of assets follows
            channel.write(ByteBuffer.allocate(4).putInt(0, Integer.MAX_VALUE - 8), 24);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            assertThat(ledger.stateSummary()).isEqualTo(before);
        }
    }

    @Test
    void corruptionInTheMiddleOfTheJournalStopsStartUpNamingFileAndOffset() throws Exception {
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            load(ledger, 10, 3);
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir.resolve("journal"))) {
            segment = files.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        bytes[200] ^= 0x01;
        Files.write(segment, bytes);
        assertThatThrownBy(() -> EmbeddedLedger.open(config(), LedgerObserver.NONE))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining(segment.getFileName().toString())
                .hasMessageContaining("offset");
        assertThat(Files.readAllBytes(segment)).as("a failed start-up changes nothing").isEqualTo(bytes);
    }

    @Test
    void aLostLedgerIndexIsRebuiltFromTheJournal() throws Exception {
        String newest;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            load(ledger, 20, 4);
            newest = ledger.history("u3", null, 1, null).entries().get(0).commandId();
        }
        assertThat(dir.resolve("index")).isDirectory();
        LedgerIndex.destroy(dir.resolve("index"));
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            assertThat(ledger.history("u3", null, 1, null).entries().get(0).commandId()).isEqualTo(newest);
            assertThat(ledger.history("u3", null, 1000, null).entries().size()).isGreaterThan(10);
        }
    }

    /**
     * The soak reports bytes per stored result from these figures. RocksDB's key estimate adds up
     * statistics an open skips reading, so after a restart it said 0 for 1.2 GB of results.
     */
    @Test
    void storedResultsAreCountedAfterARestart() throws Exception {
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            load(ledger, 40, 6);
        }
        try (LedgerIndex index = LedgerIndex.open(dir.resolve("index"))) {
            LedgerIndex.ResultStats stats = index.resultStats();
            assertThat(stats.results()).as("one stored result per command id (40 batches of 25)").isEqualTo(40 * 25);
            assertThat(stats.bytes()).isPositive();
        }
    }

    /**
     * Results and closed holds live on disk, behind the engine's id filter, which snapshots carry: an
     * id used long ago (before several snapshots and a restart) is still answered exactly.
     */
    @Test
    void anIdUsedLongAgoIsAnsweredExactlyAfterSnapshotsAndARestart() throws Exception {
        Command deposit = new Command.Deposit("old-1", "u1", "KRW", Decimal.parse("5", false));
        Command hold = new Command.PlaceHold("old-2", "u1", "KRW", Decimal.parse("2", false), "old-hold", Command.NO_EXPIRY);
        Command release = new Command.Release("old-3", "old-hold", null);
        Outcome first;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            ledger.submit(List.of(new Command.RegisterAsset("KRW", 0))).get();
            first = ledger.submit(List.of(deposit, hold, release)).get().get(0);
            load(ledger, 40, 5);
        }
        assertThat(snapshots()).as("several snapshots were taken after the id was used").hasSize(2);
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            List<Outcome> again = ledger.submit(List.of(deposit,
                    new Command.Deposit("old-1", "u1", "KRW", Decimal.parse("6", false)),
                    new Command.PlaceHold("new-1", "u1", "KRW", Decimal.parse("1", false), "old-hold", Command.NO_EXPIRY))).get();
            assertThat(again.get(0).kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(again.get(0).result()).isEqualTo(first.result());
            assertThat(again.get(1).kind()).as("the same id with another body").isEqualTo(Outcome.Kind.ID_CONFLICT);
            assertThat(again.get(2).result().reason()).as("a hold id closed long ago").isEqualTo(jango.engine.Reason.HOLD_EXISTS);
            assertThat(ledger.result("old-1")).isEqualTo(first.result());
            assertThat(ledger.knownResult("old-1").result()).isEqualTo(first.result());
            assertThat(ledger.hold("old-hold").state()).isEqualTo(jango.engine.HoldState.RELEASED);
        }
    }

    /**
     * A crowded id filter is given another size by starting with it: the filter is rebuilt from the
     * ids the index stores, every id used before is still answered exactly (a result replayed, another
     * body a conflict, a closed hold's id taken), the state is the same, and the next snapshot keeps
     * the new size, so the rebuild happens once.
     */
    @Test
    void aCrowdedIdFilterIsRebuiltLargerFromTheIndexAndEveryOldIdIsStillAnswered() throws Exception {
        EmbeddedConfig small = config().withIdFilterBytes(1 << 10); // 8,192 bits for over 5,000 ids
        EmbeddedConfig large = config().withIdFilterBytes(1 << 20);
        Command deposit = new Command.Deposit("f-1", "u1", "KRW", Decimal.parse("5", false));
        Command hold = new Command.PlaceHold("f-2", "u1", "KRW", Decimal.parse("2", false), "f-hold", Command.NO_EXPIRY);
        Command release = new Command.Release("f-3", "f-hold", null);
        Command stillOpen = new Command.PlaceHold("f-4", "u1", "KRW", Decimal.parse("1", false), "f-open", Command.NO_EXPIRY);
        Outcome first;
        StateSummary before;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(small, LedgerObserver.NONE)) {
            ledger.submit(List.of(new Command.RegisterAsset("KRW", 0))).get();
            first = ledger.submit(List.of(deposit, hold, release, stillOpen)).get().get(0);
            before = load(ledger, 200, 7);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(small, LedgerObserver.NONE)) {
            assertThat(ledger.idFilterFalsePositivesPerMillion()).as("5,000 ids in 8,192 bits, measured at start").isGreaterThan(300_000);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(large, LedgerObserver.NONE)) {
            assertThat(ledger.idFilterFalsePositivesPerMillion()).as("rebuilt at 1 MiB").isZero();
            Snapshots written = new Snapshots(dir.resolve("snapshots"));
            assertThat(written.load(written.seqs().get(0), new MemoryArchive()).view().idFilterBytes())
                    .as("a snapshot with the new filter, written at start: a crash now does not cost another rebuild").isEqualTo(1 << 20);
            assertThat(ledger.stateSummary()).isEqualTo(before);
            List<Outcome> again = ledger.submit(List.of(deposit,
                    new Command.Deposit("f-1", "u1", "KRW", Decimal.parse("6", false)),
                    new Command.PlaceHold("f-5", "u1", "KRW", Decimal.parse("1", false), "f-hold", Command.NO_EXPIRY),
                    new Command.PlaceHold("f-6", "u1", "KRW", Decimal.parse("1", false), "f-open", Command.NO_EXPIRY),
                    new Command.Deposit("s7-3-4", "u1", "KRW", Decimal.parse("1", false)))).get();
            assertThat(again.get(0).kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(again.get(0).result()).isEqualTo(first.result());
            assertThat(again.get(1).kind()).as("the same id with another body").isEqualTo(Outcome.Kind.ID_CONFLICT);
            assertThat(again.get(2).result().reason()).as("a closed hold's id").isEqualTo(jango.engine.Reason.HOLD_EXISTS);
            assertThat(again.get(3).result().reason()).as("an open hold's id").isEqualTo(jango.engine.Reason.HOLD_EXISTS);
            assertThat(again.get(4).kind()).as("an id of the load, another body").isEqualTo(Outcome.Kind.ID_CONFLICT);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(large, LedgerObserver.NONE)) {
            assertThat(ledger.idFilterFalsePositivesPerMillion()).as("the closing snapshot kept the new filter").isZero();
            assertThat(ledger.submit(List.of(deposit)).get().get(0).kind()).isEqualTo(Outcome.Kind.REPLAYED);
        }
    }

    /**
     * A restart replays the journal from the last snapshot, but entries the index holds already are
     * applied for their state only (their results, closed holds and history are on disk): they must
     * still be answered exactly, and their history must not appear twice. A snapshot a crash left
     * unfinished is deleted.
     */
    @Test
    void entriesIndexedAfterTheLastSnapshotAreAnsweredOnceAfterARestart() throws Exception {
        EmbeddedConfig noSnapshots = EmbeddedConfig.defaults(dir).withSnapshotEveryCommands(1_000_000);
        Command deposit = new Command.Deposit("w-1", "u1", "KRW", Decimal.parse("5", false));
        Command hold = new Command.PlaceHold("w-2", "u1", "KRW", Decimal.parse("2", false), "w-hold", Command.NO_EXPIRY);
        Command release = new Command.Release("w-3", "w-hold", null);
        Outcome first;
        StateSummary before;
        List<jango.engine.port.HistoryEntry> historyBefore;
        try (EmbeddedLedger ledger = EmbeddedLedger.open(noSnapshots, LedgerObserver.NONE)) {
            ledger.submit(List.of(new Command.RegisterAsset("KRW", 0))).get();
            first = ledger.submit(List.of(deposit, hold, release)).get().get(0);
            before = load(ledger, 20, 6);
            historyBefore = ledger.history("u1", null, 1000, null).entries();
        }
        for (Path closing : snapshots()) {
            Files.delete(closing); // as if the process had died before its closing snapshot
        }
        Path unfinished = Files.writeString(dir.resolve("snapshots").resolve("snapshot-00000000000000000123.tmp"), "torn");
        try (EmbeddedLedger ledger = EmbeddedLedger.open(noSnapshots, LedgerObserver.NONE)) {
            assertThat(unfinished).doesNotExist();
            assertThat(ledger.stateSummary()).isEqualTo(before);
            assertThat(ledger.history("u1", null, 1000, null).entries()).isEqualTo(historyBefore);
            List<Outcome> again = ledger.submit(List.of(deposit,
                    new Command.Deposit("w-1", "u1", "KRW", Decimal.parse("6", false)),
                    new Command.PlaceHold("w-4", "u1", "KRW", Decimal.parse("1", false), "w-hold", Command.NO_EXPIRY))).get();
            assertThat(again.get(0).kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(again.get(0).result()).isEqualTo(first.result());
            assertThat(again.get(1).kind()).isEqualTo(Outcome.Kind.ID_CONFLICT);
            assertThat(again.get(2).result().reason()).isEqualTo(jango.engine.Reason.HOLD_EXISTS);
            assertThat(ledger.hold("w-hold").state()).isEqualTo(jango.engine.HoldState.RELEASED);
        }
        try (EmbeddedLedger ledger = EmbeddedLedger.open(noSnapshots, LedgerObserver.NONE)) {
            assertThat(ledger.history("u1", null, 1000, null).entries())
                    .as("replays, conflicts and refusals change no balance; a second replay indexes nothing twice")
                    .isEqualTo(historyBefore);
        }
    }

    @Test
    void aSecondOpenOfTheSameDataDirectoryIsRefused() throws Exception {
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config(), LedgerObserver.NONE)) {
            assertThatThrownBy(() -> EmbeddedLedger.open(config(), LedgerObserver.NONE))
                    .isInstanceOf(IOException.class).hasMessageContaining("already open");
        }
    }
}
