package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.engine.Applied;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.writer.LogBatch;
import jango.writer.StateStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Embedded mode's {@link StateStore}. The journal already made each batch durable, so a commit
 * here makes its effects visible: the read models (balances, open holds) that other threads serve,
 * and a chunk of history, results and closed holds handed to the {@link Projector} for the index.
 * Every snapshot interval it hands a copy of the engine to the {@link Snapshotter}.
 *
 * <p>The read models are bounded like the engine: one entry per account and per open hold. A hold
 * that closes leaves the open-holds model only after {@link #appliedSeq()} moved past it, so a
 * reader that misses it there finds it in the index once that reached the applied seq.
 */
final class LocalStore implements StateStore {
    private final Engine engine;
    private final EmbeddedArchive archive;
    private final LedgerIndex index;
    private final Projector projector;
    private final Snapshotter snapshotter;
    private final long snapshotEveryEntries;
    private boolean loaded;
    private long lastSnapshotSeq;

    private final Map<String, ConcurrentSkipListMap<String, BalanceView>> balances = new ConcurrentHashMap<>();
    private final Map<String, HoldView> openHolds = new ConcurrentHashMap<>();
    private List<BalanceChange> changes = new ArrayList<>();
    private final List<String> closedHolds = new ArrayList<>();
    private volatile long appliedSeq;

    LocalStore(Engine engine, EmbeddedArchive archive, LedgerIndex index, Projector projector, Snapshotter snapshotter,
               long snapshotEveryEntries, long lastSnapshotSeq) {
        this.engine = engine;
        this.archive = archive;
        this.index = index;
        this.projector = projector;
        this.snapshotter = snapshotter;
        this.snapshotEveryEntries = snapshotEveryEntries;
        this.lastSnapshotSeq = lastSnapshotSeq;
        this.appliedSeq = engine.lastSeq();
        engine.view().forEachBalance(this::publish);
        engine.view().forEachOpenHold(hold -> openHolds.put(hold.holdId(), hold));
    }

    @Override
    public Loaded load() {
        if (loaded) {
            throw new UnsupportedOperationException("embedded state is rebuilt from the journal at start-up, not reloaded");
        }
        loaded = true;
        return new Loaded(engine, engine.lastSeq());
    }

    @Override
    public void applied(Applied applied) {
        for (int i = 0; i < applied.balanceCount(); i++) {
            if (applied.changed(i)) {
                BalanceChange change = applied.change(i);
                changes.add(change);
                publish(new BalanceView(change.account(), change.asset(), change.available(), change.held(), change.revision()));
            }
        }
        for (int i = 0; i < applied.holdCount(); i++) {
            if (applied.holdClosed(i)) {
                closedHolds.add(applied.holdId(i));
            } else {
                openHolds.put(applied.holdId(i), applied.hold(i));
            }
        }
    }

    @Override
    public void commit(LogBatch batch) throws IOException {
        archive.evict(index.indexedSeq());
        LedgerIndex.Chunk chunk = archive.seal(changes, batch.endPosition());
        changes = new ArrayList<>();
        projector.hand(chunk, batch.size());
        appliedSeq = engine.lastSeq();
        for (String holdId : closedHolds) {
            openHolds.remove(holdId);
        }
        closedHolds.clear();
        // While a snapshot is still being written none is copied; the next commit asks again.
        if (engine.lastSeq() - lastSnapshotSeq >= snapshotEveryEntries && !snapshotter.busy()
                && snapshotter.offer(engine.copy())) {
            lastSnapshotSeq = engine.lastSeq(); // only when taken: a refused one is asked again at the next commit
        }
    }

    private void publish(BalanceView view) {
        balances.computeIfAbsent(view.account(), owner -> new ConcurrentSkipListMap<>()).put(view.asset(), view);
    }

    /** Asset code -> scale; any thread. */
    Map<String, Integer> assetScales() {
        return engine.assetScales();
    }

    /** The seq every read model includes; any thread. */
    long appliedSeq() {
        return appliedSeq;
    }

    List<BalanceView> balances(String owner, String asset) {
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

    HoldView openHold(String holdId) {
        return openHolds.get(holdId);
    }
}
