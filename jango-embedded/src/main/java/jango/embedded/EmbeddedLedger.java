package jango.embedded;

import jango.embedded.index.ArchiveRecords;
import jango.embedded.index.LedgerIndex;
import jango.embedded.journal.Journal;
import jango.embedded.journal.JournalConfig;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.StoredResult;
import jango.engine.port.ChangeSubscriber;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerObserver;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.LedgerUnavailableException.Code;
import jango.engine.port.ShardStatus;
import jango.engine.port.StateSummary;
import jango.writer.RetryPolicy;
import jango.writer.ShardLoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embedded mode: one process, one shard, the journal on local disk. The writer is the one
 * {@link ShardLoop} of both modes, over the {@link JournalLog} (sequencer and journal: one fsync
 * per batch) and the {@link LocalStore} (read models, and the index the {@link Projector} writes).
 * Nothing is answered before the fsync; a write that keeps failing halts the shard instead of
 * skipping or reordering anything.
 *
 * <p>Reads never go through the writer: balances and open holds come from the read models,
 * results, closed holds and history from the index on disk.
 */
public final class EmbeddedLedger implements Ledger {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedLedger.class);
    private static final int SHARD = 0;
    private static final long TURN_MS = 100;
    /** Hashing and checking a copy of millions of accounts takes seconds; this bounds the wait. */
    private static final long STATE_SUMMARY_WAIT_SECONDS = 300;
    private static final long STOP_WAIT_MS = 30_000;

    private final EmbeddedConfig config;
    private final Journal journal;
    private final LedgerIndex index;
    private final Snapshots snapshots;
    private final JournalLog commandLog;
    private final LocalStore store;
    private final Projector projector;
    private final Snapshotter snapshotter;
    private final ShardLoop loop;
    private final Thread writer;
    private volatile boolean closing;

    private EmbeddedLedger(EmbeddedConfig config, LedgerObserver observer, Journal journal, LedgerIndex index,
                           Snapshots snapshots, EmbeddedArchive archive, Engine engine) throws IOException {
        this.config = config;
        this.journal = journal;
        this.index = index;
        this.snapshots = snapshots;
        this.commandLog = new JournalLog(journal, config, engine.lastAtMicros());
        this.projector = new Projector(index, this::indexFailed);
        this.snapshotter = new Snapshotter(snapshots, index, seq -> projector.awaitIndexed(seq, Snapshotter.INDEX_WAIT_MS));
        List<Long> written = snapshots.seqs();
        this.store = new LocalStore(engine, archive, index, projector, snapshotter, config.snapshotEveryCommands(),
                written.isEmpty() ? 0 : written.get(0));
        this.loop = new ShardLoop(SHARD, commandLog, store, new RetryPolicy(config.writeRetries(), config.retryBackoffMs()),
                config.clockMicros(), observer, config.stallMs());
        this.loop.load();
        this.writer = new Thread(this::runWriter, "jango-writer-" + SHARD);
    }

    /**
     * Opens the data directory: checks the journal (a torn tail is dropped, corruption in the last
     * segment stops start-up), loads the newest good snapshot, replays the journal after it, and
     * catches the index up. Then starts the writer.
     */
    public static EmbeddedLedger open(EmbeddedConfig config, LedgerObserver observer) throws IOException {
        Files.createDirectories(config.dataDir());
        long started = System.nanoTime();
        Journal journal = Journal.open(config.dataDir().resolve("journal"), new JournalConfig(config.segmentBytes(), config.opener()));
        long journalOpened = System.nanoTime();
        // The index opens on a thread of its own (after a kill RocksDB replays its write-ahead log)
        // while this one reads the newest snapshot: each took most of a second of a restart at 100
        // million commands, which must be healthy within 10 s (issue 10).
        IndexOpening indexOpening = IndexOpening.start(config.dataDir());
        LedgerIndex index = null;
        try {
            Snapshots snapshots = new Snapshots(config.dataDir().resolve("snapshots"));
            snapshots.removeUnfinished(); // the journal's lock is ours: no other ledger writes here
            Engine preloaded = Recovery.preload(journal, snapshots, indexOpening::archive);
            long snapshotRead = System.nanoTime();
            index = indexOpening.await();
            EmbeddedArchive archive = indexOpening.archive();
            // snapshot_read_ms: until the snapshot was read and its engine made, which waits for the index.
            log.info("event=journal_and_index_opened journal_ms={} index_ms={} snapshot_read_ms={} journal_next_seq={} indexed_seq={}",
                    (journalOpened - started) / 1_000_000, indexOpening.millis(), (snapshotRead - journalOpened) / 1_000_000,
                    journal.nextSeq(), index.indexedSeq());
            Engine engine = Recovery.recover(journal, index, snapshots, archive, config.idFilterBytes(), preloaded);
            long idFilterFalsePositives = Recovery.checkIdFilter(engine);
            EmbeddedLedger ledger = new EmbeddedLedger(config, observer, journal, index, snapshots, archive, engine);
            ledger.snapshotter.idFilterMeasured(idFilterFalsePositives);
            ledger.projector.start();
            ledger.snapshotter.start();
            ledger.writer.start();
            return ledger;
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            } else {
                indexOpening.closeWhenOpen();
            }
            journal.close();
            throw e;
        }
    }

    /** The index being opened on a thread of its own, and the one archive over it; see {@link #open}. */
    private static final class IndexOpening {
        private final CompletableFuture<LedgerIndex> index = new CompletableFuture<>();
        private volatile long millis;
        private EmbeddedArchive archive;

        static IndexOpening start(Path dataDir) {
            IndexOpening opening = new IndexOpening();
            Thread opener = new Thread(() -> {
                long started = System.nanoTime();
                try {
                    LedgerIndex opened = openIndex(dataDir);
                    opening.millis = (System.nanoTime() - started) / 1_000_000; // before the waiter wakes
                    opening.index.complete(opened);
                } catch (IOException | RuntimeException e) {
                    opening.index.completeExceptionally(e);
                }
            }, "jango-index-open");
            opener.setDaemon(true);
            opener.start();
            return opening;
        }

        long millis() {
            return millis;
        }

        LedgerIndex await() throws IOException {
            try {
                return index.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString(), e.getCause());
            }
        }

        /** The archive over the index, made once, when the index is open (waits for it; the start's thread only). */
        EmbeddedArchive archive() {
            if (archive == null) {
                try {
                    archive = new EmbeddedArchive(await());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return archive;
        }

        /** When the start fails before taking the index: waits for it and closes it, if it opened. */
        void closeWhenOpen() {
            try {
                index.join().close();
            } catch (java.util.concurrent.CompletionException e) {
                // it did not open
            }
        }
    }

    /** The index, rebuilt from the journal when it was written by another version (it is only a projection). */
    private static LedgerIndex openIndex(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("index");
        Path older = dataDir.resolve("history");
        if (Files.isDirectory(older)) {
            log.info("event=index_rebuild reason=\"an index of an earlier version (history/) is replaced by index/\"");
            LedgerIndex.destroy(older);
        }
        try {
            return LedgerIndex.open(dir);
        } catch (LedgerIndex.WrongFormat e) {
            log.info("event=index_rebuild reason=\"{}\"", e.getMessage());
            LedgerIndex.destroy(dir);
            return LedgerIndex.open(dir);
        }
    }

    // ---- Ledger -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<List<Outcome>> submit(List<Command> commands) {
        return commandLog.submit(commands);
    }

    @Override
    public Map<String, Integer> assets() {
        return store.assetScales();
    }

    @Override
    public Result result(String commandId) {
        return indexed(() -> indexedResult(commandId));
    }

    /** One wait for the index however many ids are missing (a lookup of 10,000 unknown ids waited 10,000 times). */
    @Override
    public List<Result> results(List<String> commandIds) {
        List<Result> results = new ArrayList<>(commandIds.size());
        boolean missing = false;
        for (String id : commandIds) {
            Result result = indexedResult(id);
            results.add(result);
            missing |= result == null;
        }
        if (missing) {
            projector.awaitIndexed(store.appliedSeq(), config.historyWaitMs());
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) == null) {
                    results.set(i, indexedResult(commandIds.get(i)));
                }
            }
        }
        return results;
    }

    /** Only what the index holds already: a result not there yet is answered by the log itself. */
    @Override
    public StoredResult knownResult(String commandId) {
        return storedResult(commandId);
    }

    /** The result the index holds for the id, or null (one read: it was read twice, once to test and once to decode). */
    private Result indexedResult(String commandId) {
        StoredResult stored = storedResult(commandId);
        return stored == null ? null : stored.result();
    }

    private StoredResult storedResult(String commandId) {
        byte[] value = index.result(commandId);
        return value == null ? null : ArchiveRecords.decodeResult(value, 0, value.length);
    }

    @Override
    public List<BalanceView> balances(String owner, String asset) {
        return store.balances(owner, asset);
    }

    @Override
    public HoldView hold(String holdId) {
        HoldView open = store.openHold(holdId);
        if (open != null) {
            return open;
        }
        return indexed(() -> {
            byte[] value = index.hold(holdId);
            return value == null ? null : ArchiveRecords.decodeHold(holdId, value, 0, value.length);
        });
    }

    @Override
    public HistoryPage history(String owner, String asset, int limit, String cursor) {
        projector.awaitIndexed(store.appliedSeq(), config.historyWaitMs());
        return index.page(owner, asset, limit, cursor);
    }

    /**
     * Read-your-writes for what lives in the index: a first look, and when it misses, a second once
     * the index holds everything applied before this call (bounded wait).
     */
    private <T> T indexed(java.util.function.Supplier<T> read) {
        T found = read.get();
        if (found != null) {
            return found;
        }
        projector.awaitIndexed(store.appliedSeq(), config.historyWaitMs());
        return read.get();
    }

    @Override
    public AutoCloseable subscribe(ChangeSubscriber subscriber) {
        projector.subscribers().add(subscriber);
        return () -> projector.subscribers().remove(subscriber);
    }

    @Override
    public List<ShardStatus> shards() {
        return List.of(loop.status());
    }

    /** Measured at start and on each snapshot (every {@link EmbeddedConfig#snapshotEveryCommands} entries). */
    @Override
    public long idFilterFalsePositivesPerMillion() {
        return snapshotter.idFilterFalsePositives();
    }

    /**
     * Computed from a copy of the state taken on the writer thread after every batch submitted
     * before this call, so it is consistent with what callers were answered; the writer pauses only
     * for the copy.
     */
    @Override
    public StateSummary stateSummary() {
        CompletableFuture<Engine> copy = new CompletableFuture<>();
        commandLog.runOnWriter(() -> {
            Engine engine = loop.engine();
            if (engine == null) {
                copy.completeExceptionally(new IllegalStateException("the shard's state is not loaded"));
            } else {
                copy.complete(engine.copy());
            }
        });
        try {
            Engine taken = copy.get(STATE_SUMMARY_WAIT_SECONDS, TimeUnit.SECONDS);
            return snapshotter.summary(taken).get(STATE_SUMMARY_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "interrupted", 1);
        } catch (ExecutionException | TimeoutException e) {
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "state summary failed: " + e, 5);
        }
    }

    /** The index writer failed (its own thread): the writer halts the shard at its next turn. */
    private void indexFailed(String reason) {
        loop.requestHalt(reason);
    }

    /**
     * Stops within a bounded time: no new commands; what was admitted is written and answered; the
     * index catches up; a last snapshot makes the next start quick.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        commandLog.close();
        join(writer);
        commandLog.failQueued(new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1));
        projector.stop(STOP_WAIT_MS);
        snapshotter.stop(STOP_WAIT_MS);
        Engine engine = loop.engine();
        try {
            List<Long> written = snapshots.seqs();
            long newest = written.isEmpty() ? 0 : written.get(0);
            if (engine != null && !writer.isAlive() && loop.haltReason() == null && engine.lastSeq() > newest
                    && index.indexedSeq() >= engine.lastSeq()) {
                index.sync();
                snapshots.write(engine);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("event=snapshot_on_close_failed error=\"{}\"", e.toString());
        }
        index.close();
        journal.close();
        log.info("event=ledger_closed seq={}", loop.appliedSeq());
    }

    private static void join(Thread thread) {
        try {
            thread.join(STOP_WAIT_MS);
            if (thread.isAlive()) {
                log.warn("event=stop_timeout thread={} waited_ms={}", thread.getName(), STOP_WAIT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the writer ---------------------------------------------------------------------------

    private void runWriter() {
        try {
            while (!(closing && commandLog.drained()) && !(closing && loop.haltReason() != null)) {
                loop.turn(TURN_MS);
            }
            loop.haltIfRequested(); // the index failed while closing: callers still waiting are told
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("event=writer_failed seq={}", loop.appliedSeq(), e);
            loop.halt("writer failed: " + e);
        }
    }
}
