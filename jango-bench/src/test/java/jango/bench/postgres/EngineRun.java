package jango.bench.postgres;

import jango.bench.postgres.PostgresLedger.Balance;
import jango.bench.postgres.PostgresLedger.Hold;
import jango.engine.BalanceChange;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.Outcome;
import jango.engine.Reason;
import jango.engine.Result;
import jango.engine.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Jango's engine applying a command list in order: the reference the PostgreSQL ledger is compared with. */
final class EngineRun {
    /** One command's outcome in the same shape as {@link PostgresLedger.LedgerResult}, for comparison. */
    record Seen(String kind, Status status, Reason reason, String message, int balancesChanged) {
    }

    final Engine engine = new Engine();
    final List<Seen> outcomes = new ArrayList<>();
    /** Every hold id placed: the engine keeps open holds in memory and closed ones in its archive. */
    private final java.util.Set<String> holdIds = new java.util.TreeSet<>();
    private long seq;

    static EngineRun of(List<Command> commands) {
        EngineRun run = new EngineRun();
        commands.forEach(run::apply);
        return run;
    }

    void apply(Command command) {
        if (command instanceof Command.PlaceHold hold) {
            holdIds.add(hold.holdId());
        }
        int[] changes = new int[1];
        seq++;
        Outcome outcome = engine.apply(seq, seq, command, new EngineListener() {
            @Override
            public void balanceChanged(BalanceChange change) {
                changes[0]++;
            }
        });
        Result result = outcome.result();
        outcomes.add(result == null ? new Seen(outcome.kind().name(), null, null, null, changes[0])
                : new Seen(outcome.kind().name(), result.status(), result.reason(), result.message(), changes[0]));
    }

    static Seen seen(PostgresLedger.LedgerResult result) {
        // An asset registration's message is not part of a stored result.
        return new Seen(result.kind().name(), result.status(), result.reason(), result.status() == null ? null : result.message(),
                result.balancesChanged());
    }

    /** The engine's balances as the ledger lists them: owner, asset, available, held, revision. */
    List<Balance> balances() {
        Map<String, Balance> sorted = new TreeMap<>();
        engine.view().forEachBalance(b -> sorted.put(b.account() + "\u0000" + b.asset(),
                new Balance(b.account(), b.asset(), b.available().toBigInteger(), b.held().toBigInteger(), b.revision())));
        return List.copyOf(sorted.values());
    }

    Map<String, Hold> holds() {
        Map<String, Hold> holds = new TreeMap<>();
        for (String id : holdIds) {
            jango.engine.HoldView h = engine.view().hold(id);
            if (h != null) {
                holds.put(h.holdId(), new Hold(h.holdId(), h.account(), h.asset(), h.amount().toBigInteger(),
                        h.remaining().toBigInteger(), h.expiresAtMicros(), h.state()));
            }
        }
        return holds;
    }
}
