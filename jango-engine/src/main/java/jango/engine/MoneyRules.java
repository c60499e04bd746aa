package jango.engine;

import java.util.List;

/**
 * The money rules, in one place: what each command does to balances and holds, and when it is
 * refused. Every posting is exact and overflow-checked; a refusal throws {@link Rejection} and
 * the engine undoes the command's postings ({@link UndoLog}). Amounts are 128-bit pairs in
 * {@link Wide} registers; balances live in {@link AccountTable}'s arrays.
 *
 * <p>The order in which a command touches accounts is part of its result (its {@code balances}
 * list) and of its events, so it is kept as written here: a deposit credits the user, then
 * debits {@code @external}.
 */
final class MoneyRules {
    private final AssetTable assets;
    private final AccountTable accounts;
    private final HoldTable holds;
    private final UndoLog undo;
    private final IdFilter filter;
    private final Archive archive;
    /** Transfers between shards in flight: locked parts of holds, credits and debits to leave room for. */
    private final CrossShardTable crossShard;
    private final ProtocolRules protocol;
    /** Accounts of the command being applied that the writer looked up ahead. */
    private final LookAhead lookAhead;
    /** A hold lock whose pending end this command set (a release or expiry that met a lock), or null. */
    private CrossShardTable.HoldLock pendingEndSet;

    /** The amount of the command being applied, in minor units (its magnitude, for a signed one). */
    private final Wide amount = new Wide();
    private final Wide sum = new Wide();
    private final Wide total = new Wide();
    /** The entry being applied: archive lookups answer with what entries before it stored. */
    private long seq;

    MoneyRules(AssetTable assets, AccountTable accounts, HoldTable holds, UndoLog undo, IdFilter filter, Archive archive,
               CrossShardTable crossShard, ProtocolRules protocol, LookAhead lookAhead) {
        this.assets = assets;
        this.accounts = accounts;
        this.holds = holds;
        this.undo = undo;
        this.filter = filter;
        this.archive = archive;
        this.crossShard = crossShard;
        this.protocol = protocol;
        this.lookAhead = lookAhead;
    }

    void at(long entrySeq) {
        this.seq = entrySeq;
    }

    // ---- commands ----------------------------------------------------------------------------

    void deposit(Command.Deposit d) {
        requireUser(d.account(), "deposit to");
        int asset = asset(d.asset());
        minor(asset, d.amount(), "amount");
        long hi = amount.hi;
        long lo = amount.lo;
        credit(d.account(), asset, hi, lo);
        debit(Names.EXTERNAL, asset, hi, lo);
    }

    void withdraw(Command.Withdraw w) {
        requireUser(w.account(), "withdraw from");
        int asset = asset(w.asset());
        minor(asset, w.amount(), "amount");
        long hi = amount.hi;
        long lo = amount.lo;
        debit(w.account(), asset, hi, lo);
        credit(Names.EXTERNAL, asset, hi, lo);
    }

    void placeHold(Command.PlaceHold h) {
        requireUser(h.account(), "hold on");
        int asset = asset(h.asset());
        minor(asset, h.amount(), "amount");
        long hi = amount.hi;
        long lo = amount.lo;
        if (holds.slot(h.holdId()) != HoldTable.NONE || archivedHold(h.holdId()) != null) {
            throw new Rejection(Reason.HOLD_EXISTS, "hold " + h.holdId() + " already exists");
        }
        int slot = slot(h.account(), asset);
        requireAvailable(slot, h.account(), asset, hi, lo);
        undo.touch(slot);
        sum.subtract(accounts.availableHi(slot), accounts.availableLo(slot), hi, lo);
        accounts.setAvailable(slot, sum.hi, sum.lo);
        if (!sum.add(accounts.heldHi(slot), accounts.heldLo(slot), hi, lo)) {
            throw overflow();
        }
        accounts.setHeld(slot, sum.hi, sum.lo);
        undo.touchHold(holds.open(h.holdId(), slot, hi, lo, h.expiresAtMicros()), true);
    }

    void release(Command.Release r) {
        int hold = openHold(r.holdId());
        int asset = accounts.assetOf(holds.accountOf(hold));
        CrossShardTable.HoldLock lock = crossShard.lock(r.holdId());
        free(hold, lock);
        long freeHi = sum.hi;
        long freeLo = sum.lo;
        long hi;
        long lo;
        if (r.amount() == null) {
            hi = freeHi;
            lo = freeLo;
        } else {
            minor(asset, r.amount(), "amount");
            hi = amount.hi;
            lo = amount.lo;
        }
        if (Wide.compare(hi, lo, freeHi, freeLo) > 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + r.holdId() + " has " + format(freeHi, freeLo, asset)
                    + " " + assets.code(asset) + " left" + lockedText(lock, asset) + ", release asks " + format(hi, lo, asset));
        }
        releaseFromHold(hold, hi, lo, HoldTable.RELEASED);
        if (lock != null && r.amount() == null) {
            endWhenUnlocked(hold, lock, HoldTable.RELEASED, r.id());
        }
    }

    /** Sets {@link #sum} to what the hold has that no transfer between shards locked. */
    private void free(int hold, CrossShardTable.HoldLock lock) {
        if (lock == null) {
            sum.set(holds.remainingHi(hold), holds.remainingLo(hold));
        } else {
            sum.subtract(holds.remainingHi(hold), holds.remainingLo(hold), lock.lockedHi, lock.lockedLo);
        }
    }

    private String lockedText(CrossShardTable.HoldLock lock, int asset) {
        return lock == null ? "" : " (" + format(lock.lockedHi, lock.lockedLo, asset) + " more locked by transfers in flight)";
    }

    /**
     * A release of all, or an expiry, met a hold that transfers between shards locked: what was free
     * is given back now, and the rest when their locks end (docs/distributed.md, "Holds while a
     * transfer is in flight"). Until then the hold takes nothing new.
     */
    private void endWhenUnlocked(int hold, CrossShardTable.HoldLock lock, byte end, String commandId) {
        holds.unscheduleExpiry(hold);
        lock.pendingEnd = end;
        lock.pendingCommand = commandId;
        pendingEndSet = lock;
    }

    /** After the command committed: the store learns of a pending end it set. */
    void flushPendingEnd() {
        if (pendingEndSet != null) {
            protocol.pendingEndChanged(pendingEndSet);
            pendingEndSet = null;
        }
    }

    /** The command was refused: a pending end it set is forgotten. */
    void rollback() {
        if (pendingEndSet != null) {
            pendingEndSet.pendingEnd = HoldTable.OPEN;
            pendingEndSet.pendingCommand = null;
            pendingEndSet = null;
        }
    }

    void transfer(Command.Transfer t) {
        List<Leg> legs = t.legs();
        for (int i = 0; i < legs.size(); i++) {
            try {
                transferLeg(legs.get(i));
            } catch (Rejection rejection) {
                throw legs.size() == 1 ? rejection : new Rejection(rejection.reason, "legs[" + i + "]: " + rejection.getMessage());
            }
        }
    }

    private void transferLeg(Leg leg) {
        if (leg.from().equals(leg.to())) {
            throw new Rejection(Reason.SAME_ACCOUNT, "from and to are both " + leg.from());
        }
        int asset = asset(leg.asset());
        minor(asset, leg.amount(), "amount");
        long hi = amount.hi;
        long lo = amount.lo;
        if (leg.holdId() != null) {
            int hold = openHoldToSettle(leg);
            int slot = holds.accountOf(hold);
            if (!accounts.owner(slot).equals(leg.from()) || accounts.assetOf(slot) != asset) {
                throw new Rejection(Reason.HOLD_MISMATCH, "hold " + leg.holdId() + " is on " + accounts.owner(slot) + " "
                        + assets.code(accounts.assetOf(slot)) + ", not " + leg.from() + " " + leg.asset());
            }
            CrossShardTable.HoldLock lock = crossShard.lock(leg.holdId());
            free(hold, lock);
            if (Wide.compare(hi, lo, sum.hi, sum.lo) > 0) {
                throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + leg.holdId() + " has " + format(sum.hi, sum.lo, asset)
                        + " " + leg.asset() + " left" + lockedText(lock, asset) + ", transfer needs " + format(hi, lo, asset));
            }
            undo.touch(slot);
            undo.touchHold(hold, false);
            sum.subtract(accounts.heldHi(slot), accounts.heldLo(slot), hi, lo);
            accounts.setHeld(slot, sum.hi, sum.lo);
            takeFromHold(hold, hi, lo, HoldTable.SETTLED);
        } else {
            debit(leg.from(), asset, hi, lo);
        }
        credit(leg.to(), asset, hi, lo);
    }

    void adjust(Command.Adjust a) {
        requireUser(a.account(), "adjust");
        int asset = asset(a.asset());
        boolean negative = minor(asset, a.amount(), "amount");
        long hi = amount.hi;
        long lo = amount.lo;
        if (negative) {
            debit(a.account(), asset, hi, lo);
            credit(Names.ADJUSTMENTS, asset, hi, lo);
        } else {
            credit(a.account(), asset, hi, lo);
            debit(Names.ADJUSTMENTS, asset, hi, lo);
        }
    }

    /** A due hold gives back all it has left (what transfers between shards locked: when they end). */
    void expire(int hold) {
        CrossShardTable.HoldLock lock = crossShard.lock(holds.id(hold));
        if (lock == null) {
            releaseFromHold(hold, holds.remainingHi(hold), holds.remainingLo(hold), HoldTable.EXPIRED);
            return;
        }
        if (lock.ending()) {
            holds.unscheduleExpiry(hold); // released already, but for what the locks hold
            return;
        }
        free(hold, lock);
        releaseFromHold(hold, sum.hi, sum.lo, HoldTable.EXPIRED);
        endWhenUnlocked(hold, lock, HoldTable.EXPIRED, null);
    }

    // ---- postings ----------------------------------------------------------------------------

    private void releaseFromHold(int hold, long hi, long lo, byte closedState) {
        int slot = holds.accountOf(hold);
        undo.touch(slot);
        undo.touchHold(hold, false);
        sum.subtract(accounts.heldHi(slot), accounts.heldLo(slot), hi, lo);
        accounts.setHeld(slot, sum.hi, sum.lo);
        if (!sum.add(accounts.availableHi(slot), accounts.availableLo(slot), hi, lo)) {
            throw overflow();
        }
        accounts.setAvailable(slot, sum.hi, sum.lo);
        takeFromHold(hold, hi, lo, closedState);
    }

    /** The hold's remaining goes down by the amount; at zero it closes in {@code closedState}. */
    private void takeFromHold(int hold, long hi, long lo, byte closedState) {
        sum.subtract(holds.remainingHi(hold), holds.remainingLo(hold), hi, lo);
        holds.setRemaining(hold, sum.hi, sum.lo);
        if (sum.isZero()) {
            holds.states[hold] = closedState;
        }
    }

    private void credit(String owner, int asset, long hi, long lo) {
        int slot = account(owner, asset);
        if (!sum.add(accounts.availableHi(slot), accounts.availableLo(slot), hi, lo)) {
            throw overflow();
        }
        // available + held stays within 128 bits, so releasing or expiring a hold can never overflow.
        if (!total.add(sum.hi, sum.lo, accounts.heldHi(slot), accounts.heldLo(slot))) {
            throw overflow();
        }
        // ...with room for what transfers between shards will credit it, so their commits cannot fail.
        if (crossShard.hasFlows() && !crossShard.creditFits(owner, asset, total.hi, total.lo)) {
            throw overflow();
        }
        accounts.setAvailable(slot, sum.hi, sum.lo);
    }

    private void debit(String owner, int asset, long hi, long lo) {
        if (Names.isSystem(owner)) {
            int slot = account(owner, asset);
            if (!sum.subtract(accounts.availableHi(slot), accounts.availableLo(slot), hi, lo)
                    || (crossShard.hasFlows() && !crossShard.systemDebitFits(owner, asset, sum.hi, sum.lo))) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, owner + " " + assets.code(asset) + " would pass the 128-bit range");
            }
            accounts.setAvailable(slot, sum.hi, sum.lo);
            return;
        }
        int slot = slot(owner, asset);
        requireAvailable(slot, owner, asset, hi, lo);
        undo.touch(slot);
        sum.subtract(accounts.availableHi(slot), accounts.availableLo(slot), hi, lo);
        accounts.setAvailable(slot, sum.hi, sum.lo);
    }

    private void requireAvailable(int slot, String owner, int asset, long hi, long lo) {
        long availableHi = slot == AccountTable.NONE ? 0 : accounts.availableHi(slot);
        long availableLo = slot == AccountTable.NONE ? 0 : accounts.availableLo(slot);
        if (Wide.compare(availableHi, availableLo, hi, lo) < 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, owner + " has " + format(availableHi, availableLo, asset) + " "
                    + assets.code(asset) + " available, needs " + format(hi, lo, asset));
        }
    }

    private static Rejection overflow() {
        return new Rejection(Reason.AMOUNT_OVERFLOW, "the balance would pass the 128-bit range");
    }

    // ---- lookups and checks ------------------------------------------------------------------

    private int asset(String code) {
        int id = assets.id(code);
        if (id == AssetTable.NONE) {
            throw new Rejection(Reason.UNKNOWN_ASSET, "asset " + code + " is not registered");
        }
        return id;
    }

    /**
     * Sets {@link #amount} to the amount's magnitude in minor units of the asset and answers whether
     * it is negative (only an adjustment's can be).
     */
    private boolean minor(int asset, Decimal decimal, String field) {
        int scale = assets.scale(asset);
        if (decimal.fractionDigits() > scale) {
            throw new Rejection(Reason.SCALE_EXCEEDED, field + " has " + decimal.fractionDigits()
                    + " fraction digits, " + assets.code(asset) + " allows " + scale);
        }
        Int128 unscaled = decimal.unscaled();
        if (unscaled == null) {
            throw tooLarge(field, asset);
        }
        boolean negative = unscaled.isNegative();
        long hi = unscaled.hi();
        long lo = unscaled.lo();
        if (negative) {
            // Decimal never holds -2^127 (its digits are at most 2^127 - 1), so the negation fits.
            hi = Wide.negateHi(hi, lo);
            lo = -lo;
        }
        if (!amount.multiply(hi, lo, Decimal.powerOfTen(scale - decimal.fractionDigits()))) {
            throw tooLarge(field, asset);
        }
        return negative;
    }

    private Rejection tooLarge(String field, int asset) {
        return new Rejection(Reason.AMOUNT_OVERFLOW, field + " is more than 2^127-1 minor units of " + assets.code(asset));
    }

    private static void requireUser(String owner, String action) {
        if (Names.isSystem(owner)) {
            throw new Rejection(Reason.SYSTEM_ACCOUNT, "cannot " + action + " system account " + owner);
        }
    }

    /**
     * A hold to settle from: as {@link #openHold}, except that one open on another shard is not the
     * debited account's (a hold lives on its account's shard) and says so, as embedded mode would.
     */
    private int openHoldToSettle(Leg leg) {
        if (holds.slot(leg.holdId()) == HoldTable.NONE) {
            HoldView archived = archivedHold(leg.holdId());
            if (archived != null && archived.state() == HoldState.OPEN
                    && (!archived.account().equals(leg.from()) || !archived.asset().equals(leg.asset()))) {
                throw new Rejection(Reason.HOLD_MISMATCH, "hold " + leg.holdId() + " is on " + archived.account() + " "
                        + archived.asset() + ", not " + leg.from() + " " + leg.asset());
            }
        }
        return openHold(leg.holdId());
    }

    /** The open hold's slot, or a rejection that says what became of the hold. */
    private int openHold(String holdId) {
        int slot = holds.slot(holdId);
        if (slot != HoldTable.NONE) {
            if (holds.state(slot) != HoldTable.OPEN) {
                throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + HoldTable.state(holds.state(slot)) + ", not OPEN");
            }
            CrossShardTable.HoldLock lock = crossShard.lock(holdId);
            if (lock != null && lock.ending()) {
                throw new Rejection(Reason.UNKNOWN_HOLD, ProtocolRules.endingMessage(holdId, lock));
            }
            return slot;
        }
        HoldView archived = archivedHold(holdId);
        if (archived == null) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " does not exist");
        }
        if (archived.state() == HoldState.OPEN) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " is open on another shard");
        }
        throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + archived.state() + ", not OPEN");
    }

    /** A hold id used before and no longer open here, or null; the archive is asked only when the filter says maybe. */
    private HoldView archivedHold(String holdId) {
        return filter.mightContain(holdId, IdFilter.HOLD_SEED) ? archive.hold(holdId, seq) : null;
    }

    /** The account's slot, or {@link AccountTable#NONE}: looked up ahead when the writer looked ahead. */
    private int slot(String owner, int asset) {
        int slot = lookAhead.slotOf(owner, asset);
        return slot != AccountTable.NONE ? slot : accounts.slot(owner, asset);
    }

    /** The account, created if it does not exist; touched either way. */
    private int account(String owner, int asset) {
        int hinted = lookAhead.slotOf(owner, asset);
        if (hinted != AccountTable.NONE) {
            undo.touch(hinted);
            return hinted;
        }
        int ownerId = accounts.internOwner(owner);
        int slot = accounts.slot(ownerId, asset);
        if (slot == AccountTable.NONE) {
            slot = accounts.create(ownerId, asset);
        }
        undo.touch(slot);
        return slot;
    }

    private String format(long hi, long lo, int asset) {
        return Wide.format(hi, lo, assets.scale(asset));
    }
}
