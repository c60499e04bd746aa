package jango.cli;

import jango.engine.Archive;
import jango.engine.BalanceView;
import jango.engine.HoldView;
import jango.engine.StoredResult;
import jango.engine.port.HistoryPage;
import jango.engine.port.ShardStore;
import jango.engine.port.StateSummary;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real store whose next {@link #commit}s, once armed, go through and then throw as if the
 * connection broke while PostgreSQL committed: the writer cannot tell a commit that went through
 * from one that did not, and must find out from the store.
 */
final class CommitLostAnswerStore implements ShardStore {
    private final ShardStore store;
    private final AtomicInteger toLose = new AtomicInteger();

    CommitLostAnswerStore(ShardStore store) {
        this.store = store;
    }

    /** The next {@code commits} commits are applied, then reported failed. */
    void loseAnswersOfNext(int commits) {
        toLose.set(commits);
    }

    int stillToLose() {
        return toLose.get();
    }

    @Override
    public void commit(ShardCommit commit) {
        store.commit(commit);
        if (toLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new Unavailable("the connection broke while the commit was sent (it went through: a test)", null);
        }
    }

    @Override public int init(int shards) { return store.init(shards); }
    @Override public int shardCount() { return store.shardCount(); }
    @Override public LoadedShard acquire(int shard, String owner, Archive archive) { return store.acquire(shard, owner, archive); }
    @Override public LoadedShard reload(int shard, long epoch, Archive archive) { return store.reload(shard, epoch, archive); }
    @Override public List<OutboxMessage> outbox(int shard, long afterId, int limit) { return store.outbox(shard, afterId, limit); }
    @Override public void deleteOutbox(int shard, Collection<Long> ids) { store.deleteOutbox(shard, ids); }
    @Override public Map<String, StoredResult> results(Collection<String> commandIds) { return store.results(commandIds); }
    @Override public Map<String, HoldView> holds(Collection<String> holdIds) { return store.holds(holdIds); }
    @Override public Map<String, Integer> assets() { return store.assets(); }
    @Override public AssetRegistration registerAsset(String code, int scale) { return store.registerAsset(code, scale); }
    @Override public List<BalanceView> balances(String owner, String asset) { return store.balances(owner, asset); }
    @Override public HoldView hold(String holdId) { return store.hold(holdId); }
    @Override public StoredResult result(String commandId) { return store.result(commandId); }
    @Override public HistoryPage history(String owner, String asset, int limit, String cursor) { return store.history(owner, asset, limit, cursor); }
    @Override public List<ShardRow> shardRows() { return store.shardRows(); }
    @Override public void setHalted(int shard, String reason) { store.setHalted(shard, reason); }
    @Override public StateSummary stateSummary() { return store.stateSummary(); }
    @Override public List<String> userOwners(String after, int limit) { return store.userOwners(after, limit); }
    @Override public void close() { store.close(); }
}
