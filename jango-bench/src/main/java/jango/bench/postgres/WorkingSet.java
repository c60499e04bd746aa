package jango.bench.postgres;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.HoldState;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Reason;
import jango.engine.Status;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows one transaction has locked, and the money rules applied to them in memory: the same
 * rules, checks and rejection reasons as {@code jango.engine.Engine}, written again over
 * {@link BigInteger} with explicit 128-bit bounds (an independent implementation, so comparing the
 * two in tests checks something). A rejected command leaves the rows as they were; an applied one
 * marks what must be written and records one history entry per balance it changed.
 */
final class WorkingSet {
    static final BigInteger MAX = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
    static final BigInteger MIN = BigInteger.ONE.shiftLeft(127).negate();

    /** A balance row's key; ordered by owner, then asset, as the lock order (bytewise, like COLLATE "C"). */
    record Key(String owner, String asset) implements Comparable<Key> {
        @Override
        public int compareTo(Key other) {
            int byOwner = owner.compareTo(other.owner);
            return byOwner != 0 ? byOwner : asset.compareTo(other.asset);
        }
    }

    static final class BalanceRow {
        final Key key;
        /** The row exists in the table (and this transaction holds its lock); otherwise it is INSERTed. */
        final boolean stored;
        BigInteger available;
        BigInteger held;
        long revision;
        /** A stored row an applied command changed: it is UPDATEd. */
        boolean changed;

        BalanceRow(Key key, boolean stored, BigInteger available, BigInteger held, long revision) {
            this.key = key;
            this.stored = stored;
            this.available = available;
            this.held = held;
            this.revision = revision;
        }
    }

    static final class HoldRow {
        final String holdId;
        final String owner;
        final String asset;
        final BigInteger amount;
        final long expiresAtMicros;
        final boolean stored;
        BigInteger remaining;
        HoldState state;
        boolean changed;

        HoldRow(String holdId, String owner, String asset, BigInteger amount, long expiresAtMicros, boolean stored,
                BigInteger remaining, HoldState state) {
            this.holdId = holdId;
            this.owner = owner;
            this.asset = asset;
            this.amount = amount;
            this.expiresAtMicros = expiresAtMicros;
            this.stored = stored;
            this.remaining = remaining;
            this.state = state;
        }
    }

    /** One history row: an applied command changed one balance. */
    record Change(String commandId, String type, String owner, String asset, BigInteger available, BigInteger held,
                  BigInteger availableDelta, BigInteger heldDelta, long revision) {
    }

    /** What applying one command came to; {@code balancesChanged} counts its history rows. */
    record Applied(Status status, Reason reason, String message, int balancesChanged) {
    }

    private static final class Rejection extends RuntimeException {
        final Reason reason;

        Rejection(Reason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private record Touch(BalanceRow row, BigInteger availableBefore, BigInteger heldBefore, boolean created) {
    }

    private record HoldTouch(HoldRow hold, BigInteger remainingBefore, HoldState stateBefore) {
    }

    private Map<String, Integer> scales = Map.of();
    private final Map<Key, BalanceRow> balances = new HashMap<>();
    private final Map<String, HoldRow> holds = new HashMap<>();
    private final List<Change> changes = new ArrayList<>();
    private final List<Touch> touches = new ArrayList<>();
    private final List<HoldTouch> holdTouches = new ArrayList<>();

    /**
     * Asset code to scale for every registered asset the commands use (those they name and those of
     * their holds); set once the holds are locked, before {@link #apply}.
     */
    void useScales(Map<String, Integer> scalesByAsset) {
        this.scales = Map.copyOf(scalesByAsset);
    }

    void addStoredBalance(String owner, String asset, BigInteger available, BigInteger held, long revision) {
        Key key = new Key(owner, asset);
        balances.put(key, new BalanceRow(key, true, available, held, revision));
    }

    void addStoredHold(String holdId, String owner, String asset, BigInteger amount, BigInteger remaining,
                       long expiresAtMicros, HoldState state) {
        holds.put(holdId, new HoldRow(holdId, owner, asset, amount, expiresAtMicros, true, remaining, state));
    }

    HoldRow hold(String holdId) {
        return holds.get(holdId);
    }

    Collection<BalanceRow> balances() {
        return balances.values();
    }

    Collection<HoldRow> holds() {
        return holds.values();
    }

    /** History rows of the applied commands, in order. */
    List<Change> changes() {
        return changes;
    }

    Applied apply(Command command) {
        touches.clear();
        holdTouches.clear();
        try {
            switch (command) {
                case Command.Deposit d -> deposit(d);
                case Command.Withdraw w -> withdraw(w);
                case Command.PlaceHold h -> placeHold(h);
                case Command.Release r -> release(r);
                case Command.Transfer t -> transfer(t);
                case Command.Adjust a -> adjust(a);
                default -> throw new IllegalArgumentException("not a client command: " + command.type());
            }
            requireRepresentableChanges();
        } catch (Rejection rejection) {
            rollback();
            return new Applied(Status.REJECTED, rejection.reason, rejection.getMessage(), 0);
        }
        return new Applied(Status.APPLIED, null, null, commit(command));
    }

    // ---- commands (the order of checks is the engine's, so the first failing reason is the same) ----

    private void deposit(Command.Deposit d) {
        requireUser(d.account(), "deposit to");
        BigInteger amount = minor(d.asset(), d.amount());
        credit(d.account(), d.asset(), amount);
        debit(Names.EXTERNAL, d.asset(), amount);
    }

    private void withdraw(Command.Withdraw w) {
        requireUser(w.account(), "withdraw from");
        BigInteger amount = minor(w.asset(), w.amount());
        debit(w.account(), w.asset(), amount);
        credit(Names.EXTERNAL, w.asset(), amount);
    }

    private void placeHold(Command.PlaceHold h) {
        requireUser(h.account(), "hold on");
        BigInteger amount = minor(h.asset(), h.amount());
        if (holds.containsKey(h.holdId())) {
            throw new Rejection(Reason.HOLD_EXISTS, "hold " + h.holdId() + " already exists");
        }
        BalanceRow row = balances.get(new Key(h.account(), h.asset()));
        requireAvailable(row, h.account(), h.asset(), amount);
        touch(row, false);
        row.available = row.available.subtract(amount);
        row.held = checkedAdd(row.held, amount);
        HoldRow hold = new HoldRow(h.holdId(), h.account(), h.asset(), amount, h.expiresAtMicros(), false, amount, HoldState.OPEN);
        holds.put(hold.holdId, hold);
        holdTouches.add(new HoldTouch(hold, null, null));
    }

    private void release(Command.Release r) {
        HoldRow hold = openHold(r.holdId());
        BigInteger amount = r.amount() == null ? hold.remaining : minor(hold.asset, r.amount());
        if (amount.compareTo(hold.remaining) > 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + hold.holdId + " has " + format(hold.remaining, hold.asset)
                    + " " + hold.asset + " left, release asks " + format(amount, hold.asset));
        }
        BalanceRow row = balances.get(new Key(hold.owner, hold.asset));
        touch(row, false);
        touchHold(hold);
        row.held = row.held.subtract(amount);
        row.available = checkedAdd(row.available, amount);
        hold.remaining = hold.remaining.subtract(amount);
        if (hold.remaining.signum() == 0) {
            hold.state = HoldState.RELEASED;
        }
    }

    private void transfer(Command.Transfer t) {
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
        BigInteger amount = minor(leg.asset(), leg.amount());
        if (leg.holdId() != null) {
            HoldRow hold = openHold(leg.holdId());
            if (!hold.owner.equals(leg.from()) || !hold.asset.equals(leg.asset())) {
                throw new Rejection(Reason.HOLD_MISMATCH, "hold " + hold.holdId + " is on " + hold.owner + " " + hold.asset
                        + ", not " + leg.from() + " " + leg.asset());
            }
            if (amount.compareTo(hold.remaining) > 0) {
                throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + hold.holdId + " has " + format(hold.remaining, hold.asset)
                        + " " + hold.asset + " left, transfer needs " + format(amount, hold.asset));
            }
            BalanceRow from = balances.get(new Key(hold.owner, hold.asset));
            touch(from, false);
            touchHold(hold);
            from.held = from.held.subtract(amount);
            hold.remaining = hold.remaining.subtract(amount);
            if (hold.remaining.signum() == 0) {
                hold.state = HoldState.SETTLED;
            }
        } else {
            debit(leg.from(), leg.asset(), amount);
        }
        credit(leg.to(), leg.asset(), amount);
    }

    private void adjust(Command.Adjust a) {
        requireUser(a.account(), "adjust");
        BigInteger amount = minor(a.asset(), a.amount());
        if (amount.signum() < 0) {
            debit(a.account(), a.asset(), amount.negate());
            credit(Names.ADJUSTMENTS, a.asset(), amount.negate());
        } else {
            credit(a.account(), a.asset(), amount);
            debit(Names.ADJUSTMENTS, a.asset(), amount);
        }
    }

    // ---- postings ---------------------------------------------------------------------------------

    private void credit(String owner, String asset, BigInteger amount) {
        BalanceRow row = rowCreatingIfAbsent(owner, asset);
        BigInteger available = checkedAdd(row.available, amount);
        // available + held stays within 128 bits, so releasing a hold can never overflow.
        checkedAdd(available, row.held);
        row.available = available;
    }

    private void debit(String owner, String asset, BigInteger amount) {
        if (Names.isSystem(owner)) {
            BalanceRow row = rowCreatingIfAbsent(owner, asset);
            BigInteger available = row.available.subtract(amount);
            if (!fits(available)) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, owner + " " + asset + " would pass the 128-bit range");
            }
            row.available = available;
            return;
        }
        BalanceRow row = balances.get(new Key(owner, asset));
        requireAvailable(row, owner, asset, amount);
        touch(row, false);
        row.available = row.available.subtract(amount);
    }

    private void requireAvailable(BalanceRow row, String owner, String asset, BigInteger amount) {
        BigInteger available = row == null ? BigInteger.ZERO : row.available;
        if (available.compareTo(amount) < 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, owner + " has " + format(available, asset) + " " + asset
                    + " available, needs " + format(amount, asset));
        }
    }

    /** Minor units as the API writes amounts: canonical decimal in the asset's scale ("1.5", "0", "-2"). */
    private String format(BigInteger minor, String asset) {
        BigDecimal value = new BigDecimal(minor, scales.get(asset)).stripTrailingZeros();
        return value.signum() == 0 ? "0" : value.scale() < 0 ? value.setScale(0).toPlainString() : value.toPlainString();
    }

    private static BigInteger checkedAdd(BigInteger balance, BigInteger amount) {
        BigInteger sum = balance.add(amount);
        if (!fits(sum)) {
            throw new Rejection(Reason.AMOUNT_OVERFLOW, "the balance would pass the 128-bit range");
        }
        return sum;
    }

    static boolean fits(BigInteger value) {
        return value.compareTo(MAX) <= 0 && value.compareTo(MIN) >= 0;
    }

    // ---- lookups and checks -----------------------------------------------------------------------

    /** Minor units of {@code amount} in {@code asset}: UNKNOWN_ASSET, SCALE_EXCEEDED or AMOUNT_OVERFLOW, in that order. */
    private BigInteger minor(String asset, Decimal amount) {
        Integer scale = scales.get(asset);
        if (scale == null) {
            throw new Rejection(Reason.UNKNOWN_ASSET, "asset " + asset + " is not registered");
        }
        if (amount.fractionDigits() > scale) {
            throw new Rejection(Reason.SCALE_EXCEEDED, "amount has " + amount.fractionDigits()
                    + " fraction digits, " + asset + " allows " + scale);
        }
        BigInteger minor = amount.overflowed() ? null
                : amount.unscaled().toBigInteger().multiply(BigInteger.TEN.pow(scale - amount.fractionDigits()));
        // Both signs are bounded by 2^127-1: -2^127 has no positive counterpart.
        if (minor == null || minor.abs().compareTo(MAX) > 0) {
            throw new Rejection(Reason.AMOUNT_OVERFLOW, "amount is more than 2^127-1 minor units of " + asset);
        }
        return minor;
    }

    private static void requireUser(String owner, String action) {
        if (Names.isSystem(owner)) {
            throw new Rejection(Reason.SYSTEM_ACCOUNT, "cannot " + action + " system account " + owner);
        }
    }

    private HoldRow openHold(String holdId) {
        HoldRow hold = holds.get(holdId);
        if (hold == null) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " does not exist");
        }
        if (hold.state != HoldState.OPEN) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + hold.state + ", not OPEN");
        }
        return hold;
    }

    private BalanceRow rowCreatingIfAbsent(String owner, String asset) {
        Key key = new Key(owner, asset);
        BalanceRow row = balances.get(key);
        boolean created = false;
        if (row == null) {
            row = new BalanceRow(key, false, BigInteger.ZERO, BigInteger.ZERO, 0);
            balances.put(key, row);
            created = true;
        }
        touch(row, created);
        return row;
    }

    // ---- one command's undo and commit ------------------------------------------------------------

    private void touch(BalanceRow row, boolean created) {
        for (Touch touch : touches) {
            if (touch.row == row) {
                return;
            }
        }
        touches.add(new Touch(row, row.available, row.held, created));
    }

    private void touchHold(HoldRow hold) {
        for (HoldTouch touch : holdTouches) {
            if (touch.hold == hold) {
                return;
            }
        }
        holdTouches.add(new HoldTouch(hold, hold.remaining, hold.state));
    }

    /** A system account's change must fit the 128-bit deltas the engine's events carry. */
    private void requireRepresentableChanges() {
        for (Touch touch : touches) {
            BalanceRow row = touch.row;
            if (Names.isSystem(row.key.owner())
                    && (!fits(row.available.subtract(touch.availableBefore)) || !fits(row.held.subtract(touch.heldBefore)))) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, "the change to " + row.key.owner() + " " + row.key.asset()
                        + " would pass the 128-bit range");
            }
        }
    }

    private void rollback() {
        for (int i = touches.size() - 1; i >= 0; i--) {
            Touch touch = touches.get(i);
            touch.row.available = touch.availableBefore;
            touch.row.held = touch.heldBefore;
            if (touch.created) {
                balances.remove(touch.row.key);
            }
        }
        for (int i = holdTouches.size() - 1; i >= 0; i--) {
            HoldTouch touch = holdTouches.get(i);
            if (touch.stateBefore == null) {
                holds.remove(touch.hold.holdId);
            } else {
                touch.hold.remaining = touch.remainingBefore;
                touch.hold.state = touch.stateBefore;
            }
        }
        touches.clear();
        holdTouches.clear();
    }

    private int commit(Command command) {
        checkCommandInvariants(command);
        int changed = 0;
        for (Touch touch : touches) {
            BalanceRow row = touch.row;
            BigInteger availableDelta = row.available.subtract(touch.availableBefore);
            BigInteger heldDelta = row.held.subtract(touch.heldBefore);
            if (availableDelta.signum() != 0 || heldDelta.signum() != 0) {
                row.revision++;
                row.changed = true;
                changes.add(new Change(command.id(), command.type(), row.key.owner(), row.key.asset(), row.available, row.held,
                        availableDelta, heldDelta, row.revision));
                changed++;
            }
        }
        for (HoldTouch touch : holdTouches) {
            touch.hold.changed = true;
        }
        touches.clear();
        holdTouches.clear();
        return changed;
    }

    /** Checked on every command: postings sum to zero per asset, no user below zero, nothing held by a system account. */
    private void checkCommandInvariants(Command command) {
        Map<String, BigInteger> sums = new HashMap<>();
        for (Touch touch : touches) {
            BalanceRow row = touch.row;
            if (Names.isSystem(row.key.owner()) ? row.held.signum() != 0 : row.available.signum() < 0 || row.held.signum() < 0) {
                throw new IllegalStateException("command " + command.id() + ": " + row.key + " is out of bounds: available "
                        + row.available + ", held " + row.held);
            }
            sums.merge(row.key.asset(), row.available.subtract(touch.availableBefore).add(row.held).subtract(touch.heldBefore),
                    BigInteger::add);
        }
        sums.forEach((asset, sum) -> {
            if (sum.signum() != 0) {
                throw new IllegalStateException("command " + command.id() + ": postings of " + asset + " sum to " + sum + ", not 0");
            }
        });
    }
}
