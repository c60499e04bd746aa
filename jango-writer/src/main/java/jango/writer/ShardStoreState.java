package jango.writer;

import jango.engine.Applied;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.CrossShardRecord;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.port.ShardStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Distributed mode's {@link StateStore}: a shard's state in a {@link ShardStore}, taken with an
 * epoch that fences any earlier owner. Each batch's effects (the final state of each touched
 * account and hold, results, history, the messages to publish, the assets its log registered) and
 * the log position after it are committed in ONE transaction, so state and position never disagree.
 */
public final class ShardStoreState implements StateStore {
    private final ShardStore store;
    private final int shard;
    private final String owner;
    private final StoreArchive archive;
    private final ChangeRows changeRows = new ChangeRows();
    private long epoch = -1;
    private Engine engine;

    private final Map<String, BalanceView> balances = new LinkedHashMap<>();
    private final Map<String, HoldView> holds = new LinkedHashMap<>();
    private final List<BalanceChange> history = new ArrayList<>();
    private final List<ShardStore.OutboxMessage> outbox = new ArrayList<>();
    private final Map<String, Integer> assets = new LinkedHashMap<>();
    /** Records of transfers between shards, the last state of each in the batch. */
    private final Map<String, CrossShardRecord> crossShard = new LinkedHashMap<>();
    private volatile boolean haltRecorded;

    /** @param owner who takes the shard (the instance id, written in the store for operators) */
    public ShardStoreState(ShardStore store, int shard, String owner) {
        this.store = store;
        this.shard = shard;
        this.owner = owner;
        this.archive = new StoreArchive(store);
    }

    public StoreArchive archive() {
        return archive;
    }

    public long epoch() {
        return epoch;
    }

    /** The first load takes the shard (a new epoch); later ones reload under the epoch held. */
    @Override
    public Loaded load() throws IOException {
        clear();
        try {
            ShardStore.LoadedShard loaded = epoch < 0 ? store.acquire(shard, owner, archive) : store.reload(shard, epoch, archive);
            epoch = loaded.epoch();
            engine = loaded.engine();
            if (loaded.haltedReason() != null) {
                haltRecorded = true; // an operator's resume clears it in the store, which resumes this owner
            }
            return new Loaded(engine, loaded.nextOffset(), loaded.haltedReason());
        } catch (ShardStore.Fenced e) {
            throw new LostOwnership(e.getMessage());
        } catch (ShardStore.Unavailable e) {
            throw new IOException(e.getMessage(), e);
        } catch (ShardStore.Defect e) {
            throw new Defect(e.getMessage(), e);
        }
    }

    @Override
    public void applied(Applied applied) {
        for (int i = 0; i < applied.balanceCount(); i++) {
            if (applied.changed(i)) {
                BalanceChange change = applied.change(i);
                if (applied.historic(i)) {
                    history.add(change);
                }
                balances.put(change.account() + '\u0000' + change.asset(),
                        new BalanceView(change.account(), change.asset(), change.available(), change.held(), change.revision()));
            }
        }
        for (int i = 0; i < applied.holdCount(); i++) {
            holds.put(applied.holdId(i), applied.hold(i));
        }
        if (applied.kind() == Outcome.Kind.ASSET_CREATED) {
            assets.put(applied.assetCode(), applied.registeredScale());
        }
        for (int i = 0; i < applied.recordCount(); i++) {
            CrossShardRecord record = applied.record(i);
            crossShard.put(record.kind() + record.key(), record);
        }
    }

    /** A message for the outbox relay, committed with the batch that made it. */
    public void publish(ShardStore.OutboxMessage message) {
        outbox.add(message);
    }

    @Override
    public void commit(LogBatch batch) throws IOException {
        try {
            // The change events of the batch, for projections: in its transaction, after its other messages.
            outbox.addAll(changeRows.rows(shard, history, engine.assetScales()));
            store.commit(new ShardStore.ShardCommit(shard, epoch, batch.endPosition(), engine.lastSeq(), engine.lastAtMicros(),
                    List.copyOf(balances.values()), List.copyOf(holds.values()), List.copyOf(archive.newResults()),
                    List.copyOf(history), List.copyOf(outbox), Map.copyOf(assets), List.copyOf(crossShard.values())));
        } catch (ShardStore.Fenced e) {
            throw new LostOwnership(e.getMessage());
        } catch (ShardStore.Unavailable e) {
            throw new IOException(e.getMessage(), e);
        } catch (ShardStore.Defect e) {
            throw new Defect(e.getMessage(), e);
        } finally {
            clear();
        }
    }

    private void clear() {
        balances.clear();
        holds.clear();
        history.clear();
        outbox.clear();
        assets.clear();
        crossShard.clear();
        archive.clear();
    }

    @Override
    public void halted(String reason) {
        recordHalt(reason);
    }

    /** Records the halt in the store so every instance reports it; when the store is down, later ({@link #haltRecorded}). */
    public void recordHalt(String reason) {
        try {
            store.setHalted(shard, reason);
            haltRecorded = true;
        } catch (ShardStore.Unavailable e) {
            haltRecorded = false;
        }
    }

    public boolean haltRecorded() {
        return haltRecorded;
    }
}
