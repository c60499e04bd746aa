package jango.embedded;

import jango.embedded.journal.ChannelOpener;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Settings of the embedded ledger, built once and passed in. Every limit is explicit: an
 * unbounded queue or wait is a bug.
 *
 * @param dataDir            journal/, snapshots/ and index/ live here
 * @param maxBatchCommands   most commands the writer drains into one journal record (one fsync)
 * @param maxPendingCommands commands admitted but not yet written; past it callers get 503 UNAVAILABLE
 * @param snapshotEveryCommands a snapshot after this many log entries since the last one (a restart replays at most about this many)
 * @param writeRetries       attempts to write a batch after the first failure, then the shard halts
 * @param retryBackoffMs     first backoff between attempts, doubled each time
 * @param historyWaitMs      how long a read waits for the index to catch up (history, closed holds, results)
 * @param clockMicros        the sequencer's clock (epoch microseconds); the engine never reads a clock
 * @param opener             opens journal files; tests pass one that fails to prove the halt path
 * @param idFilterBytes      the engine's id filter (a power of two); a snapshot made with another size gets its
 *                           filter rebuilt from the index at start ({@link Recovery#rebuildIdFilter})
 * @param stallMs            a writer with work waiting and no progress for this long reports itself stalled
 */
public record EmbeddedConfig(Path dataDir, int maxBatchCommands, int maxPendingCommands, long snapshotEveryCommands,
                             long segmentBytes, int writeRetries, long retryBackoffMs, long historyWaitMs,
                             LongSupplier clockMicros, ChannelOpener opener, int idFilterBytes, long stallMs) {

    public static final int DEFAULT_MAX_BATCH_COMMANDS = 20_000;
    /**
     * 64 MiB: false positives (each costs one index lookup) 0.9% at 50 million ids, 5.7% at 77 million,
     * 14% at 100 million, 42% at 150 million (measured on this filter). An exchange's day uses about
     * 1.5 ids per command (a trade's four commands and its two holds).
     */
    public static final int DEFAULT_ID_FILTER_BYTES = 64 << 20;
    /**
     * A restart replays at most about this many entries. Right after a start the JIT is cold and the
     * replay is slow: 517,000 entries in 3.6 s on the 10-million-entry soak's data, 172,000 in 3.1 s
     * at 77 million entries, where about 21% of the ids were filter false positives costing an index
     * lookup (docs/performance.md). This keeps the replay to a few seconds of a restart that must be
     * healthy within ten. The price is a snapshot (about the id filter's size plus 100 bytes per
     * account and open hold, about 0.3 s of one core to write) taken off the writer thread every
     * this many entries: at 25,000 commands/s one every 5 s. It was 250,000 until 2026-12-02: at
     * 100 million entries, with 5% of the replayed ids filter false positives, the replay ran at
     * 38,000-80,000 entries a second, and a kill just before a snapshot cost 5-6 s of replay alone;
     * halved, restarts after kill -9 there were healthy in 7.1-9.4 s (11.0-13.1 s before), and
     * `jango bench` measured no loss (26,464 commands/s against 24,364 in the same run).
     */
    public static final long DEFAULT_SNAPSHOT_EVERY_COMMANDS = 125_000;

    public EmbeddedConfig {
        check(maxBatchCommands >= 10_000, "maxBatchCommands", maxBatchCommands, ">= 10000 (one API batch must fit)");
        check(maxPendingCommands >= maxBatchCommands, "maxPendingCommands", maxPendingCommands, ">= maxBatchCommands");
        check(snapshotEveryCommands > 0, "snapshotEveryCommands", snapshotEveryCommands, "> 0");
        check(segmentBytes >= 1 << 16, "segmentBytes", segmentBytes, ">= 65536");
        check(writeRetries >= 0 && writeRetries <= 10, "writeRetries", writeRetries, "0..10");
        check(retryBackoffMs >= 0 && retryBackoffMs <= 10_000, "retryBackoffMs", retryBackoffMs, "0..10000");
        check(historyWaitMs > 0, "historyWaitMs", historyWaitMs, "> 0");
        check(idFilterBytes >= 1 << 10 && Integer.bitCount(idFilterBytes) == 1, "idFilterBytes", idFilterBytes,
                "a power of two >= 1024");
        check(stallMs >= 100, "stallMs", stallMs, ">= 100");
    }

    public static EmbeddedConfig defaults(Path dataDir) {
        return new EmbeddedConfig(dataDir, DEFAULT_MAX_BATCH_COMMANDS, 200_000, DEFAULT_SNAPSHOT_EVERY_COMMANDS, 256L << 20, 3, 50, 5_000,
                EmbeddedConfig::systemMicros, EmbeddedConfig::openForAppend, DEFAULT_ID_FILTER_BYTES, 5_000);
    }

    public EmbeddedConfig withOpener(ChannelOpener newOpener) {
        return new EmbeddedConfig(dataDir, maxBatchCommands, maxPendingCommands, snapshotEveryCommands, segmentBytes,
                writeRetries, retryBackoffMs, historyWaitMs, clockMicros, newOpener, idFilterBytes, stallMs);
    }

    public EmbeddedConfig withSnapshotEveryCommands(long every) {
        return new EmbeddedConfig(dataDir, maxBatchCommands, maxPendingCommands, every, segmentBytes,
                writeRetries, retryBackoffMs, historyWaitMs, clockMicros, opener, idFilterBytes, stallMs);
    }

    public EmbeddedConfig withClock(LongSupplier clock) {
        return new EmbeddedConfig(dataDir, maxBatchCommands, maxPendingCommands, snapshotEveryCommands, segmentBytes,
                writeRetries, retryBackoffMs, historyWaitMs, clock, opener, idFilterBytes, stallMs);
    }

    public EmbeddedConfig withIdFilterBytes(int bytes) {
        return new EmbeddedConfig(dataDir, maxBatchCommands, maxPendingCommands, snapshotEveryCommands, segmentBytes,
                writeRetries, retryBackoffMs, historyWaitMs, clockMicros, opener, bytes, stallMs);
    }

    public EmbeddedConfig withStallMs(long ms) {
        return new EmbeddedConfig(dataDir, maxBatchCommands, maxPendingCommands, snapshotEveryCommands, segmentBytes,
                writeRetries, retryBackoffMs, historyWaitMs, clockMicros, opener, idFilterBytes, ms);
    }

    static long systemMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    static FileChannel openForAppend(Path path) throws java.io.IOException {
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
