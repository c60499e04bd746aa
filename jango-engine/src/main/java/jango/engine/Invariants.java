package jango.engine;

import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;

/**
 * The laws of the money model, checked always, in production too (never Java {@code assert}):
 * after every command over what it touched, and over the whole state at start-up, in audits and
 * in the tests after every batch. A violation is a bug: the shard halts and says what broke.
 */
final class Invariants {
    private final AssetTable assets;
    private final AccountTable accounts;
    private final HoldTable holds;
    private final UndoLog undo;
    private final CrossShardTable crossShard;
    private final ShardMap shards;
    private final Wide change = new Wide();
    private final Wide sum = new Wide();

    Invariants(AssetTable assets, AccountTable accounts, HoldTable holds, UndoLog undo, CrossShardTable crossShard, ShardMap shards) {
        this.assets = assets;
        this.accounts = accounts;
        this.holds = holds;
        this.undo = undo;
        this.crossShard = crossShard;
        this.shards = shards;
    }

    /**
     * A system account may swing from near -2^127 to near 2^127 within one multi-leg command; its
     * change would not fit the 128-bit deltas of its event, so such a command is refused.
     */
    void requireRepresentableChanges() {
        for (int i = 0; i < undo.touchCount; i++) {
            int slot = undo.touched[i];
            if (!accounts.isSystem(slot)) {
                continue; // a user balance stays in 0..2^127-1, so its change always fits
            }
            if (!change.subtract(accounts.availableHi(slot), accounts.availableLo(slot), undo.beforeAvailableHi(i), undo.beforeAvailableLo(i))
                    || !change.subtract(accounts.heldHi(slot), accounts.heldLo(slot), undo.beforeHeldHi(i), undo.beforeHeldLo(i))) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, "the change to " + accounts.owner(slot) + " "
                        + assets.code(accounts.assetOf(slot)) + " would pass the 128-bit range");
            }
        }
    }

    /** After every command: postings sum to zero per asset, no user account below zero, nothing held by a system account. */
    void checkCommand(long seq) {
        for (int i = 0; i < undo.touchCount; i++) {
            int slot = undo.touched[i];
            if (accounts.isSystem(slot)) {
                if (accounts.heldHi(slot) != 0 || accounts.heldLo(slot) != 0) {
                    throw new InvariantViolation("seq " + seq + ": system account " + accounts.owner(slot) + " holds "
                            + Int128.of(accounts.heldHi(slot), accounts.heldLo(slot)));
                }
            } else if (accounts.availableHi(slot) < 0 || accounts.heldHi(slot) < 0) {
                throw new InvariantViolation("seq " + seq + ": " + accounts.owner(slot) + " " + assets.code(accounts.assetOf(slot))
                        + " is negative: available " + Int128.of(accounts.availableHi(slot), accounts.availableLo(slot))
                        + ", held " + Int128.of(accounts.heldHi(slot), accounts.heldLo(slot)));
            }
            if (firstTouchOfItsAsset(i)) {
                requirePostingsSumToZero(seq, i);
            }
        }
    }

    private boolean firstTouchOfItsAsset(int i) {
        int asset = accounts.assetOf(undo.touched[i]);
        for (int j = 0; j < i; j++) {
            if (accounts.assetOf(undo.touched[j]) == asset) {
                return false;
            }
        }
        return true;
    }

    /** The sum of this command's changes to the asset of touch {@code first}, from that touch on. */
    private void requirePostingsSumToZero(long seq, int first) {
        int asset = accounts.assetOf(undo.touched[first]);
        sum.set(0, 0);
        boolean fits = true;
        for (int j = first; j < undo.touchCount && fits; j++) {
            int slot = undo.touched[j];
            if (accounts.assetOf(slot) == asset) {
                fits = change.subtract(accounts.availableHi(slot), accounts.availableLo(slot), undo.beforeAvailableHi(j), undo.beforeAvailableLo(j))
                        && sum.add(sum.hi, sum.lo, change.hi, change.lo)
                        && change.subtract(accounts.heldHi(slot), accounts.heldLo(slot), undo.beforeHeldHi(j), undo.beforeHeldLo(j))
                        && sum.add(sum.hi, sum.lo, change.hi, change.lo);
            }
        }
        if (fits && sum.isZero()) {
            return;
        }
        // A running sum may pass 128 bits on the way (MAX - 1, then + MAX, ...) and still end at zero.
        BigInteger exact = BigInteger.ZERO;
        for (int j = first; j < undo.touchCount; j++) {
            int slot = undo.touched[j];
            if (accounts.assetOf(slot) == asset) {
                exact = exact.add(big(accounts.availableHi(slot), accounts.availableLo(slot)))
                        .subtract(big(undo.beforeAvailableHi(j), undo.beforeAvailableLo(j)))
                        .add(big(accounts.heldHi(slot), accounts.heldLo(slot)))
                        .subtract(big(undo.beforeHeldHi(j), undo.beforeHeldLo(j)));
            }
        }
        if (exact.signum() != 0) {
            throw new InvariantViolation("seq " + seq + ": postings of " + assets.code(asset) + " sum to " + exact + ", not 0");
        }
    }

    /**
     * The full check over all state: conservation per asset, no negative user balance, nothing
     * held by a system account, held equal to the sum of the account's open holds and of what
     * transfers between shards reserved on it, and their locks and sums as their records say.
     *
     * @throws InvariantViolation naming what broke
     */
    void checkAll() {
        int count = accounts.count();
        long[] openHeld = new long[2 * count];
        Wide add = new Wide();
        Map<Integer, BigInteger> reserved = checkCrossShard();
        reserved.forEach((slot, amount) -> {
            Int128 total = Int128.of(openHeld[2 * slot], openHeld[2 * slot + 1]).add(Int128.fromBigInteger(amount));
            openHeld[2 * slot] = total.hi();
            openHeld[2 * slot + 1] = total.lo();
        });
        for (int hold = 0; hold < holds.highWater(); hold++) {
            if (!holds.inUse(hold)) {
                continue;
            }
            if (holds.state(hold) != HoldTable.OPEN) {
                throw new InvariantViolation("hold " + holds.id(hold) + " is " + HoldTable.state(holds.state(hold))
                        + " but still in the open holds");
            }
            long remainingHi = holds.remainingHi(hold);
            long remainingLo = holds.remainingLo(hold);
            if (remainingHi < 0 || (remainingHi == 0 && remainingLo == 0)) {
                throw new InvariantViolation("open hold " + holds.id(hold) + " has nothing left");
            }
            int slot = holds.accountOf(hold);
            if (!add.add(openHeld[2 * slot], openHeld[2 * slot + 1], remainingHi, remainingLo)) {
                throw new InvariantViolation("open holds of " + accounts.owner(slot) + " pass 128 bits");
            }
            openHeld[2 * slot] = add.hi;
            openHeld[2 * slot + 1] = add.lo;
        }
        Map<String, BigInteger> sums = new TreeMap<>();
        for (int slot = 0; slot < count; slot++) {
            String owner = accounts.owner(slot);
            String asset = assets.code(accounts.assetOf(slot));
            sums.merge(asset, big(accounts.availableHi(slot), accounts.availableLo(slot))
                    .add(big(accounts.heldHi(slot), accounts.heldLo(slot))), BigInteger::add);
            if (!accounts.isSystem(slot) && (accounts.availableHi(slot) < 0 || accounts.heldHi(slot) < 0)) {
                throw new InvariantViolation(owner + " " + asset + " is negative");
            }
            if (accounts.heldHi(slot) != openHeld[2 * slot] || accounts.heldLo(slot) != openHeld[2 * slot + 1]) {
                throw new InvariantViolation(owner + " " + asset + " holds " + Int128.of(accounts.heldHi(slot), accounts.heldLo(slot))
                        + " but its open holds and reservations sum to " + Int128.of(openHeld[2 * slot], openHeld[2 * slot + 1]));
            }
        }
        sums.forEach((asset, total) -> {
            if (total.signum() != 0) {
                throw new InvariantViolation("conservation: " + asset + " sums to " + total + " over all accounts, not 0");
            }
        });
    }

    /**
     * The records of transfers between shards against the sums kept from them: every flow and lock
     * equals what the participants say, every lock is on an open hold and within what it has left,
     * a pending end waits only for locks, and this shard's own part of a transfer it coordinates has
     * its coordinator record. Returns the reservations by account slot.
     */
    private Map<Integer, BigInteger> checkCrossShard() {
        Map<Integer, BigInteger> reservedBySlot = new TreeMap<>();
        if (crossShard.isEmpty()) {
            return reservedBySlot;
        }
        Map<String, BigInteger[]> flows = new TreeMap<>();
        Map<String, BigInteger> locked = new TreeMap<>();
        for (CrossShardTable.Participant p : crossShard.participants.values()) {
            for (CrossShardTable.Share share : p.shares) {
                BigInteger[] flow = flows.computeIfAbsent(share.owner() + " " + share.asset(),
                        k -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO});
                flow[0] = flow[0].add(share.reserved().toBigInteger());
                flow[1] = flow[1].add(share.incoming().toBigInteger());
                flow[2] = flow[2].add(share.outgoing().toBigInteger());
                if (!share.reserved().isZero()) {
                    int asset = assets.id(share.asset());
                    int slot = asset == AssetTable.NONE ? AccountTable.NONE : accounts.slot(share.owner(), asset);
                    if (slot == AccountTable.NONE) {
                        throw new InvariantViolation("transfer " + p.id + " reserved " + share.reserved() + " of " + share.owner() + " "
                                + share.asset() + ", which has no account");
                    }
                    reservedBySlot.merge(slot, share.reserved().toBigInteger(), BigInteger::add);
                }
            }
            for (CrossShardTable.HoldShare share : p.holdShares) {
                locked.merge(share.holdId(), share.locked().toBigInteger(), BigInteger::add);
            }
            CrossShardTable.Coordinator x = crossShard.coordinators.get(p.id);
            if (p.coordinator == shards.self() && (x == null || x.attempt != p.attempt)) {
                throw new InvariantViolation("transfer " + p.id + " has the coordinator's own part reserved but no coordinator record"
                        + " of attempt " + p.attempt);
            }
        }
        crossShard.flows().forEach((owner, ofOwner) -> {
            for (CrossShardTable.Flow flow : ofOwner) {
                BigInteger[] expected = flows.remove(owner + " " + assets.code(flow.asset));
                BigInteger[] kept = {big(flow.reservedHi, flow.reservedLo), big(flow.incomingHi, flow.incomingLo),
                        big(flow.outgoingHi, flow.outgoingLo)};
                if (expected == null || !java.util.Arrays.equals(expected, kept)) {
                    throw new InvariantViolation("transfers between shards: " + owner + " " + assets.code(flow.asset)
                            + " keeps reserved/incoming/outgoing " + java.util.Arrays.toString(kept) + " but its records sum to "
                            + (expected == null ? "nothing" : java.util.Arrays.toString(expected)));
                }
            }
        });
        flows.forEach((account, expected) -> {
            if (expected[0].signum() != 0 || expected[1].signum() != 0 || expected[2].signum() != 0) {
                throw new InvariantViolation("transfers between shards: " + account + " has records summing to "
                        + java.util.Arrays.toString(expected) + " but no sums kept");
            }
        });
        for (CrossShardTable.HoldLock lock : crossShard.locks.values()) {
            BigInteger expected = locked.remove(lock.holdId);
            BigInteger kept = big(lock.lockedHi, lock.lockedLo);
            if (expected == null || !expected.equals(kept) || kept.signum() <= 0) {
                throw new InvariantViolation("hold " + lock.holdId + " is locked " + kept + " but its transfers lock " + expected);
            }
            int slot = holds.slot(lock.holdId);
            if (slot == HoldTable.NONE || holds.state(slot) != HoldTable.OPEN) {
                throw new InvariantViolation("hold " + lock.holdId + " is locked but not open");
            }
            BigInteger remaining = big(holds.remainingHi(slot), holds.remainingLo(slot));
            if (kept.compareTo(remaining) > 0 || (lock.ending() && !kept.equals(remaining))) {
                throw new InvariantViolation("hold " + lock.holdId + " has " + remaining + " left but " + kept + " locked"
                        + (lock.ending() ? " while its " + HoldTable.state(lock.pendingEnd) + " waits for the locks" : ""));
            }
        }
        if (!locked.isEmpty()) {
            throw new InvariantViolation("holds " + locked.keySet() + " are locked by transfers but keep no lock");
        }
        return reservedBySlot;
    }

    private static BigInteger big(long hi, long lo) {
        return Int128.of(hi, lo).toBigInteger();
    }
}
