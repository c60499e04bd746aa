package jango.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One engine driven like the sequencer drives it (seq + 1 each entry, time from the caller), with
 * every event recorded and the full invariant check after every entry.
 */
final class Harness {
    final Engine engine;
    final List<BalanceChange> balanceChanges = new ArrayList<>();
    final List<HoldView> holdChanges = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void balanceChanged(BalanceChange change) {
            balanceChanges.add(change);
        }

        @Override
        public void holdChanged(HoldView hold) {
            holdChanges.add(hold);
        }
    };
    long nowMicros = 1_000;

    Harness() {
        this(new Engine());
    }

    Harness(Engine engine) {
        this.engine = engine;
        this.nowMicros = Math.max(nowMicros, engine.lastAtMicros());
    }

    Outcome apply(Command command) {
        return applyAt(nowMicros, command);
    }

    Outcome applyAt(long atMicros, Command command) {
        Outcome outcome = engine.apply(engine.lastSeq() + 1, atMicros, command, listener);
        nowMicros = atMicros;
        engine.checkInvariants();
        return outcome;
    }

    /** Applies a client command and returns its result. */
    Result run(Command command) {
        return apply(command).result();
    }

    Outcome tick(long atMicros) {
        return applyAt(atMicros, new Command.Tick());
    }

    void clearEvents() {
        balanceChanges.clear();
        holdChanges.clear();
    }

    // ---- reading state -------------------------------------------------------------------------

    /** How many results the engine's (in-memory) archive stores. */
    int results() {
        return ((MemoryArchive) engine.archive()).resultCount();
    }

    /** "available/held" as canonical decimals, or null when the account does not exist. */
    String balance(String owner, String asset) {
        BalanceView view = engine.view().balance(owner, asset);
        if (view == null) {
            return null;
        }
        int scale = engine.assetScales().get(asset);
        return view.available().toDecimalString(scale) + "/" + view.held().toDecimalString(scale);
    }

    long revision(String owner, String asset) {
        return engine.view().balance(owner, asset).revision();
    }

    /** Every balance and hold, in a stable order, for "nothing changed" comparisons. */
    Map<String, Object> state() {
        Map<String, Object> state = new TreeMap<>();
        engine.view().forEachBalance(b -> state.put("balance " + b.account() + " " + b.asset(), b));
        engine.view().forEachOpenHold(h -> state.put("hold " + h.holdId(), h));
        return state;
    }

    // ---- building commands ---------------------------------------------------------------------

    static Decimal amount(String text) {
        return Decimal.parse(text, false);
    }

    static Decimal signed(String text) {
        return Decimal.parse(text, true);
    }

    static Command.RegisterAsset asset(String code, int scale) {
        return new Command.RegisterAsset(code, scale);
    }

    static Command.Deposit deposit(String id, String account, String asset, String amount) {
        return new Command.Deposit(id, account, asset, amount(amount));
    }

    static Command.Withdraw withdraw(String id, String account, String asset, String amount) {
        return new Command.Withdraw(id, account, asset, amount(amount));
    }

    static Command.PlaceHold hold(String id, String account, String asset, String amount, String holdId) {
        return new Command.PlaceHold(id, account, asset, amount(amount), holdId, Command.NO_EXPIRY);
    }

    static Command.PlaceHold hold(String id, String account, String asset, String amount, String holdId, long expiresAtMicros) {
        return new Command.PlaceHold(id, account, asset, amount(amount), holdId, expiresAtMicros);
    }

    static Command.Release release(String id, String holdId, String amountOrNull) {
        return new Command.Release(id, holdId, amountOrNull == null ? null : amount(amountOrNull));
    }

    static Command.Transfer transfer(String id, String from, String to, String asset, String amount) {
        return new Command.Transfer(id, List.of(leg(from, to, asset, amount)));
    }

    static Command.Transfer transfer(String id, Leg... legs) {
        return new Command.Transfer(id, List.of(legs));
    }

    static Leg leg(String from, String to, String asset, String amount) {
        return new Leg(from, to, asset, amount(amount), null);
    }

    static Leg holdLeg(String from, String to, String asset, String amount, String holdId) {
        return new Leg(from, to, asset, amount(amount), holdId);
    }

    static Command.Adjust adjust(String id, String account, String asset, String signedAmount) {
        return new Command.Adjust(id, account, asset, signed(signedAmount), "correction");
    }
}
