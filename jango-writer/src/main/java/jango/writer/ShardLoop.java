package jango.writer;

import jango.engine.Applied;
import jango.engine.Engine;
import jango.engine.port.LedgerObserver;
import jango.engine.port.ShardStatus;
import jango.engine.port.TransfersInFlight;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The writer of one shard, the same in both modes: take the next durable entries of the log,
 * apply them with the engine, commit what they did to the store, answer. One thread turns it;
 * nothing is answered before the log made the entries durable and the store took their effects.
 *
 * <p>Failures of the log or the store are retried per the {@link RetryPolicy}, then the shard
 * halts: nothing after the failed batch is applied, callers get 503 with the reason, and it stays
 * so until an operator resumes it ({@link #resume}) or restarts the process. A failure while
 * applying (an invariant broke) halts at once: the engine can no longer be trusted. A writer that
 * has work waiting and makes no progress for {@code stallMs} reports itself stalled.
 */
public final class ShardLoop {
    private static final Logger log = LoggerFactory.getLogger(ShardLoop.class);

    private final int shard;
    private final CommandLog commandLog;
    private final StateStore store;
    private final RetryPolicy retry;
    private final LongSupplier clockMicros;
    private final LedgerObserver observer;
    private final long stallNanos;
    private final LogBatch batch = new LogBatch();

    private Engine engine;
    private int failures;
    private long retryAtNanos;
    private volatile String haltReason;
    private final AtomicReference<String> haltRequested = new AtomicReference<>();
    private volatile String lostOwnership;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile long appliedSeq;
    private volatile TransfersInFlight inFlight = TransfersInFlight.NONE;

    /**
     * @param clockMicros the time ticks are stamped with (hold expiries); injectable for tests and a
     *                    simulator, and never applied to state except through the log
     */
    public ShardLoop(int shard, CommandLog commandLog, StateStore store, RetryPolicy retry, LongSupplier clockMicros,
                     LedgerObserver observer, long stallMs) {
        this.shard = shard;
        this.commandLog = commandLog;
        this.store = store;
        this.retry = retry;
        this.clockMicros = clockMicros;
        this.observer = observer;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
    }

    /** Loads the shard's state from the store; before the first turn. */
    public void load() throws IOException {
        StateStore.Loaded loaded = store.load();
        engine = loaded.engine();
        appliedSeq = engine.lastSeq();
        inFlight = engine.view().transfersInFlight();
    }

    public int shard() {
        return shard;
    }

    /** The engine, for work on the writer thread between turns (snapshots, summaries); null while it reloads. */
    public Engine engine() {
        return engine;
    }

    public long appliedSeq() {
        return appliedSeq;
    }

    /** Transfers between shards in flight here as of the last commit; any thread. */
    public TransfersInFlight transfersInFlight() {
        return inFlight;
    }

    /** Why the shard halted, or why another thread asked it to (until the writer carries that out); null if up. */
    public String haltReason() {
        String halted = haltReason;
        return halted != null ? halted : haltRequested.get();
    }

    /** Why this writer no longer owns the shard (another took it over), or null: the driver drops it. */
    public String lostOwnership() {
        return lostOwnership;
    }

    /**
     * One turn: applies the next batch, or waits at most {@code timeoutMs} for one. A halted shard
     * does nothing.
     */
    public void turn(long timeoutMs) throws InterruptedException {
        haltIfRequested();
        if (haltReason != null || lostOwnership != null) {
            TimeUnit.MILLISECONDS.sleep(Math.min(timeoutMs, 100));
            lastProgressNanos = System.nanoTime();
            return;
        }
        long waitNanos = retryAtNanos - System.nanoTime();
        if (waitNanos > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(Math.max(1, timeoutMs))));
            return;
        }
        if (engine == null && !reload()) {
            return;
        }
        long now = Math.max(clockMicros.getAsLong(), engine.lastAtMicros());
        if (engine.nextExpiryMicros() <= now) {
            commandLog.tick(now);
        }
        try {
            commandLog.next(batch, timeoutMs);
        } catch (CommandLog.Corrupt | StateStore.Defect e) {
            halt(e.getMessage());
            return;
        } catch (IOException e) {
            failed(e.getMessage(), e);
            return;
        } catch (RuntimeException e) {
            // Not an outage but a defect (an entry or a stored row this code cannot read): retrying
            // meets it again. This shard halts; the thread, and other shards it turns, go on.
            log.error("event=log_read_failed shard={} seq={}", shard, appliedSeq, e);
            halt("reading the log after seq " + appliedSeq + " failed: " + e);
            return;
        }
        if (batch.isEmpty()) {
            lastProgressNanos = System.nanoTime();
            return;
        }
        if (batch.firstSeq() >= 0 && batch.firstSeq() != engine.lastSeq() + 1) {
            halt("the log numbers its next entry " + batch.firstSeq() + " but the state is at seq " + engine.lastSeq());
            return;
        }
        long applyStarted = System.nanoTime();
        try {
            apply();
        } catch (RuntimeException | Error e) {
            // An invariant broke or an entry could not be applied: the state can no longer be trusted.
            log.error("event=apply_failed shard={} seq={}", shard, engine.lastSeq(), e);
            engine = null;
            halt("applying the entries after seq " + appliedSeq + " failed: " + e);
            return;
        }
        long committing = System.nanoTime();
        try {
            store.commit(batch);
        } catch (StateStore.LostOwnership e) {
            lost(e);
            return;
        } catch (StateStore.Defect e) {
            engine = null;
            halt(e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            observer.writeFailed(shard, e.toString());
            engine = null; // ahead of the store: it is reloaded from what the store holds
            failed("committing the entries after seq " + appliedSeq + " failed: " + e.getMessage(), e);
            return;
        }
        long committed = System.nanoTime();
        failures = 0;
        appliedSeq = engine.lastSeq();
        inFlight = engine.view().transfersInFlight();
        commandLog.answer(batch);
        lastProgressNanos = System.nanoTime();
        observer.batchWritten(shard, batch.size(), batch.appendedBytes(), batch.appendNanos() + (committed - committing),
                committing - applyStarted);
    }

    private void apply() {
        int lookedAheadTo = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (i >= lookedAheadTo) {
                lookedAheadTo = Math.min(batch.size(), i + Engine.LOOK_AHEAD);
                engine.lookAhead(batch.commands(), i, lookedAheadTo);
            }
            long atMicros = Math.max(batch.atMicros(i), engine.lastAtMicros());
            engine.execute(engine.lastSeq() + 1, atMicros, batch.command(i), batch.bytes(i), batch.offset(i), batch.length(i));
            Applied applied = engine.applied();
            store.applied(applied);
            commandLog.applied(batch, i, applied);
        }
        commandLog.batchApplied(batch);
    }

    /** The store's committed state, and the log moved back to it; false when that failed too. */
    private boolean reload() {
        try {
            StateStore.Loaded loaded = store.load();
            engine = loaded.engine();
            appliedSeq = engine.lastSeq();
            if (loaded.haltedReason() != null) {
                // Halted by an earlier owner (the shard moved): it stays halted until an operator resumes it.
                engine = null;
                halt(loaded.haltedReason(), false);
                return false;
            }
            commandLog.rewind(loaded.position());
            log.info("event=shard_reloaded shard={} seq={} position={}", shard, appliedSeq, loaded.position());
            return true;
        } catch (StateStore.LostOwnership e) {
            lost(e);
            return false;
        } catch (StateStore.Defect e) {
            halt(e.getMessage());
            return false;
        } catch (UnsupportedOperationException e) {
            halt("the state cannot be reloaded after a failed commit (" + e.getMessage() + "): restart to recover from the log");
            return false;
        } catch (IOException | RuntimeException e) {
            failed("loading the shard's state failed: " + e.getMessage(), e);
            return false;
        }
    }

    private void lost(StateStore.LostOwnership e) {
        engine = null;
        lostOwnership = e.getMessage();
        log.warn("event=fenced shard={} seq={} detail=\"{}\"", shard, appliedSeq, e.getMessage());
    }

    /** Counts a failure: backs off, or halts once the retries are spent. */
    private void failed(String reason, Throwable cause) {
        failures++;
        observer.writeFailed(shard, reason);
        if (retry.spent(failures)) {
            halt(reason + " (" + retry.retries() + " retries spent)");
            return;
        }
        long backoffMs = retry.backoffMs(failures);
        retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        log.warn("event=shard_retry shard={} attempt={} backoff_ms={} reason=\"{}\"", shard, failures, backoffMs, reason, cause);
    }

    /**
     * {@link #halt} from another thread (an index writer that failed): the writer halts at the start
     * of its next turn, within one turn's timeout or as soon as what it is doing fails. Halting
     * walks the log's and the store's writer-only state (the submissions waiting for an answer), so
     * only the writer thread may do it; /health reports the reason at once.
     */
    public void requestHalt(String reason) {
        haltRequested.compareAndSet(null, reason);
    }

    /** Writer thread: carries out a halt another thread asked for ({@link #requestHalt}), if any. */
    public void haltIfRequested() {
        String requested = haltRequested.get(); // cleared by resume, so the shard never looks up in between
        if (requested != null) {
            halt(requested);
        }
    }

    /** Stops applying: callers are told why, and nothing is skipped. Writer thread only ({@link #requestHalt} from others). */
    public void halt(String reason) {
        halt(reason, true);
    }

    /** {@code record}: false for a halt the store already holds (writing it again could undo an operator's resume). */
    private void halt(String reason, boolean record) {
        if (haltReason != null) {
            return;
        }
        haltReason = reason;
        log.error("event=shard_halted shard={} seq={} reason=\"{}\"", shard, appliedSeq, reason);
        commandLog.halted(reason);
        if (record) {
            store.halted(reason);
        }
    }

    /** An operator's resume: the state is reloaded from the store and the log read on from there. */
    public void resume() {
        if (haltReason == null) {
            return;
        }
        log.info("event=shard_resumed shard={}", shard);
        haltRequested.set(null);
        failures = 0;
        retryAtNanos = 0;
        engine = null;
        haltReason = null;
    }

    /** Up, halted (and why), or stalled: work waiting and no progress for longer than the stall limit. */
    public ShardStatus status() {
        String halted = haltReason();
        if (halted != null) {
            return new ShardStatus(shard, false, halted, appliedSeq);
        }
        long silentNanos = System.nanoTime() - lastProgressNanos;
        if (silentNanos > stallNanos && commandLog.hasWaitingWork()) {
            return new ShardStatus(shard, false, ShardStatus.STALLED_PREFIX + "work is waiting and the writer made no progress for "
                    + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms (at seq " + appliedSeq + ")", appliedSeq);
        }
        return new ShardStatus(shard, true, null, appliedSeq);
    }
}
