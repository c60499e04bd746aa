package jango.streams;

import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.port.ChangeSubscriber;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.engine.port.ShardStatus;
import jango.engine.port.StateSummary;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** The real ledger, counting the balance reads that reach it (the long-poll must not make any). */
final class CountingLedger implements Ledger {
    final Ledger ledger;
    final AtomicInteger balanceReads = new AtomicInteger();

    CountingLedger(Ledger ledger) {
        this.ledger = ledger;
    }

    @Override
    public List<BalanceView> balances(String owner, String asset) {
        balanceReads.incrementAndGet();
        return ledger.balances(owner, asset);
    }

    @Override
    public CompletableFuture<List<Outcome>> submit(List<Command> commands) {
        return ledger.submit(commands);
    }

    @Override
    public Map<String, Integer> assets() {
        return ledger.assets();
    }

    @Override
    public Result result(String commandId) {
        return ledger.result(commandId);
    }

    @Override
    public jango.engine.StoredResult knownResult(String commandId) {
        return ledger.knownResult(commandId);
    }

    @Override
    public HoldView hold(String holdId) {
        return ledger.hold(holdId);
    }

    @Override
    public HistoryPage history(String owner, String asset, int limit, String cursor) {
        return ledger.history(owner, asset, limit, cursor);
    }

    @Override
    public List<ShardStatus> shards() {
        return ledger.shards();
    }

    @Override
    public StateSummary stateSummary() {
        return ledger.stateSummary();
    }

    @Override
    public AutoCloseable subscribe(ChangeSubscriber subscriber) {
        return ledger.subscribe(subscriber);
    }

    @Override
    public void close() {
        ledger.close();
    }
}
