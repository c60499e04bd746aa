package jango.kafka;

import jango.engine.Applied;
import jango.engine.Archive;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.ResultCodec;
import jango.engine.StoredResult;
import jango.engine.port.ShardStore;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link Archive} of one shard's replay in {@code jango audit}: it answers each lookup as the
 * live shard was answered. Ids are global and the store keeps one result per id, on the shard
 * whose commit stored it first (docs/distributed.md, "Ids are global"), so:
 * <ul>
 * <li>an id stored by <em>another</em> shard was already there when this shard met it (had it not
 * been, this shard would have stored it too, and one of the two commits would have failed on the
 * key): it is answered from the store;</li>
 * <li>an id of <em>this</em> shard is answered from the replay itself: not before the replay made
 * it, and from then on with what the replay made. Each result the replay makes is compared with the
 * row the store holds for it (a difference is a problem of the audit), so the store's row stands in
 * for the replay's own once they are equal, and memory holds one batch, not every result.</li>
 * </ul>
 * Holds the same way: another shard's hold as the store has it; one of this shard's only once the
 * replay closed it (the ids of the holds it closed are kept: memory grows with them). Placing a hold
 * follows the first-commit-wins rule too, so a placement replays exactly. A command that only
 * <em>names</em> another shard's hold (a release routed before the hold existed, a settlement from
 * it) is refused either way, but its reason and message say what the live shard saw at that moment
 * ("does not exist", UNKNOWN_HOLD, or "is on u5 KRW, not u0 KRW", HOLD_MISMATCH), which no log
 * records: such a result is compared without them, and counted.
 *
 * <p>A transfer between shards that this shard coordinates holds its id with a pending row from
 * its first entry until its final result (docs/distributed.md, "Multi-shard transfers"); the live
 * shard saw that row, so the replay is answered with the pending result it made itself until it
 * makes the final one. Memory holds the transfers in flight at the replay's position.
 */
final class AuditArchive implements Archive {
    /** Problems listed per shard; past this, they are only counted. */
    static final int MAX_PROBLEMS = 20;

    private final int shard;
    private final Shards shards;
    private final ShardStore store;
    private Map<String, ShardStore.ShardResult> fetchedResults = Map.of();
    private Map<String, HoldView> fetchedHolds = Map.of();
    private final Map<String, StoredResult> batchResults = new HashMap<>();
    private final Map<String, HoldView> batchHolds = new HashMap<>();
    /** Results the replay made that differ from the store's: answered from here, not from the store. */
    private final Map<String, StoredResult> divergent = new HashMap<>();
    private final Set<String> closedHere = new HashSet<>();
    /** This shard's transfers between shards in flight at the replay's position: their pending results. */
    private final Map<String, StoredResult> pendingHere = new HashMap<>();
    private final List<String> problems;
    private long resultsChecked;
    private long messagesOfTheMoment;
    private long problemCount;
    /** The entry being applied looked up a hold of another shard. */
    private boolean foreignHoldSeen;

    AuditArchive(int shard, Shards shards, ShardStore store, List<String> problems) {
        this.shard = shard;
        this.shards = shards;
        this.store = store;
        this.problems = problems;
    }

    /** A new batch of records: fetches what the store holds for the ids they name. */
    void prefetch(Collection<String> commandIds, Collection<String> holdIds) {
        foreignHoldSeen = false;
        batchResults.clear();
        batchHolds.clear();
        fetchedResults = store.resultsWithShard(commandIds);
        fetchedHolds = store.holds(holdIds);
    }

    long resultsChecked() {
        return resultsChecked;
    }

    /** Results whose message told what another shard's hold was at the moment, compared without it. */
    long messagesOfTheMoment() {
        return messagesOfTheMoment;
    }

    long problemCount() {
        return problemCount;
    }

    @Override
    public StoredResult result(String commandId, long beforeSeq) {
        StoredResult made = batchResults.get(commandId);
        if (made != null) {
            return made;
        }
        made = divergent.get(commandId);
        if (made != null) {
            return made;
        }
        made = pendingHere.get(commandId);
        if (made != null) {
            return made;
        }
        ShardStore.ShardResult row = fetchedResults.get(commandId);
        if (row == null) {
            return null;
        }
        if (row.shard() != shard) {
            return row.stored();
        }
        if (row.stored().pending()) {
            return null; // not begun yet at this position (else pendingHere would have it)
        }
        return row.stored().result().seq() < beforeSeq ? row.stored() : null;
    }

    @Override
    public HoldView hold(String holdId, long beforeSeq) {
        HoldView closed = batchHolds.get(holdId);
        if (closed != null) {
            return closed;
        }
        HoldView stored = fetchedHolds.get(holdId);
        if (stored == null) {
            return null;
        }
        if (shards.of(stored.account()) != shard) {
            foreignHoldSeen = true;
            return stored;
        }
        return closedHere.contains(holdId) ? stored : null;
    }

    @Override
    public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
        StoredResult made = new StoredResult(Arrays.copyOfRange(fingerprint, offset, offset + length), applied.result());
        batchResults.put(applied.commandId(), made);
        resultsChecked++;
        String difference = difference(made, fetchedResults.get(applied.commandId()), foreignHoldSeen);
        foreignHoldSeen = false;
        if (difference != null) {
            divergent.put(applied.commandId(), made);
            problem("shard " + shard + ": the result of " + applied.commandId() + " at seq " + applied.seq() + " " + difference);
        }
    }

    /** A transfer between shards began (or began again) here: its pending row, as the live shard wrote it. */
    @Override
    public void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
        StoredResult pending = StoredResult.pending(fingerprint, attempt);
        pendingHere.put(commandId, pending);
        batchResults.put(commandId, pending);
        ShardStore.ShardResult row = row(commandId);
        if (row == null) {
            problem("shard " + shard + ": transfer " + commandId + " began at seq " + seq + " but the store has no row of it");
        } else if (row.shard() != shard) {
            problem("shard " + shard + ": transfer " + commandId + " began at seq " + seq + " but shard " + row.shard() + " stored it");
        }
    }

    /** The final result of a transfer between shards, or a protocol record's own: checked like any other. */
    @Override
    public void resultStored(long seq, byte[] fingerprint, Result result) {
        StoredResult made = new StoredResult(fingerprint, result);
        pendingHere.remove(result.id());
        batchResults.put(result.id(), made);
        resultsChecked++;
        String difference = difference(made, row(result.id()), false);
        if (difference != null) {
            divergent.put(result.id(), made);
            problem("shard " + shard + ": the result of " + result.id() + " at seq " + seq + " " + difference);
        }
    }

    /** The store's row of an id, fetched alone when the batch's records did not name it (a deadline on a tick). */
    private ShardStore.ShardResult row(String commandId) {
        ShardStore.ShardResult row = fetchedResults.get(commandId);
        return row != null ? row : store.resultsWithShard(List.of(commandId)).get(commandId);
    }

    private String difference(StoredResult made, ShardStore.ShardResult row, boolean namesForeignHold) {
        if (row == null) {
            return "is not in the store";
        }
        if (row.shard() != shard) {
            return "is stored by shard " + row.shard();
        }
        if (row.stored().pending()) {
            return "is still pending in the store";
        }
        if (!Arrays.equals(made.fingerprint(), row.stored().fingerprint())) {
            return "was stored for another command body";
        }
        Result replayed = made.result();
        Result stored = row.stored().result();
        if (namesForeignHold && replayed.status() == stored.status() && momentary(replayed.reason(), stored.reason())
                && !java.util.Objects.equals(replayed.message(), stored.message())) {
            messagesOfTheMoment++;
            replayed = new Result(replayed.id(), replayed.status(), stored.reason(), stored.message(), replayed.seq(),
                    replayed.atMicros(), replayed.balances());
        }
        if (!Arrays.equals(ResultCodec.encode(replayed), ResultCodec.encode(stored))) {
            return "differs from the stored one: replay " + made.result() + ", store " + row.stored().result();
        }
        return null;
    }

    /**
     * Reasons that may differ with the moment for a hold of another shard: one not placed yet is
     * UNKNOWN_HOLD, the same hold once open there is HOLD_MISMATCH (it is not the debited account's).
     */
    private static boolean momentary(jango.engine.Reason replayed, jango.engine.Reason stored) {
        return replayed == stored || (isHoldReason(replayed) && isHoldReason(stored));
    }

    private static boolean isHoldReason(jango.engine.Reason reason) {
        return reason == jango.engine.Reason.UNKNOWN_HOLD || reason == jango.engine.Reason.HOLD_MISMATCH;
    }

    @Override
    public void holdClosed(Applied applied, int index) {
        batchHolds.put(applied.holdId(index), applied.hold(index));
        closedHere.add(applied.holdId(index));
    }

    void problem(String problem) {
        problemCount++;
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(problem);
        }
    }
}
