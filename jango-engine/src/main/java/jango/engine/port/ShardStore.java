package jango.engine.port;

import jango.engine.BalanceChange;
import jango.engine.Archive;
import jango.engine.BalanceView;
import jango.engine.CrossShardRecord;
import jango.engine.Engine;
import jango.engine.StoredResult;
import jango.engine.HoldView;
import jango.engine.Result;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Where distributed mode keeps every shard's state (PostgreSQL): balances, holds, results,
 * history, the outbox and the consumed log offset, all committed in one transaction per batch.
 * One writer per shard, fenced by an epoch: {@link #acquire} takes a new epoch and every later
 * {@link #commit} or {@link #reload} under an older one fails with {@link Fenced}.
 *
 * <p>Every method may throw {@link Unavailable} when the database cannot be reached or a retry may
 * succeed (it restarts, is overloaded, or a commit lost a race on a global id), and {@link Defect}
 * when a statement failed in a way no retry fixes (a bug in the SQL or the schema). Nothing was
 * written then (a failed commit is rolled back, or its outcome is unknown and the caller reloads
 * the shard to find out). A writer retries the first, and halts its shard on the second without
 * waiting out retries that cannot help; a read answers 503 for the first and 500 for the second.
 */
public interface ShardStore extends AutoCloseable {

    /** Makes the schema and {@code shards} shard rows if the store is new; returns the shard count it has. */
    int init(int shards);

    /** The shard count fixed at {@link #init}, or 0 before it. */
    int shardCount();

    /**
     * Takes the shard for {@code owner} with a new epoch, fencing the previous owner, and loads it
     * into an engine that stores into (and asks) {@code archive}.
     */
    LoadedShard acquire(int shard, String owner, Archive archive);

    /** Loads the shard again under the epoch the caller already holds (after a failed commit). */
    LoadedShard reload(int shard, long epoch, Archive archive);

    /**
     * The shard's state as committed: an engine at {@code engine.lastSeq()} holding the accounts,
     * open holds and assets of the shard (results and closed holds stay in the store, reached
     * through the archive), and the next log offset to read. {@code haltedReason} is the halt the
     * store holds for the shard (an earlier owner halted it and no operator has resumed it), or null.
     */
    record LoadedShard(int shard, long epoch, long nextOffset, Engine engine, String haltedReason) {
    }

    /**
     * Commits one applied batch in one transaction: the offset moves to {@code nextOffset} only
     * together with everything the batch changed.
     *
     * @throws Fenced when {@code epoch} is no longer the shard's (nothing was written)
     */
    void commit(ShardCommit commit);

    /**
     * One batch's changes: the final state of each touched account and hold, the new results
     * with their fingerprints, every balance change for history, the messages to publish, and the
     * assets the shard's log registered (code -> scale).
     */
    record ShardCommit(int shard, long epoch, long nextOffset, long lastSeq, long lastAtMicros,
                       Collection<BalanceView> balances, Collection<HoldView> holds, List<NewResult> results,
                       List<BalanceChange> history, List<OutboxMessage> outbox, Map<String, Integer> assets,
                       Collection<CrossShardRecord> crossShard) {
        /** A batch with no record of a transfer between shards. */
        public ShardCommit(int shard, long epoch, long nextOffset, long lastSeq, long lastAtMicros,
                           Collection<BalanceView> balances, Collection<HoldView> holds, List<NewResult> results,
                           List<BalanceChange> history, List<OutboxMessage> outbox, Map<String, Integer> assets) {
            this(shard, epoch, nextOffset, lastSeq, lastAtMicros, balances, holds, results, history, outbox, assets, List.of());
        }
    }

    /**
     * A result row to write under {@code id}: a final result, or ({@code result} null) the pending
     * row of a transfer in flight between shards in attempt {@code pendingAttempt}. {@code replaces}
     * says the row exists already as a pending one of this shard (a new attempt, or the final result).
     */
    record NewResult(String id, byte[] fingerprint, Result result, int pendingAttempt, boolean replaces) {
        public NewResult(byte[] fingerprint, Result result) {
            this(result.id(), fingerprint, result, 0, false);
        }

        public boolean pending() {
            return result == null;
        }
    }

    /**
     * A message for the outbox relay: {@code topic} is a logical name ("events" or "commands"),
     * {@code partition} the target partition. {@code id} is assigned by the store (0 before commit).
     */
    record OutboxMessage(long id, int shard, String topic, int partition, String key, byte[] value) {
    }

    /** The shard's outbox rows not yet deleted, oldest first. */
    default List<OutboxMessage> outbox(int shard, int limit) {
        return outbox(shard, 0, limit);
    }

    /** The shard's outbox rows with an id above {@code afterId} (the relay's last published row), oldest first. */
    List<OutboxMessage> outbox(int shard, long afterId, int limit);

    /** Deletes published rows of the shard's outbox (the broker acknowledged them); ids of other shards' rows are left alone. */
    void deleteOutbox(int shard, Collection<Long> ids);

    /** The stored results of these command ids, on whichever shard (ids are global); pending ones too ({@link StoredResult#pending()}). */
    Map<String, StoredResult> results(Collection<String> commandIds);

    /**
     * Audits: the stored results of these command ids with the shard that stored each (the results
     * table holds at most one per id, on the shard whose commit stored it first).
     */
    default Map<String, ShardResult> resultsWithShard(Collection<String> commandIds) {
        throw new UnsupportedOperationException("this store does not tell which shard stored a result");
    }

    record ShardResult(int shard, StoredResult stored) {
    }

    /** The holds with these ids, open or closed, on whichever shard (hold ids are global). */
    Map<String, HoldView> holds(Collection<String> holdIds);

    /** Asset code -> scale, global to all shards. */
    Map<String, Integer> assets();

    /** Registers an asset once for all shards; answers whether it was new and the scale it has. */
    AssetRegistration registerAsset(String code, int scale);

    record AssetRegistration(boolean created, int scale) {
    }

    // ---- reads of committed state (any instance) ------------------------------------------------

    /** The owner's balances by asset ({@code asset} null for all); a system owner's are summed over shards. */
    List<BalanceView> balances(String owner, String asset);

    HoldView hold(String holdId);

    /** The final result of a command, or null (a transfer still in flight between shards has none yet). */
    StoredResult result(String commandId);

    /** Newest first; {@code cursor} null for the first page. @throws IllegalArgumentException for a bad cursor */
    HistoryPage history(String owner, String asset, int limit, String cursor);

    /** User owners (not {@code @...}) with a balance on any shard, in byte order, after {@code after} (null: from the first). */
    default List<String> userOwners(String after, int limit) {
        throw new UnsupportedOperationException("this store does not list owners");
    }

    /** Each shard's owner, epoch, position and halt reason. */
    List<ShardRow> shardRows();

    record ShardRow(int shard, long epoch, String owner, long nextOffset, long lastSeq, String haltedReason) {
    }

    /** Records (reason non-null) or clears (null) a shard's halt, so every instance reports it. */
    void setHalted(int shard, String reason);

    /** Conservation over all shards (including {@code @clearing}), held = open holds, and a hash of all state. */
    StateSummary stateSummary();

    /**
     * The same store for the API's reads, on connections of their own where the store has a pool:
     * a burst of reads (a client checking its results, a page of history) then cannot keep a writer
     * or the relay waiting for a connection, which a writer would count against its retries like an
     * outage. Closing the store closes both; closing this view does nothing.
     */
    default ShardStore forReads() {
        return this;
    }

    @Override
    void close();

    /** The database failed or could not be reached. */
    class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A statement failed in a way no retry can fix: a syntax error, an undefined column, a broken
     * constraint. A bug in the SQL or the schema, never to be reported as the database being
     * unavailable. The message names the work, the server's error and the statement.
     */
    class Defect extends RuntimeException {
        public Defect(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The epoch is stale: another instance owns the shard now. */
    final class Fenced extends Unavailable {
        public Fenced(String message) {
            super(message, null);
        }
    }
}
