package jango.engine;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The money rules of shared/API.md and ARCHITECTURE.md written a second time, as plainly as
 * possible, to check the engine against: unbounded BigInteger balances with the 128-bit range
 * checked explicitly, a working copy per command that is simply dropped on rejection, and no
 * code shared with the engine beyond the command records.
 *
 * <p>Where the rules leave a choice, the model follows the engine's documented one: checks run
 * in the order the command reads (system account, then the amount against its asset, then hold,
 * then funds), legs run in order, and a tick expires at most
 * {@link Engine#MAX_EXPIRIES_PER_TICK} holds, earliest expiry first, then by hold id.
 */
final class ReferenceLedger {
    static final BigInteger MAX = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
    static final BigInteger MIN = BigInteger.ONE.shiftLeft(127).negate();

    record Key(String owner, String asset) implements Comparable<Key> {
        @Override
        public int compareTo(Key other) {
            int byOwner = owner.compareTo(other.owner);
            return byOwner != 0 ? byOwner : asset.compareTo(other.asset);
        }
    }

    static final class Balance {
        BigInteger available = BigInteger.ZERO;
        BigInteger held = BigInteger.ZERO;
        long revision;
    }

    static final class Hold {
        final String id;
        final String account;
        final String asset;
        final BigInteger amount;
        final long expiresAtMicros;
        BigInteger remaining;
        HoldState state = HoldState.OPEN;

        Hold(String id, String account, String asset, BigInteger amount, long expiresAtMicros) {
            this.id = id;
            this.account = account;
            this.asset = asset;
            this.amount = amount;
            this.expiresAtMicros = expiresAtMicros;
            this.remaining = amount;
        }
    }

    /** An event the engine should emit: one account's change, and the balance after it. */
    record Change(String commandId, String type, Key key, BigInteger availableDelta, BigInteger heldDelta,
                  BigInteger available, BigInteger held, long revision) {
    }

    /** What the model says a log entry comes to. */
    record Answer(Outcome.Kind kind, Status status, Reason reason, List<Key> touched, List<Change> changes) {
    }

    private record Stored(Command body, Status status, Reason reason) {
    }

    private static final class Reject extends RuntimeException {
        final Reason reason;

        Reject(Reason reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }
    }

    final Map<String, Integer> scales = new HashMap<>();
    final Map<Key, Balance> balances = new TreeMap<>();
    final Map<String, Hold> holds = new TreeMap<>();
    private final Map<String, Stored> results = new HashMap<>();

    // One command's working copy: key -> {available, held}, hold id -> remaining.
    private final Map<Key, BigInteger[]> work = new LinkedHashMap<>();
    private final Map<String, BigInteger> holdWork = new LinkedHashMap<>();
    private Hold placed;

    Answer apply(long atMicros, Command command) {
        switch (command) {
            case Command.RegisterAsset register -> {
                Integer scale = scales.putIfAbsent(register.code(), register.scale());
                Outcome.Kind kind = scale == null ? Outcome.Kind.ASSET_CREATED
                        : scale == register.scale() ? Outcome.Kind.ASSET_EXISTS : Outcome.Kind.ASSET_CONFLICT;
                return new Answer(kind, null, null, List.of(), List.of());
            }
            case Command.Tick tick -> {
                return new Answer(Outcome.Kind.TICK, null, null, List.of(), expire(atMicros));
            }
            default -> {
                return client(command);
            }
        }
    }

    private Answer client(Command command) {
        Stored prior = results.get(command.id());
        if (prior != null) {
            Outcome.Kind kind = prior.body().equals(command) ? Outcome.Kind.REPLAYED : Outcome.Kind.ID_CONFLICT;
            return new Answer(kind, prior.status(), prior.reason(), List.of(), List.of());
        }
        work.clear();
        holdWork.clear();
        placed = null;
        Answer answer;
        try {
            run(command);
            requireChangesFit();
            List<Key> touched = List.copyOf(work.keySet());
            answer = new Answer(Outcome.Kind.NEW, Status.APPLIED, null, touched, commit(command));
        } catch (Reject reject) {
            answer = new Answer(Outcome.Kind.NEW, Status.REJECTED, reject.reason, List.of(), List.of());
        }
        results.put(command.id(), new Stored(command, answer.status(), answer.reason()));
        return answer;
    }

    private void run(Command command) {
        switch (command) {
            case Command.Deposit d -> {
                requireUser(d.account());
                BigInteger amount = minor(d.asset(), d.amount());
                credit(d.account(), d.asset(), amount);
                debit(Names.EXTERNAL, d.asset(), amount);
            }
            case Command.Withdraw w -> {
                requireUser(w.account());
                BigInteger amount = minor(w.asset(), w.amount());
                debit(w.account(), w.asset(), amount);
                credit(Names.EXTERNAL, w.asset(), amount);
            }
            case Command.PlaceHold h -> {
                requireUser(h.account());
                BigInteger amount = minor(h.asset(), h.amount());
                if (holds.containsKey(h.holdId())) {
                    throw new Reject(Reason.HOLD_EXISTS);
                }
                BigInteger[] balance = working(h.account(), h.asset());
                if (balance[0].compareTo(amount) < 0) {
                    throw new Reject(Reason.INSUFFICIENT_FUNDS);
                }
                balance[0] = balance[0].subtract(amount);
                balance[1] = balance[1].add(amount);
                placed = new Hold(h.holdId(), h.account(), h.asset(), amount, h.expiresAtMicros());
            }
            case Command.Release r -> {
                Hold hold = openHold(r.holdId());
                BigInteger remaining = holdWork.getOrDefault(hold.id, hold.remaining);
                BigInteger amount = r.amount() == null ? remaining : minor(hold.asset, r.amount());
                if (amount.compareTo(remaining) > 0) {
                    throw new Reject(Reason.INSUFFICIENT_FUNDS);
                }
                BigInteger[] balance = working(hold.account, hold.asset);
                balance[1] = balance[1].subtract(amount);
                balance[0] = balance[0].add(amount);
                if (!inRange(balance[0])) {
                    throw new Reject(Reason.AMOUNT_OVERFLOW);
                }
                holdWork.put(hold.id, remaining.subtract(amount));
            }
            case Command.Transfer t -> t.legs().forEach(this::leg);
            case Command.Adjust a -> {
                requireUser(a.account());
                BigInteger amount = minor(a.asset(), a.amount());
                if (amount.signum() < 0) {
                    debit(a.account(), a.asset(), amount.negate());
                    credit(Names.ADJUSTMENTS, a.asset(), amount.negate());
                } else {
                    credit(a.account(), a.asset(), amount);
                    debit(Names.ADJUSTMENTS, a.asset(), amount);
                }
            }
            default -> throw new IllegalStateException("not a client command: " + command);
        }
    }

    private void leg(Leg leg) {
        if (leg.from().equals(leg.to())) {
            throw new Reject(Reason.SAME_ACCOUNT);
        }
        BigInteger amount = minor(leg.asset(), leg.amount());
        if (leg.holdId() == null) {
            debit(leg.from(), leg.asset(), amount);
        } else {
            Hold hold = openHold(leg.holdId());
            if (!hold.account.equals(leg.from()) || !hold.asset.equals(leg.asset())) {
                throw new Reject(Reason.HOLD_MISMATCH);
            }
            BigInteger remaining = holdWork.getOrDefault(hold.id, hold.remaining);
            if (amount.compareTo(remaining) > 0) {
                throw new Reject(Reason.INSUFFICIENT_FUNDS);
            }
            BigInteger[] from = working(hold.account, hold.asset);
            from[1] = from[1].subtract(amount);
            holdWork.put(hold.id, remaining.subtract(amount));
        }
        credit(leg.to(), leg.asset(), amount);
    }

    private static void requireUser(String owner) {
        if (owner.startsWith("@")) {
            throw new Reject(Reason.SYSTEM_ACCOUNT);
        }
    }

    /** The amount in minor units of {@code asset}: known asset, no more fraction digits than its scale, |x| <= 2^127-1. */
    private BigInteger minor(String asset, Decimal amount) {
        Integer scale = scales.get(asset);
        if (scale == null) {
            throw new Reject(Reason.UNKNOWN_ASSET);
        }
        if (amount.fractionDigits() > scale) {
            throw new Reject(Reason.SCALE_EXCEEDED);
        }
        if (amount.overflowed()) {
            throw new Reject(Reason.AMOUNT_OVERFLOW);
        }
        BigInteger minor = amount.unscaled().toBigInteger().multiply(BigInteger.TEN.pow(scale - amount.fractionDigits()));
        if (minor.abs().compareTo(MAX) > 0) {
            throw new Reject(Reason.AMOUNT_OVERFLOW);
        }
        return minor;
    }

    /** An open hold, as this command has left it so far (a leg may have used it up). */
    private Hold openHold(String holdId) {
        Hold hold = holds.get(holdId);
        if (hold == null || hold.state != HoldState.OPEN || holdWork.getOrDefault(holdId, hold.remaining).signum() == 0) {
            throw new Reject(Reason.UNKNOWN_HOLD);
        }
        return hold;
    }

    /** Adds to available; a balance (available + held) must stay within 128 bits. */
    private void credit(String owner, String asset, BigInteger amount) {
        BigInteger[] balance = working(owner, asset);
        BigInteger available = balance[0].add(amount);
        if (!inRange(available) || !inRange(available.add(balance[1]))) {
            throw new Reject(Reason.AMOUNT_OVERFLOW);
        }
        balance[0] = available;
    }

    /** Takes from available: a user needs the funds, a system account may go negative down to -2^127. */
    private void debit(String owner, String asset, BigInteger amount) {
        if (!owner.startsWith("@")) {
            Balance current = balances.get(new Key(owner, asset));
            BigInteger[] pending = work.get(new Key(owner, asset));
            BigInteger available = pending != null ? pending[0] : current == null ? BigInteger.ZERO : current.available;
            if (available.compareTo(amount) < 0) {
                throw new Reject(Reason.INSUFFICIENT_FUNDS);
            }
        }
        BigInteger[] balance = working(owner, asset);
        balance[0] = balance[0].subtract(amount);
        if (!inRange(balance[0])) {
            throw new Reject(Reason.AMOUNT_OVERFLOW);
        }
    }

    /** Each account's change must fit 128 bits: events carry it. */
    private void requireChangesFit() {
        work.forEach((key, after) -> {
            Balance before = balances.get(key);
            BigInteger availableBefore = before == null ? BigInteger.ZERO : before.available;
            BigInteger heldBefore = before == null ? BigInteger.ZERO : before.held;
            if (!inRange(after[0].subtract(availableBefore)) || !inRange(after[1].subtract(heldBefore))) {
                throw new Reject(Reason.AMOUNT_OVERFLOW);
            }
        });
    }

    private BigInteger[] working(String owner, String asset) {
        return work.computeIfAbsent(new Key(owner, asset), key -> {
            Balance balance = balances.get(key);
            return balance == null
                    ? new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO}
                    : new BigInteger[] {balance.available, balance.held};
        });
    }

    private List<Change> commit(Command command) {
        List<Change> changes = new ArrayList<>();
        work.forEach((key, after) -> {
            Balance balance = balances.computeIfAbsent(key, k -> new Balance());
            BigInteger availableDelta = after[0].subtract(balance.available);
            BigInteger heldDelta = after[1].subtract(balance.held);
            if (availableDelta.signum() != 0 || heldDelta.signum() != 0) {
                balance.available = after[0];
                balance.held = after[1];
                balance.revision++;
                changes.add(new Change(command.id(), command.type(), key, availableDelta, heldDelta,
                        balance.available, balance.held, balance.revision));
            }
        });
        HoldState closed = command instanceof Command.Release ? HoldState.RELEASED : HoldState.SETTLED;
        holdWork.forEach((id, remaining) -> {
            Hold hold = holds.get(id);
            hold.remaining = remaining;
            if (remaining.signum() == 0) {
                hold.state = closed;
            }
        });
        if (placed != null) {
            holds.put(placed.id, placed);
        }
        return changes;
    }

    private List<Change> expire(long atMicros) {
        List<Hold> due = holds.values().stream()
                .filter(h -> h.state == HoldState.OPEN && h.expiresAtMicros != Command.NO_EXPIRY && h.expiresAtMicros <= atMicros)
                .sorted(Comparator.comparingLong((Hold h) -> h.expiresAtMicros).thenComparing(h -> h.id))
                .limit(Engine.MAX_EXPIRIES_PER_TICK)
                .toList();
        List<Change> changes = new ArrayList<>();
        for (Hold hold : due) {
            Key key = new Key(hold.account, hold.asset);
            Balance balance = balances.get(key);
            balance.available = balance.available.add(hold.remaining);
            balance.held = balance.held.subtract(hold.remaining);
            if (!inRange(balance.available)) {
                throw new AssertionError("model: expiring " + hold.id + " takes " + key + " past 128 bits");
            }
            balance.revision++;
            changes.add(new Change(null, "expire", key, hold.remaining, hold.remaining.negate(), balance.available,
                    balance.held, balance.revision));
            hold.remaining = BigInteger.ZERO;
            hold.state = HoldState.EXPIRED;
        }
        return changes;
    }

    /** The next time an open hold is due, as the engine reports it. */
    long nextExpiryMicros() {
        return holds.values().stream().filter(h -> h.state == HoldState.OPEN)
                .mapToLong(h -> h.expiresAtMicros).min().orElse(Command.NO_EXPIRY);
    }

    // ---- hints for the command generator (read-only) -------------------------------------------

    BigInteger available(String owner, String asset) {
        Balance balance = balances.get(new Key(owner, asset));
        return balance == null ? BigInteger.ZERO : balance.available;
    }

    List<Hold> openHolds() {
        return holds.values().stream().filter(h -> h.state == HoldState.OPEN).toList();
    }

    static boolean inRange(BigInteger value) {
        return value.compareTo(MAX) <= 0 && value.compareTo(MIN) >= 0;
    }
}
