package jango.engine;

import java.util.function.Consumer;

/**
 * Reads of an engine's state, as objects: on the writer thread between entries, or on a stopped
 * engine (tools, tests, snapshots). Other threads read the ledger's read models instead.
 */
public final class EngineView {
    private final Engine engine;

    EngineView(Engine engine) {
        this.engine = engine;
    }

    /** The balance of (owner, asset), or null when that account does not exist. */
    public BalanceView balance(String owner, String asset) {
        int assetId = engine.assets.id(asset);
        int slot = assetId == AssetTable.NONE ? AccountTable.NONE : engine.accounts.slot(owner, assetId);
        return slot == AccountTable.NONE ? null : engine.accounts.view(slot, engine.assets);
    }

    /** An open hold from memory, or a closed one from the archive; null when the id was never used. */
    public HoldView hold(String holdId) {
        int slot = engine.holds.slot(holdId);
        if (slot != HoldTable.NONE) {
            return engine.holds.view(slot, engine.accounts, engine.assets);
        }
        return engine.archive.hold(holdId, Long.MAX_VALUE);
    }

    /** The stored result of a command id, or null. */
    public StoredResult storedResult(String commandId) {
        return engine.archive.result(commandId, Long.MAX_VALUE);
    }

    public void forEachBalance(Consumer<BalanceView> action) {
        for (int slot = 0; slot < engine.accounts.count(); slot++) {
            action.accept(engine.accounts.view(slot, engine.assets));
        }
    }

    /** Every open hold (closed ones are in the archive). */
    public void forEachOpenHold(Consumer<HoldView> action) {
        HoldTable holds = engine.holds;
        for (int slot = 0; slot < holds.highWater(); slot++) {
            if (holds.inUse(slot)) {
                action.accept(holds.view(slot, engine.accounts, engine.assets));
            }
        }
    }

    public int accountCount() {
        return engine.accounts.count();
    }

    public int openHoldCount() {
        return engine.holds.count();
    }
}
