package jango.embedded;

import jango.embedded.history.HistoryIndex;
import jango.embedded.journal.Journal;
import jango.embedded.journal.JournalConfig;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerObserver;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.LedgerUnavailableException.Code;
import jango.engine.port.ShardStatus;
import jango.engine.port.StateSummary;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embedded mode: one process, one shard, the journal on local disk. The hot loop is
 * {@link #runWriter}: drain whatever is waiting into one batch, append it to the journal with one
 * fsync, apply it with the engine, answer every waiting caller. Nothing is answered before the
 * fsync; a write that keeps failing halts the shard instead of skipping or reordering anything.
 *
 * <p>Reads never go through the writer: balances and holds are served from a read model the
 * engine's events keep current, results from the engine's concurrent result table, history from
 * the index the projector thread feeds.
 */
public final class EmbeddedLedger implements Ledger {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedLedger.class);
    private static final int SHARD = 0;
    private static final long IDLE_POLL_MS = 100;
    private static final int HALTED_RETRY_AFTER_S = 5;
    private static final int PROJECTOR_QUEUE_CHUNKS = 256;
    /** Hashing and checking millions of stored results takes seconds; this bounds the wait. */
    private static final long STATE_SUMMARY_WAIT_SECONDS = 300;
    /** Commands the snapshotter's shadow engine may lag behind before the writer waits for it. */
    private static final long SNAPSHOTTER_MAX_QUEUED_COMMANDS = 4_000_000;

    private sealed interface Work permits Submission, Task {
    }

    private record Submission(List<Command> commands, CompletableFuture<List<Outcome>> future) implements Work {
    }

    /** Runs on the writer thread between batches, where the engine may be read. */
    private record Task(Runnable action) implements Work {
    }

    private record IndexChunk(List<BalanceChange> changes, long upToSeq) {
    }

    private final EmbeddedConfig config;
    private final LedgerObserver observer;
    private final Journal journal;
    private final HistoryIndex index;
    private final Snapshots snapshots;
    private final Snapshotter snapshotter;
    private final Engine engine;

    private final Map<String, ConcurrentSkipListMap<String, BalanceView>> balances = new ConcurrentHashMap<>();
    private final Map<String, HoldView> holds = new ConcurrentHashMap<>();

    private final java.util.List<jango.engine.port.ChangeSubscriber> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final BlockingQueue<Work> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger pendingCommands = new AtomicInteger();
    private final BlockingQueue<IndexChunk> projectorQueue = new ArrayBlockingQueue<>(PROJECTOR_QUEUE_CHUNKS);
    private final Object indexProgress = new Object();
    private final Thread writer;
    private final Thread projector;

    private volatile String haltReason;
    private volatile boolean closing;
    private volatile boolean writerDone;
    private volatile long appliedSeq;

    // Writer-thread state, reused across batches.
    private final ByteWriter payload = new ByteWriter(1 << 20);
    private final ArrayList<Submission> batch = new ArrayList<>();
    private final ArrayList<Command> entries = new ArrayList<>();
    private final ArrayList<Outcome> outcomes = new ArrayList<>();
    /** Where each entry's bytes end in {@link #payload}: one tick plus a full batch. */
    private final int[] entryEnds;
    private List<BalanceChange> changes = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void balanceChanged(BalanceChange change) {
            publish(change);
            changes.add(change);
        }

        @Override
        public void holdChanged(HoldView hold) {
            holds.put(hold.holdId(), hold);
        }
    };

    private EmbeddedLedger(EmbeddedConfig config, LedgerObserver observer, Journal journal, HistoryIndex index,
                           Snapshots snapshots, Engine engine, Engine shadow) {
        this.config = config;
        this.observer = observer;
        this.journal = journal;
        this.index = index;
        this.snapshots = snapshots;
        this.engine = engine;
        this.appliedSeq = engine.lastSeq();
        this.entryEnds = new int[config.maxBatchCommands() + 1];
        this.snapshotter = new Snapshotter(shadow, snapshots, index, seq -> awaitIndexed(seq, Snapshotter.INDEX_WAIT_MS),
                config.snapshotEveryCommands(), SNAPSHOTTER_MAX_QUEUED_COMMANDS);
        engine.forEachBalance(this::publish);
        engine.forEachHold(h -> holds.put(h.holdId(), h));
        this.writer = new Thread(this::runWriter, "jango-writer-" + SHARD);
        this.projector = new Thread(this::runProjector, "jango-history-" + SHARD);
    }

    /**
     * Opens the data directory: checks the journal (a torn tail is dropped, corruption elsewhere
     * stops start-up), loads the newest good snapshot, replays the journal after it, and catches
     * the history index up. Then starts the writer.
     */
    public static EmbeddedLedger open(EmbeddedConfig config, LedgerObserver observer) throws IOException {
        Files.createDirectories(config.dataDir());
        Journal journal = Journal.open(config.dataDir().resolve("journal"), new JournalConfig(config.segmentBytes(), config.opener()));
        HistoryIndex index = null;
        try {
            index = HistoryIndex.open(config.dataDir().resolve("history"));
            Snapshots snapshots = new Snapshots(config.dataDir().resolve("snapshots"));
            Engine engine = Recovery.recover(journal, index, snapshots);
            Engine shadow = Recovery.shadow(journal, snapshots);
            EmbeddedLedger ledger = new EmbeddedLedger(config, observer, journal, index, snapshots, engine, shadow);
            ledger.writer.start();
            ledger.projector.start();
            ledger.snapshotter.start();
            return ledger;
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            journal.close();
            throw e;
        }
    }

    // ---- Ledger -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<List<Outcome>> submit(List<Command> commands) {
        String halted = haltReason;
        if (halted != null) {
            return CompletableFuture.failedFuture(halted(halted));
        }
        if (closing) {
            return CompletableFuture.failedFuture(new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1));
        }
        int size = commands.size();
        if (pendingCommands.addAndGet(size) > config.maxPendingCommands()) {
            pendingCommands.addAndGet(-size);
            return CompletableFuture.failedFuture(new LedgerUnavailableException(Code.UNAVAILABLE,
                    "more than " + config.maxPendingCommands() + " commands are waiting to be written", 1));
        }
        CompletableFuture<List<Outcome>> future = new CompletableFuture<>();
        queue.add(new Submission(List.copyOf(commands), future));
        return future;
    }

    @Override
    public Map<String, Integer> assets() {
        return engine.assetScales();
    }

    @Override
    public Result result(String commandId) {
        Engine.StoredResult stored = engine.storedResult(commandId);
        return stored == null ? null : stored.result();
    }

    @Override
    public boolean sameBody(String commandId, Command command) {
        Engine.StoredResult stored = engine.storedResult(commandId);
        return stored != null && Arrays.equals(stored.fingerprint(), CommandCodec.encode(command));
    }

    @Override
    public List<BalanceView> balances(String owner, String asset) {
        ConcurrentSkipListMap<String, BalanceView> byAsset = balances.get(owner);
        if (byAsset == null) {
            return List.of();
        }
        if (asset != null) {
            BalanceView one = byAsset.get(asset);
            return one == null ? List.of() : List.of(one);
        }
        return List.copyOf(byAsset.values());
    }

    @Override
    public HoldView hold(String holdId) {
        return holds.get(holdId);
    }

    @Override
    public HistoryPage history(String owner, String asset, int limit, String cursor) {
        awaitIndexed(appliedSeq, config.historyWaitMs());
        return index.page(owner, asset, limit, cursor);
    }

    @Override
    public AutoCloseable subscribe(jango.engine.port.ChangeSubscriber subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    @Override
    public List<ShardStatus> shards() {
        return List.of(new ShardStatus(SHARD, haltReason == null, haltReason, appliedSeq));
    }

    /**
     * Computed on the snapshotter's shadow engine after every batch applied before this call, so
     * it is consistent with what callers were answered and the writer never pauses for it.
     */
    @Override
    public StateSummary stateSummary() {
        CompletableFuture<Void> applied = new CompletableFuture<>();
        // A writer task runs after every batch submitted before it, and hands them to the shadow first.
        queue.add(new Task(() -> applied.complete(null)));
        try {
            applied.get(STATE_SUMMARY_WAIT_SECONDS, TimeUnit.SECONDS);
            return snapshotter.summary().get(STATE_SUMMARY_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "interrupted", 1);
        } catch (ExecutionException | TimeoutException e) {
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "state summary failed: " + e, 5);
        }
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        join(writer);
        join(projector);
        snapshotter.stop();
        try {
            List<Long> written = snapshots.seqs();
            long newest = written.isEmpty() ? 0 : written.get(0);
            if (haltReason == null && engine.lastSeq() > newest) {
                index.sync();
                snapshots.write(engine);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("event=snapshot_on_close_failed error=\"{}\"", e.toString());
        }
        index.close();
        journal.close();
        log.info("event=ledger_closed seq={}", engine.lastSeq());
    }

    private static void join(Thread thread) {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the writer ---------------------------------------------------------------------------

    private void runWriter() {
        try {
            while (true) {
                Work first = queue.poll(pollMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) {
                        break;
                    }
                    if (haltReason == null && engine.nextExpiryMicros() <= now()) {
                        try {
                            writeAndApply();
                        } catch (RuntimeException e) {
                            log.error("event=writer_failed seq={}", engine.lastSeq(), e);
                            halt("writer failed at seq " + engine.lastSeq() + ": " + e);
                        }
                    }
                    continue;
                }
                if (first instanceof Task task) {
                    task.action().run();
                    continue;
                }
                Submission submission = (Submission) first;
                pendingCommands.addAndGet(-submission.commands().size());
                if (haltReason != null) {
                    submission.future().completeExceptionally(halted(haltReason));
                    continue;
                }
                batch.add(submission);
                drainInto(submission.commands().size());
                try {
                    writeAndApply();
                } catch (RuntimeException e) {
                    // An invariant broke or the engine failed mid-batch: its state can no longer be
                    // trusted, so nothing more is applied. The journal is intact; an operator decides.
                    log.error("event=writer_failed seq={}", engine.lastSeq(), e);
                    halt("writer failed at seq " + engine.lastSeq() + ": " + e);
                    failBatch(halted(haltReason));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Error e) {
            halt("writer failed: " + e);
            log.error("event=writer_failed", e);
            failBatch(halted(haltReason));
        } finally {
            writerDone = true;
            failQueued();
        }
    }

    /** Adds waiting submissions to the batch while they fit in one journal record. */
    private void drainInto(int commandCount) {
        int total = commandCount;
        while (true) {
            Work next = queue.peek();
            if (!(next instanceof Submission submission) || total + submission.commands().size() > config.maxBatchCommands()) {
                return;
            }
            queue.poll();
            pendingCommands.addAndGet(-submission.commands().size());
            batch.add(submission);
            total += submission.commands().size();
        }
    }

    private long pollMillis() {
        long untilExpiryMicros = engine.nextExpiryMicros() - now();
        if (untilExpiryMicros <= 0) {
            return 0;
        }
        return Math.min(IDLE_POLL_MS, Math.max(1, untilExpiryMicros / 1_000));
    }

    private long now() {
        return Math.max(config.clockMicros().getAsLong(), engine.lastAtMicros());
    }

    private void writeAndApply() {
        long atMicros = now();
        entries.clear();
        if (engine.nextExpiryMicros() <= atMicros) {
            entries.add(new Command.Tick());
        }
        for (Submission submission : batch) {
            entries.addAll(submission.commands());
        }
        long firstSeq = engine.lastSeq() + 1;
        payload.reset();
        BatchCodec.encode(atMicros, entries, payload, entryEnds);

        long writeStart = System.nanoTime();
        if (!appendWithRetries(firstSeq)) {
            failBatch(halted(haltReason));
            return;
        }
        long applyStart = System.nanoTime();
        outcomes.clear();
        byte[][] fingerprints = new byte[entries.size()][];
        int start = BatchCodec.FIRST_COMMAND_OFFSET;
        for (int i = 0; i < entries.size(); i++) {
            Command entry = entries.get(i);
            if (entry.id() != null) {
                fingerprints[i] = Arrays.copyOfRange(payload.array(), start, entryEnds[i]);
            }
            start = entryEnds[i];
            outcomes.add(engine.apply(firstSeq + i, atMicros, entry, fingerprints[i], listener));
        }
        appliedSeq = engine.lastSeq();
        hand(new IndexChunk(changes, appliedSeq));
        changes = new ArrayList<>();
        long applyNanos = System.nanoTime() - applyStart;
        answer();
        snapshotter.offer(firstSeq, atMicros, List.copyOf(entries), fingerprints);
        observer.batchWritten(SHARD, entries.size(), payload.size(), applyStart - writeStart, applyNanos);
    }

    /** Appends the encoded batch; on failure retries a bounded number of times, then halts. */
    private boolean appendWithRetries(long firstSeq) {
        long backoffMs = config.retryBackoffMs();
        for (int attempt = 0; ; attempt++) {
            try {
                journal.append(firstSeq, entries.size(), payload.array(), 0, payload.size());
                return true;
            } catch (IOException | RuntimeException e) {
                observer.writeFailed(SHARD, e.toString());
                log.warn("event=journal_write_failed seq={} attempt={} error=\"{}\"", firstSeq, attempt + 1, e.toString());
                if (attempt >= config.writeRetries()) {
                    halt("journal write failed " + (attempt + 1) + " times at seq " + firstSeq + ": " + e.getMessage());
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
                backoffMs *= 2;
            }
        }
    }

    private void answer() {
        int offset = entries.size() - countCommands();
        for (Submission submission : batch) {
            int size = submission.commands().size();
            submission.future().complete(List.copyOf(outcomes.subList(offset, offset + size)));
            offset += size;
        }
        batch.clear();
    }

    private int countCommands() {
        int count = 0;
        for (Submission submission : batch) {
            count += submission.commands().size();
        }
        return count;
    }

    private void failBatch(RuntimeException error) {
        for (Submission submission : batch) {
            submission.future().completeExceptionally(error);
        }
        batch.clear();
    }

    private void failQueued() {
        Work work;
        RuntimeException error = haltReason != null ? halted(haltReason)
                : new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1);
        while ((work = queue.poll()) != null) {
            if (work instanceof Submission submission) {
                pendingCommands.addAndGet(-submission.commands().size());
                submission.future().completeExceptionally(error);
            } else {
                ((Task) work).action().run();
            }
        }
    }

    private void halt(String reason) {
        if (haltReason == null) {
            haltReason = reason;
            log.error("event=shard_halted shard={} reason=\"{}\"", SHARD, reason);
        }
    }

    private static LedgerUnavailableException halted(String reason) {
        return new LedgerUnavailableException(Code.SHARD_HALTED, "shard " + SHARD + " halted: " + reason, HALTED_RETRY_AFTER_S);
    }

    private void publish(BalanceView view) {
        balances.computeIfAbsent(view.account(), o -> new ConcurrentSkipListMap<>()).put(view.asset(), view);
    }

    private void publish(BalanceChange change) {
        publish(new BalanceView(change.account(), change.asset(), change.available(), change.held(), change.revision()));
    }

    // ---- the history projector ----------------------------------------------------------------

    private void hand(IndexChunk chunk) {
        try {
            while (!projectorQueue.offer(chunk, 1, TimeUnit.SECONDS)) {
                if (!projector.isAlive()) {
                    throw new IllegalStateException("history projector stopped");
                }
                log.warn("event=history_backpressure seq={}", chunk.upToSeq());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while handing events to the history index", e);
        }
    }

    private void runProjector() {
        List<BalanceChange> merged = new ArrayList<>();
        try {
            while (true) {
                IndexChunk chunk = projectorQueue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    if (writerDone && projectorQueue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                // Several small batches become one index write.
                merged.clear();
                merged.addAll(chunk.changes());
                long upTo = chunk.upToSeq();
                IndexChunk more;
                while (merged.size() < 50_000 && (more = projectorQueue.poll()) != null) {
                    merged.addAll(more.changes());
                    upTo = more.upToSeq();
                }
                index.append(merged, upTo);
                synchronized (indexProgress) {
                    indexProgress.notifyAll();
                }
                publishToSubscribers(merged);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            halt("history index write failed: " + e);
            log.error("event=history_failed", e);
        }
    }

    /** After the index write, so a subscriber that resumes from history misses nothing. */
    private void publishToSubscribers(List<BalanceChange> merged) {
        if (subscribers.isEmpty() || merged.isEmpty()) {
            return;
        }
        List<BalanceChange> published = List.copyOf(merged);
        for (jango.engine.port.ChangeSubscriber subscriber : subscribers) {
            try {
                subscriber.changes(published);
            } catch (RuntimeException e) {
                log.warn("event=subscriber_failed error=\"{}\"", e.toString());
            }
        }
    }

    /** Waits, at most {@code timeoutMs}, until the history index holds every change up to {@code seq}. */
    private void awaitIndexed(long seq, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (indexProgress) {
            while (index.indexedSeq() < seq) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0 || !projector.isAlive()) {
                    throw new LedgerUnavailableException(Code.UNAVAILABLE,
                            "history index is at seq " + index.indexedSeq() + ", behind " + seq, 1);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(indexProgress, leftNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LedgerUnavailableException(Code.UNAVAILABLE, "interrupted", 1);
                }
            }
        }
    }
}
