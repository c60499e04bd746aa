package jango.embedded;

import jango.embedded.index.ArchiveRecords;
import jango.embedded.index.LedgerIndex;
import jango.embedded.journal.Journal;
import jango.embedded.journal.JournalConfig;
import jango.engine.Archive;
import jango.engine.BalanceView;
import jango.engine.Engine;
import jango.engine.InvariantViolation;
import jango.engine.Names;
import jango.engine.SnapshotCodec;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code jango audit}: replays the whole journal from seq 1 into a fresh engine (every command's
 * postings are checked as they apply), checks each snapshot against the replayed state at its
 * seq and each stored result against the one the replay makes, then checks the laws over the final
 * state: conservation per asset, no negative user balance, held equal to the sum of open holds.
 * Reads a stopped or copied data directory.
 */
public final class Audit {
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;

    /**
     * Per asset: the sum over user accounts of available and held, and the sum over every account
     * (users and system), which conservation says is zero.
     */
    public record AssetTotals(String asset, int scale, BigInteger usersAvailable, BigInteger usersHeld, BigInteger allAccounts) {
        public boolean conserved() {
            return allAccounts.signum() == 0;
        }
    }

    public record Report(boolean passed, long seq, long records, int snapshotsChecked, long resultsChecked, String stateHash,
                         List<AssetTotals> assets, List<String> problems) {
    }

    private static final int MAX_PROBLEMS_LISTED = 20;

    private Audit() {
    }

    /**
     * Replays the whole journal. Results and closed holds of the replay go to a scratch index in a
     * temporary directory (memory stays bounded however long the journal is), and each is compared
     * with what the data directory's index stored for it.
     */
    public static Report run(Path dataDir, Consumer<String> progress) throws IOException {
        Path journalDir = dataDir.resolve("journal");
        if (!Files.isDirectory(journalDir)) {
            throw new IOException("no journal under " + dataDir + " (expected " + journalDir + ")");
        }
        List<String> problems = new ArrayList<>();
        Snapshots snapshots = new Snapshots(dataDir.resolve("snapshots"));
        Set<Long> snapshotSeqs = new TreeSet<>(snapshots.seqs());
        Path scratchDir = Files.createTempDirectory("jango-audit-");
        int[] snapshotsChecked = {0};
        long[] records = {0};
        long[] resultsChecked = {0};
        Engine engine;
        try (Journal journal = Journal.open(journalDir, JournalConfig.defaults());
             LedgerIndex scratch = LedgerIndex.open(scratchDir);
             LedgerIndex stored = Files.isDirectory(dataDir.resolve("index")) ? LedgerIndex.open(dataDir.resolve("index")) : null) {
            if (journal.firstSeq() != 1) {
                throw new IOException("the journal starts at seq " + journal.firstSeq() + ", not 1: cannot replay from the beginning");
            }
            long lastSeq = journal.nextSeq() - 1;
            progress.accept("audit: replaying " + lastSeq + " log entries from " + journalDir);
            EmbeddedArchive archive = new EmbeddedArchive(scratch);
            engine = new Engine(EmbeddedConfig.DEFAULT_ID_FILTER_BYTES, archive);
            Engine replaying = engine;
            Recovery.Replay replay = new Recovery.Replay(engine, archive, chunk -> {
                resultsChecked[0] += compareResults(chunk, stored, problems);
                scratch.append(chunk);
                archive.evict(scratch.indexedSeq());
            }, false, 0);
            long[] nextProgress = {System.nanoTime() + PROGRESS_EVERY_NANOS};
            try {
                journal.replay(1, (firstSeq, count, payload, offset, length) -> {
                    replay.record(firstSeq, count, payload, offset, length);
                    records[0]++;
                    if (snapshotSeqs.contains(replaying.lastSeq())) {
                        checkSnapshot(snapshots, replaying, problems);
                        snapshotsChecked[0]++;
                    }
                    if (System.nanoTime() > nextProgress[0]) {
                        nextProgress[0] = System.nanoTime() + PROGRESS_EVERY_NANOS;
                        progress.accept(String.format("audit: seq %d of %d (%d%%), %d stored results checked", replaying.lastSeq(),
                                lastSeq, 100 * replaying.lastSeq() / Math.max(1, lastSeq), resultsChecked[0]));
                    }
                });
            } catch (InvariantViolation e) {
                problems.add("invariant broken during replay at seq " + engine.lastSeq() + ": " + e.getMessage());
            }
        } finally {
            LedgerIndex.destroy(scratchDir);
        }
        for (long seq : snapshotSeqs) {
            if (seq > engine.lastSeq()) {
                problems.add("snapshot at seq " + seq + " is past the journal's end " + engine.lastSeq());
            }
        }
        try {
            engine.checkInvariants();
        } catch (InvariantViolation e) {
            problems.add("invariant broken in the final state: " + e.getMessage());
        }
        List<String> listed = problems;
        if (problems.size() > MAX_PROBLEMS_LISTED) {
            listed = new ArrayList<>(problems.subList(0, MAX_PROBLEMS_LISTED));
            listed.add("... and " + (problems.size() - MAX_PROBLEMS_LISTED) + " more");
        }
        return new Report(problems.isEmpty(), engine.lastSeq(), records[0], snapshotsChecked[0], resultsChecked[0],
                SnapshotCodec.stateHash(engine), totals(engine), listed);
    }

    /** Each result the replay made must be stored as made (where the index reached). Returns how many were compared. */
    private static long compareResults(LedgerIndex.Chunk chunk, LedgerIndex stored, List<String> problems) {
        if (stored == null) {
            return 0;
        }
        ArchiveRecords results = chunk.results();
        long compared = 0;
        for (int i = 0; i < results.count(); i++) {
            if (results.seq(i) > stored.indexedSeq()) {
                continue; // the index lagged the journal when the process stopped: it catches up at the next start
            }
            byte[] value = stored.result(results.id(i));
            if (value == null) {
                problems.add("the result of " + results.id(i) + " (seq " + results.seq(i) + ") is missing from the index");
            } else if (!Arrays.equals(value, results.value(i))) {
                problems.add("the result of " + results.id(i) + " (seq " + results.seq(i) + ") in the index differs from the replay");
            }
            compared++;
        }
        return compared;
    }

    private static void checkSnapshot(Snapshots snapshots, Engine replayed, List<String> problems) {
        long seq = replayed.lastSeq();
        try {
            String stored = SnapshotCodec.stateHash(snapshots.load(seq, Archive.NONE));
            String expected = SnapshotCodec.stateHash(replayed);
            if (!stored.equals(expected)) {
                problems.add("snapshot at seq " + seq + " has state hash " + stored + ", the journal replays to " + expected);
            }
        } catch (IOException | RuntimeException e) {
            problems.add("snapshot at seq " + seq + " is unreadable: " + e.getMessage());
        }
    }

    private static List<AssetTotals> totals(Engine engine) {
        Map<String, BigInteger[]> sums = new TreeMap<>();
        engine.assetScales().keySet().forEach(asset -> sums.put(asset, new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO}));
        engine.view().forEachBalance((BalanceView balance) -> {
            BigInteger[] sum = sums.get(balance.asset());
            BigInteger available = balance.available().toBigInteger();
            BigInteger held = balance.held().toBigInteger();
            if (!Names.isSystem(balance.account())) {
                sum[0] = sum[0].add(available);
                sum[1] = sum[1].add(held);
            }
            sum[2] = sum[2].add(available).add(held);
        });
        List<AssetTotals> totals = new ArrayList<>();
        sums.forEach((asset, sum) -> totals.add(new AssetTotals(asset, engine.assetScales().get(asset), sum[0], sum[1], sum[2])));
        return totals;
    }
}
