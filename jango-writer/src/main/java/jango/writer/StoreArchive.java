package jango.writer;

import jango.engine.Applied;
import jango.engine.Archive;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.StoredResult;
import jango.engine.port.ShardStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Archive} of a shard whose results and closed holds live in a {@link ShardStore}
 * (PostgreSQL in distributed mode). Ids are global there, so one lookup answers both "did this shard
 * see the id" and "did another". Before a batch is applied, the ids it names are fetched in one query
 * each ({@link #prefetch}); the engine's lookups are then answered from memory, together with what the
 * batch itself stored. What the batch stores is kept for its commit; all of it is dropped when the
 * next batch starts, so memory holds one batch.
 */
public final class StoreArchive implements Archive {
    private final ShardStore store;
    private Map<String, StoredResult> fetchedResults = Map.of();
    private Map<String, HoldView> fetchedHolds = Map.of();
    private final Map<String, StoredResult> batchResults = new HashMap<>();
    private final Map<String, HoldView> batchHolds = new HashMap<>();
    /** The rows the batch writes, by id: the last one of each id, inserted or replacing a pending row. */
    private final Map<String, ShardStore.NewResult> newResults = new LinkedHashMap<>();

    public StoreArchive(ShardStore store) {
        this.store = store;
    }

    /**
     * A new batch: fetches what the store holds for the command ids and hold ids it names.
     *
     * @throws IOException when the store cannot be read (nothing is applied; the batch is retried)
     */
    public void prefetch(Collection<String> commandIds, Collection<String> holdIds) throws IOException {
        clear();
        try {
            fetchedResults = store.results(commandIds);
            fetchedHolds = store.holds(holdIds);
        } catch (ShardStore.Unavailable e) {
            throw new IOException("the store cannot be read: " + e.getMessage(), e);
        } catch (ShardStore.Defect e) {
            throw new StateStore.Defect(e.getMessage(), e);
        }
    }

    /** Forgets the batch (after its commit, or before a reload). */
    public void clear() {
        fetchedResults = Map.of();
        fetchedHolds = Map.of();
        batchResults.clear();
        batchHolds.clear();
        newResults.clear();
    }

    /** The results the batch made, for its commit. */
    public List<ShardStore.NewResult> newResults() {
        return new ArrayList<>(newResults.values());
    }

    @Override
    public StoredResult result(String commandId, long beforeSeq) {
        StoredResult made = batchResults.get(commandId);
        return made != null ? made : fetchedResults.get(commandId);
    }

    @Override
    public HoldView hold(String holdId, long beforeSeq) {
        HoldView closed = batchHolds.get(holdId);
        return closed != null ? closed : fetchedHolds.get(holdId);
    }

    @Override
    public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
        StoredResult stored = new StoredResult(Arrays.copyOfRange(fingerprint, offset, offset + length), applied.result());
        batchResults.put(applied.commandId(), stored);
        write(applied.commandId(), stored.fingerprint(), stored.result(), 0, pendingInStore(applied.commandId()));
    }

    @Override
    public void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
        batchResults.put(commandId, StoredResult.pending(fingerprint, attempt));
        write(commandId, fingerprint, null, attempt, pendingInStore(commandId));
    }

    /**
     * A protocol record's own result (a new row), or the final result of a transfer between shards,
     * which replaces the pending row its coordinator (this shard) wrote when the transfer began.
     */
    @Override
    public void resultStored(long seq, byte[] fingerprint, Result result) {
        batchResults.put(result.id(), new StoredResult(fingerprint, result));
        boolean protocolRecord = result.id().startsWith("#");
        write(result.id(), fingerprint, result, 0, !protocolRecord);
    }

    /** A row of this batch: an id written earlier in the batch keeps that row's insert or update. */
    private void write(String id, byte[] fingerprint, Result result, int pendingAttempt, boolean pendingInStore) {
        ShardStore.NewResult earlier = newResults.get(id);
        boolean replaces = earlier != null ? earlier.replaces() : pendingInStore;
        newResults.put(id, new ShardStore.NewResult(id, fingerprint, result, pendingAttempt, replaces));
    }

    private boolean pendingInStore(String commandId) {
        StoredResult fetched = fetchedResults.get(commandId);
        return fetched != null && fetched.pending();
    }

    @Override
    public void holdClosed(Applied applied, int index) {
        batchHolds.put(applied.holdId(index), applied.hold(index));
    }
}
