package jango.engine;

/**
 * Loads a new engine from a store (PostgreSQL in distributed mode; snapshots go through
 * {@link SnapshotCodec}). These calls bypass every rule of {@link Engine#execute}: they put back
 * state that the rules made before, so the caller finishes with {@link Engine#checkInvariants()}.
 */
public final class EngineRestore {
    private final Engine engine;

    EngineRestore(Engine engine) {
        this.engine = engine;
    }

    public EngineRestore position(long seq, long atMicros) {
        engine.lastSeq = seq;
        engine.lastAtMicros = atMicros;
        return this;
    }

    public EngineRestore asset(String code, int scale) {
        if (engine.assets.id(code) == AssetTable.NONE) {
            engine.assets.add(code, scale);
        }
        return this;
    }

    public EngineRestore account(String owner, String asset, Int128 available, Int128 held, long revision) {
        int assetId = requireAsset(asset);
        AccountTable accounts = engine.accounts;
        int ownerId = accounts.internOwner(owner);
        if (accounts.slot(ownerId, assetId) != AccountTable.NONE) {
            throw new IllegalArgumentException("account " + owner + " " + asset + " restored twice");
        }
        int slot = accounts.create(ownerId, assetId);
        accounts.setAvailable(slot, available.hi(), available.lo());
        accounts.setHeld(slot, held.hi(), held.lo());
        accounts.setRevision(slot, revision);
        return this;
    }

    /** An open hold; its account must be restored first. Closed holds stay in the archive. */
    public EngineRestore openHold(HoldView hold) {
        if (hold.state() != HoldState.OPEN) {
            throw new IllegalArgumentException("hold " + hold.holdId() + " is " + hold.state() + ": only open holds are in memory");
        }
        int slot = engine.accounts.slot(hold.account(), requireAsset(hold.asset()));
        if (slot == AccountTable.NONE) {
            throw new IllegalArgumentException("hold " + hold.holdId() + " is on " + hold.account() + " " + hold.asset()
                    + ", which was not restored");
        }
        HoldTable holds = engine.holds;
        int holdSlot = holds.open(hold.holdId(), slot, hold.amount().hi(), hold.amount().lo(), hold.expiresAtMicros());
        holds.setRemaining(holdSlot, hold.remaining().hi(), hold.remaining().lo());
        if (hold.expiresAtMicros() != Command.NO_EXPIRY) {
            holds.scheduleExpiry(holdSlot);
        }
        engine.filter.put(hold.holdId(), IdFilter.HOLD_SEED);
        return this;
    }

    /**
     * The shard's records of transfers between shards ({@link CrossShardRecord#bytes()}), after its
     * accounts and open holds: coordinators, participants (whose reservations are already in the
     * balances restored) and holds' pending ends. The locks and sums they imply are rebuilt here.
     */
    public EngineRestore crossShardRecords(Iterable<byte[]> records) {
        CrossShardTable table = engine.crossShard;
        for (byte[] bytes : records) {
            switch (CrossShardTable.kindOf(bytes)) {
                case CrossShardTable.COORDINATOR_RECORD -> {
                    CrossShardTable.Coordinator x = CrossShardTable.decodeCoordinator(bytes);
                    table.coordinators.put(x.id, x);
                }
                case CrossShardTable.PARTICIPANT_RECORD -> {
                    CrossShardTable.Participant p = CrossShardTable.decodeParticipant(bytes);
                    table.participants.put(p.id, p);
                }
                case CrossShardTable.LOCK_RECORD -> {
                    CrossShardTable.HoldLock lock = CrossShardTable.decodeLock(bytes);
                    int slot = engine.holds.slot(lock.holdId);
                    if (slot == HoldTable.NONE) {
                        throw new IllegalArgumentException("hold " + lock.holdId + " waits to end but is not an open hold restored");
                    }
                    engine.holds.unscheduleExpiry(slot);
                    table.locks.put(lock.holdId, lock);
                }
                default -> throw new IllegalArgumentException("not a cross-shard record: kind " + bytes[0]);
            }
        }
        table.rebuildDerived(engine.assets);
        return this;
    }

    private int requireAsset(String code) {
        int id = engine.assets.id(code);
        if (id == AssetTable.NONE) {
            throw new IllegalArgumentException("asset " + code + " is not restored");
        }
        return id;
    }
}
