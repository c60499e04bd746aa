package jango.engine.port;

import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.StoredResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the server needs from a backend (embedded journal today, Kafka + PostgreSQL later). Every
 * future completes only after its command is durable and applied, or exceptionally with
 * {@link LedgerUnavailableException} when nothing was applied and the caller may retry.
 */
public interface Ledger extends AutoCloseable {

    /** Sequences, makes durable and applies the commands, answering in the same order. */
    CompletableFuture<List<Outcome>> submit(List<Command> commands);

    /** Asset code -> scale. */
    Map<String, Integer> assets();

    /** The stored result of a command id, or null; includes every command answered before this call. */
    Result result(String commandId);

    /** {@link #result} of each id, in order, null where there is none. */
    default List<Result> results(List<String> commandIds) {
        List<Result> results = new ArrayList<>(commandIds.size());
        for (String id : commandIds) {
            results.add(result(id));
        }
        return results;
    }

    /**
     * The stored result of a command id with its fingerprint, when the ledger can tell at once (the
     * server's shortcut for retries: answered without touching the log). Null says nothing: a
     * command whose result is not known here yet goes to the log, which answers a replay too.
     */
    StoredResult knownResult(String commandId);

    /** The owner's balances, ordered by asset; {@code asset} null for all. */
    List<BalanceView> balances(String owner, String asset);

    HoldView hold(String holdId);

    /**
     * History, newest first, including every change applied before this call.
     *
     * @throws IllegalArgumentException for a cursor this ledger did not make
     */
    HistoryPage history(String owner, String asset, int limit, String cursor);

    List<ShardStatus> shards();

    /** Operations: the state hash at the current position (see jango audit). */
    StateSummary stateSummary();

    /**
     * Why this backend's shard layout cannot take the command, naming the field under
     * {@code path} (e.g. "commands[2]."), or null. Embedded mode (one shard) takes everything.
     */
    default String placementError(Command command, String path) {
        return null;
    }

    /** Transfers between shards in flight on this instance's shards (metrics); none in embedded mode. */
    default TransfersInFlight transfersInFlight() {
        return TransfersInFlight.NONE;
    }

    /**
     * How many of a million new command and hold ids the engine's id filter cannot rule out, each
     * costing a lookup in the result store (metrics); -1 where there is no such filter (distributed
     * mode looks every batch's ids up in one query).
     */
    default long idFilterFalsePositivesPerMillion() {
        return -1;
    }

    /** True when reads wait on I/O (a database): the server then keeps them off its event loops. */
    default boolean readsBlock() {
        return false;
    }

    /**
     * Operations: lets a halted shard go on from where it stopped.
     *
     * @throws UnsupportedOperationException where a restart is the way (embedded mode)
     * @throws IllegalArgumentException for a shard that does not exist
     */
    default void resume(int shard) {
        throw new UnsupportedOperationException("this mode resumes a halted shard by a restart");
    }

    /**
     * Follows every balance change applied from now on (see {@link ChangeSubscriber}); closing the
     * returned handle stops it.
     *
     * @throws UnsupportedOperationException where the mode does not publish changes in process
     */
    default AutoCloseable subscribe(ChangeSubscriber subscriber) {
        throw new UnsupportedOperationException("this mode does not publish balance changes in process");
    }

    /**
     * Whether the changes {@link #subscribe} delivers for {@code owner} carry the revisions that
     * {@link #balances} reports, so a follower can take "the next revision" of each asset. False for
     * a system owner with several shards: it has an account, with its own revisions, on every shard,
     * and its balance is their sum.
     */
    default boolean followsRevisions(String owner) {
        return true;
    }

    /**
     * Operations (the channel copy's resync): user owners that have a balance, in byte order, after
     * {@code after} (null: from the first), at most {@code limit}.
     *
     * @throws UnsupportedOperationException where the mode lists them otherwise (embedded: the feed's registry)
     */
    default List<String> userOwners(String after, int limit) {
        throw new UnsupportedOperationException("this mode does not list owners");
    }

    @Override
    void close();
}
