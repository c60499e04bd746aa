package jango.embedded;

import jango.embedded.journal.Journal;
import jango.embedded.journal.JournalConfig;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code jango audit}: replays the whole journal from seq 1 into a fresh engine (every command's
 * postings are checked as they apply), checks each snapshot against the replayed state at its
 * seq, then checks the laws over the final state: conservation per asset, no negative user
 * balance, held equal to the sum of open holds. Reads a stopped or copied data directory.
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

    public record Report(boolean passed, long seq, long records, int snapshotsChecked, String stateHash,
                         List<AssetTotals> assets, List<String> problems) {
    }

    private Audit() {
    }

    public static Report run(Path dataDir, Consumer<String> progress) throws IOException {
        Path journalDir = dataDir.resolve("journal");
        if (!Files.isDirectory(journalDir)) {
            throw new IOException("no journal under " + dataDir + " (expected " + journalDir + ")");
        }
        List<String> problems = new ArrayList<>();
        Snapshots snapshots = new Snapshots(dataDir.resolve("snapshots"));
        Set<Long> snapshotSeqs = new TreeSet<>(snapshots.seqs());
        Engine engine = new Engine();
        int[] snapshotsChecked = {0};
        long[] records = {0};
        try (Journal journal = Journal.open(journalDir, JournalConfig.defaults())) {
            if (journal.firstSeq() != 1) {
                throw new IOException("the journal starts at seq " + journal.firstSeq() + ", not 1: cannot replay from the beginning");
            }
            long lastSeq = journal.nextSeq() - 1;
            progress.accept("audit: replaying " + lastSeq + " log entries from " + journalDir);
            Recovery.Replay replay = new Replay(engine);
            long[] nextProgress = {System.nanoTime() + PROGRESS_EVERY_NANOS};
            try {
                journal.replay(1, (firstSeq, count, payload, offset, length) -> {
                    replay.record(firstSeq, count, payload, offset, length);
                    records[0]++;
                    if (snapshotSeqs.contains(engine.lastSeq())) {
                        checkSnapshot(snapshots, engine, problems);
                        snapshotsChecked[0]++;
                    }
                    if (System.nanoTime() > nextProgress[0]) {
                        nextProgress[0] = System.nanoTime() + PROGRESS_EVERY_NANOS;
                        progress.accept(String.format("audit: seq %d of %d (%.0f%%)", engine.lastSeq(), lastSeq,
                                100.0 * engine.lastSeq() / Math.max(1, lastSeq)));
                    }
                });
            } catch (InvariantViolation e) {
                problems.add("invariant broken during replay at seq " + engine.lastSeq() + ": " + e.getMessage());
            }
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
        return new Report(problems.isEmpty(), engine.lastSeq(), records[0], snapshotsChecked[0],
                SnapshotCodec.stateHash(engine), totals(engine), problems);
    }

    private static void checkSnapshot(Snapshots snapshots, Engine replayed, List<String> problems) {
        long seq = replayed.lastSeq();
        try {
            String stored = SnapshotCodec.stateHash(snapshots.load(seq));
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
        engine.forEachBalance((BalanceView balance) -> {
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

    /** A replay that feeds no index. */
    private static final class Replay extends Recovery.Replay {
        Replay(Engine engine) {
            super(engine, null, Long.MAX_VALUE);
        }
    }
}
