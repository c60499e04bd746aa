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
            return openHold(slot);
        }
        return engine.archive.hold(holdId, Long.MAX_VALUE);
    }

    /** An open hold, with what transfers between shards locked of it. */
    HoldView openHold(int slot) {
        HoldView view = engine.holds.view(slot, engine.accounts, engine.assets);
        CrossShardTable.HoldLock lock = engine.crossShard.lock(view.holdId());
        return lock == null ? view : new HoldView(view.holdId(), view.account(), view.asset(), view.amount(), view.remaining(),
                view.expiresAtMicros(), view.state(), Int128.of(lock.lockedHi, lock.lockedLo));
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
                action.accept(openHold(slot));
            }
        }
    }

    public int accountCount() {
        return engine.accounts.count();
    }

    public int openHoldCount() {
        return engine.holds.count();
    }

    /**
     * How many of a million new ids the id filter answers "maybe" for, each costing an archive
     * lookup: a million for an engine without a filter. It rises as ids accumulate (the filter's
     * size is fixed), so it is the figure to watch; reads a sample of the filter (a few milliseconds).
     */
    public long idFilterFalsePositivesPerMillion() {
        return engine.filter.falsePositivesPerMillion();
    }

    /** The id filter's fixed size in bytes (0: none, every id is looked up). */
    public int idFilterBytes() {
        return engine.filter.bytes();
    }

    /** Transfers between shards this shard coordinates now (their records exist until every shard ended its part). */
    public int coordinatingCount() {
        return engine.crossShard.coordinators.size();
    }

    /** Transfers between shards this shard has reserved its part of now. */
    public int participatingCount() {
        return engine.crossShard.participants.size();
    }

    /** The transfers between shards in flight here, and the aborts decided since this engine was made (metrics). */
    public jango.engine.port.TransfersInFlight transfersInFlight() {
        CrossShardTable table = engine.crossShard;
        long oldestDeadline = Long.MAX_VALUE;
        for (CrossShardTable.Coordinator x : table.coordinators.values()) {
            oldestDeadline = Math.min(oldestDeadline, x.deadlineMicros);
        }
        for (CrossShardTable.Participant p : table.participants.values()) {
            oldestDeadline = Math.min(oldestDeadline, p.deadlineMicros);
        }
        // A transfer's deadline is its coordinator's entry time plus the protocol's deadline.
        long oldestStart = oldestDeadline == Long.MAX_VALUE ? Long.MAX_VALUE : oldestDeadline - ProtocolRules.DEADLINE_MICROS;
        return new jango.engine.port.TransfersInFlight(table.coordinators.size(), table.participants.size(), oldestStart,
                engine.protocol.abortedRefused(), engine.protocol.abortedGaveUp());
    }

    /** Every record of transfers between shards (coordinators, participants, pending ends), as the store keeps them. */
    public void forEachCrossShardRecord(Consumer<CrossShardRecord> action) {
        CrossShardTable table = engine.crossShard;
        table.coordinators.values().forEach(x -> action.accept(new CrossShardRecord(CrossShardRecord.COORDINATOR, x.id, x.stateName(),
                CrossShardTable.encode(x), java.util.List.of())));
        table.participants.values().forEach(p -> {
            java.util.List<CrossShardRecord.Reservation> reserved = new java.util.ArrayList<>();
            p.shares.forEach(share -> {
                if (!share.reserved().isZero()) {
                    reserved.add(new CrossShardRecord.Reservation(share.owner(), share.asset(), share.reserved()));
                }
            });
            action.accept(new CrossShardRecord(CrossShardRecord.PARTICIPANT, p.id, "RESERVED", CrossShardTable.encode(p), reserved));
        });
        table.locks.values().forEach(lock -> {
            if (lock.ending()) {
                action.accept(new CrossShardRecord(CrossShardRecord.HOLD_END, lock.holdId, HoldTable.state(lock.pendingEnd).name(),
                        CrossShardTable.encode(lock), java.util.List.of()));
            }
        });
    }
}
