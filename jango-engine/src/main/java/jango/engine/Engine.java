package jango.engine;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The balance state machine: {@code state + entry(seq, time, command) -> new state + outcome + events}.
 * Pure and deterministic: no I/O, no clock (time is the sequencer's stamp on each entry), no threads.
 * One writer calls {@link #apply}; the only state other threads may read is the asset table and the
 * stored results (immutable values in concurrent maps), so the server can answer replays and
 * {@code GET /v1/commands/{id}} without a round trip through the writer.
 */
public final class Engine {
    /** Bound on the work one tick does; the sequencer ticks again while holds are due. */
    public static final int MAX_EXPIRIES_PER_TICK = 10_000;

    static final class Account {
        final String owner;
        final String asset;
        Int128 available = Int128.ZERO;
        Int128 held = Int128.ZERO;
        long revision;

        Account(String owner, String asset) {
            this.owner = owner;
            this.asset = asset;
        }

        BalanceView view() {
            return new BalanceView(owner, asset, available, held, revision);
        }
    }

    static final class Hold {
        final String id;
        final String account;
        final String asset;
        final Int128 amount;
        final long expiresAtMicros;
        Int128 remaining;
        HoldState state;

        Hold(String id, String account, String asset, Int128 amount, long expiresAtMicros, Int128 remaining, HoldState state) {
            this.id = id;
            this.account = account;
            this.asset = asset;
            this.amount = amount;
            this.expiresAtMicros = expiresAtMicros;
            this.remaining = remaining;
            this.state = state;
        }

        HoldView view() {
            return new HoldView(id, account, asset, amount, remaining, expiresAtMicros, state);
        }
    }

    /** A stored result and the canonical encoding of the command that made it (for ID_CONFLICT). */
    public record StoredResult(byte[] fingerprint, Result result) {
        /** The answer to a command whose id already has this result: a replay if the body is the same, else a conflict. */
        public Outcome answer(String commandId, byte[] commandFingerprint) {
            if (Arrays.equals(fingerprint, commandFingerprint)) {
                return Outcome.of(Outcome.Kind.REPLAYED, result);
            }
            return new Outcome(Outcome.Kind.ID_CONFLICT, result, "command id " + commandId + " was already used with another body", -1);
        }
    }

    /** What one command touched, and how it was before, so a failed multi-leg can be undone. */
    private static final class Touch {
        Account account;
        Int128 availableBefore;
        Int128 heldBefore;
        boolean created;
    }

    private static final class HoldTouch {
        Hold hold;
        Int128 remainingBefore;
        HoldState stateBefore;
    }

    /** A business rule refused the command; thrown inside one command, always caught in it. */
    private static final class Rejection extends RuntimeException {
        final Reason reason;

        Rejection(Reason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private final Map<String, Integer> assetScales = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Account>> accounts = new HashMap<>();
    private final Map<String, Hold> holds = new HashMap<>();
    private final PriorityQueue<Hold> expiries = new PriorityQueue<>(
            Comparator.comparingLong((Hold h) -> h.expiresAtMicros).thenComparing(h -> h.id));
    private final Map<String, StoredResult> results = new ConcurrentHashMap<>();
    private long lastSeq;
    private long lastAtMicros;

    private final ArrayList<Touch> touches = new ArrayList<>();
    private int touchCount;
    private final ArrayList<HoldTouch> holdTouches = new ArrayList<>();
    private int holdTouchCount;

    public long lastSeq() {
        return lastSeq;
    }

    public long lastAtMicros() {
        return lastAtMicros;
    }

    /**
     * Applies one log entry. {@code seq} must follow {@link #lastSeq()} by one and time must not
     * go backwards: the log decides order once, and the engine refuses anything else.
     */
    public Outcome apply(long seq, long atMicros, Command command, EngineListener listener) {
        return apply(seq, atMicros, command, null, listener);
    }

    /**
     * As {@link #apply(long, long, Command, EngineListener)}, with the command's fingerprint
     * ({@code CommandCodec.encode(command)}) when the caller already has those bytes: the journal
     * record holds exactly them, so the writer need not encode every command twice. Null to
     * have the engine encode it.
     */
    public Outcome apply(long seq, long atMicros, Command command, byte[] encoded, EngineListener listener) {
        if (seq != lastSeq + 1) {
            throw new InvariantViolation("log gap: entry seq " + seq + " after " + lastSeq);
        }
        if (atMicros < lastAtMicros) {
            throw new InvariantViolation("time went backwards at seq " + seq + ": " + atMicros + " < " + lastAtMicros);
        }
        lastSeq = seq;
        lastAtMicros = atMicros;
        if (command instanceof Command.RegisterAsset register) {
            return registerAsset(register);
        }
        if (command instanceof Command.Tick) {
            expireDue(seq, atMicros, listener);
            return Outcome.of(Outcome.Kind.TICK, null);
        }
        byte[] fingerprint = encoded != null ? encoded : CommandCodec.encode(command);
        StoredResult prior = results.get(command.id());
        if (prior != null) {
            return prior.answer(command.id(), fingerprint);
        }
        Result result = execute(seq, atMicros, command, listener);
        results.put(command.id(), new StoredResult(fingerprint, result));
        return Outcome.of(Outcome.Kind.NEW, result);
    }

    /**
     * Records a rejection decided outside this engine's state, as one log entry: in distributed
     * mode a hold id already taken on another shard ({@link Reason#HOLD_EXISTS}). Stored and
     * replayed like any other result, so the same id always gets the same answer.
     */
    public Outcome reject(long seq, long atMicros, Command command, byte[] encoded, Reason reason, String message) {
        if (seq != lastSeq + 1 || atMicros < lastAtMicros) {
            throw new InvariantViolation("reject out of order at seq " + seq + " after " + lastSeq);
        }
        byte[] fingerprint = encoded != null ? encoded : CommandCodec.encode(command);
        StoredResult prior = results.get(command.id());
        if (prior != null) {
            return prior.answer(command.id(), fingerprint);
        }
        lastSeq = seq;
        lastAtMicros = atMicros;
        Result result = new Result(command.id(), Status.REJECTED, reason, message, seq, atMicros, List.of());
        results.put(command.id(), new StoredResult(fingerprint, result));
        return Outcome.of(Outcome.Kind.NEW, result);
    }

    private Outcome registerAsset(Command.RegisterAsset register) {
        Integer existing = assetScales.get(register.code());
        if (existing == null) {
            assetScales.put(register.code(), register.scale());
            return Outcome.of(Outcome.Kind.ASSET_CREATED, null);
        }
        if (existing == register.scale()) {
            return Outcome.of(Outcome.Kind.ASSET_EXISTS, null);
        }
        return new Outcome(Outcome.Kind.ASSET_CONFLICT, null,
                "asset " + register.code() + " exists with scale " + existing, existing);
    }

    private Result execute(long seq, long atMicros, Command command, EngineListener listener) {
        touchCount = 0;
        holdTouchCount = 0;
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
            return new Result(command.id(), Status.REJECTED, rejection.reason, rejection.getMessage(), seq, atMicros, List.of());
        }
        List<BalanceView> balances = commit(seq, atMicros, command.id(), command.type(), listener);
        if (command instanceof Command.PlaceHold h && h.expiresAtMicros() != Command.NO_EXPIRY) {
            expiries.add(holds.get(h.holdId()));
        }
        return new Result(command.id(), Status.APPLIED, null, null, seq, atMicros, balances);
    }

    // ---- commands ----------------------------------------------------------------------------

    private void deposit(Command.Deposit d) {
        requireUser(d.account(), "deposit to");
        Int128 amount = minor(d.asset(), d.amount(), "amount");
        credit(d.account(), d.asset(), amount);
        debit(Names.EXTERNAL, d.asset(), amount);
    }

    private void withdraw(Command.Withdraw w) {
        requireUser(w.account(), "withdraw from");
        Int128 amount = minor(w.asset(), w.amount(), "amount");
        debit(w.account(), w.asset(), amount);
        credit(Names.EXTERNAL, w.asset(), amount);
    }

    private void placeHold(Command.PlaceHold h) {
        requireUser(h.account(), "hold on");
        Int128 amount = minor(h.asset(), h.amount(), "amount");
        if (holds.containsKey(h.holdId())) {
            throw new Rejection(Reason.HOLD_EXISTS, "hold " + h.holdId() + " already exists");
        }
        Account account = existing(h.account(), h.asset());
        requireAvailable(account, h.account(), h.asset(), amount);
        touch(account, false);
        account.available = account.available.subtract(amount);
        account.held = checkedAdd(account.held, amount);
        Hold hold = new Hold(h.holdId(), h.account(), h.asset(), amount, h.expiresAtMicros(), amount, HoldState.OPEN);
        holds.put(hold.id, hold);
        HoldTouch created = touchHold(hold);
        created.stateBefore = null;
    }

    private void release(Command.Release r) {
        Hold hold = openHold(r.holdId());
        Int128 amount = r.amount() == null ? hold.remaining : minor(hold.asset, r.amount(), "amount");
        if (amount.compareTo(hold.remaining) > 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + hold.id + " has " + format(hold.remaining, hold.asset)
                    + " " + hold.asset + " left, release asks " + format(amount, hold.asset));
        }
        releaseFromHold(hold, amount, HoldState.RELEASED);
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
        Int128 amount = minor(leg.asset(), leg.amount(), "amount");
        if (leg.holdId() != null) {
            Hold hold = openHold(leg.holdId());
            if (!hold.account.equals(leg.from()) || !hold.asset.equals(leg.asset())) {
                throw new Rejection(Reason.HOLD_MISMATCH, "hold " + hold.id + " is on " + hold.account + " " + hold.asset
                        + ", not " + leg.from() + " " + leg.asset());
            }
            if (amount.compareTo(hold.remaining) > 0) {
                throw new Rejection(Reason.INSUFFICIENT_FUNDS, "hold " + hold.id + " has " + format(hold.remaining, hold.asset)
                        + " " + hold.asset + " left, transfer needs " + format(amount, hold.asset));
            }
            Account from = existing(hold.account, hold.asset);
            touch(from, false);
            touchHold(hold);
            from.held = from.held.subtract(amount);
            hold.remaining = hold.remaining.subtract(amount);
            if (hold.remaining.isZero()) {
                hold.state = HoldState.SETTLED;
            }
        } else {
            debit(leg.from(), leg.asset(), amount);
        }
        credit(leg.to(), leg.asset(), amount);
    }

    private void adjust(Command.Adjust a) {
        requireUser(a.account(), "adjust");
        Int128 amount = minor(a.asset(), a.amount(), "amount");
        if (amount.isNegative()) {
            Int128 magnitude = amount.negate();
            debit(a.account(), a.asset(), magnitude);
            credit(Names.ADJUSTMENTS, a.asset(), magnitude);
        } else {
            credit(a.account(), a.asset(), amount);
            debit(Names.ADJUSTMENTS, a.asset(), amount);
        }
    }

    private void expireDue(long seq, long atMicros, EngineListener listener) {
        int expired = 0;
        while (expired < MAX_EXPIRIES_PER_TICK && !expiries.isEmpty() && expiries.peek().expiresAtMicros <= atMicros) {
            Hold hold = expiries.poll();
            if (hold.state != HoldState.OPEN) {
                continue;
            }
            touchCount = 0;
            holdTouchCount = 0;
            releaseFromHold(hold, hold.remaining, HoldState.EXPIRED);
            commit(seq, atMicros, null, "expire", listener);
            expired++;
        }
    }

    /** The next time a hold is due to expire, or {@link Command#NO_EXPIRY}; the sequencer ticks then. */
    public long nextExpiryMicros() {
        while (!expiries.isEmpty() && expiries.peek().state != HoldState.OPEN) {
            expiries.poll();
        }
        return expiries.isEmpty() ? Command.NO_EXPIRY : expiries.peek().expiresAtMicros;
    }

    // ---- postings ----------------------------------------------------------------------------

    private void releaseFromHold(Hold hold, Int128 amount, HoldState closedState) {
        Account account = existing(hold.account, hold.asset);
        touch(account, false);
        touchHold(hold);
        account.held = account.held.subtract(amount);
        account.available = checkedAdd(account.available, amount);
        hold.remaining = hold.remaining.subtract(amount);
        if (hold.remaining.isZero()) {
            hold.state = closedState;
        }
    }

    private void credit(String owner, String asset, Int128 amount) {
        Account account = account(owner, asset);
        Int128 available = checkedAdd(account.available, amount);
        // available + held stays within 128 bits, so releasing or expiring a hold can never overflow.
        checkedAdd(available, account.held);
        account.available = available;
    }

    private void debit(String owner, String asset, Int128 amount) {
        if (Names.isSystem(owner)) {
            Account account = account(owner, asset);
            try {
                account.available = account.available.subtract(amount);
            } catch (ArithmeticException e) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, owner + " " + asset + " would pass the 128-bit range");
            }
            return;
        }
        Account account = existing(owner, asset);
        requireAvailable(account, owner, asset, amount);
        touch(account, false);
        account.available = account.available.subtract(amount);
    }

    private void requireAvailable(Account account, String owner, String asset, Int128 amount) {
        Int128 available = account == null ? Int128.ZERO : account.available;
        if (available.compareTo(amount) < 0) {
            throw new Rejection(Reason.INSUFFICIENT_FUNDS, owner + " has " + format(available, asset) + " " + asset
                    + " available, needs " + format(amount, asset));
        }
    }

    private static Int128 checkedAdd(Int128 balance, Int128 amount) {
        try {
            return balance.add(amount);
        } catch (ArithmeticException e) {
            throw new Rejection(Reason.AMOUNT_OVERFLOW, "the balance would pass the 128-bit range");
        }
    }

    // ---- lookups and checks ------------------------------------------------------------------

    private Int128 minor(String asset, Decimal amount, String field) {
        Integer scale = assetScales.get(asset);
        if (scale == null) {
            throw new Rejection(Reason.UNKNOWN_ASSET, "asset " + asset + " is not registered");
        }
        if (amount.fractionDigits() > scale) {
            throw new Rejection(Reason.SCALE_EXCEEDED, field + " has " + amount.fractionDigits()
                    + " fraction digits, " + asset + " allows " + scale);
        }
        try {
            Int128 minor = amount.toMinor(scale);
            if (minor.equals(Int128.MIN)) {
                throw new ArithmeticException("-2^127 has no positive counterpart");
            }
            return minor;
        } catch (ArithmeticException e) {
            throw new Rejection(Reason.AMOUNT_OVERFLOW, field + " is more than 2^127-1 minor units of " + asset);
        }
    }

    private static void requireUser(String owner, String action) {
        if (Names.isSystem(owner)) {
            throw new Rejection(Reason.SYSTEM_ACCOUNT, "cannot " + action + " system account " + owner);
        }
    }

    private Hold openHold(String holdId) {
        Hold hold = holds.get(holdId);
        if (hold == null) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " does not exist");
        }
        if (hold.state != HoldState.OPEN) {
            throw new Rejection(Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + hold.state + ", not OPEN");
        }
        return hold;
    }

    private Account existing(String owner, String asset) {
        Map<String, Account> byAsset = accounts.get(owner);
        return byAsset == null ? null : byAsset.get(asset);
    }

    /** The account, created (and remembered as created, for rollback) if it did not exist. */
    private Account account(String owner, String asset) {
        Map<String, Account> byAsset = accounts.computeIfAbsent(owner, o -> new HashMap<>(4));
        Account account = byAsset.get(asset);
        boolean created = false;
        if (account == null) {
            account = new Account(owner, asset);
            byAsset.put(asset, account);
            created = true;
        }
        touch(account, created);
        return account;
    }

    private String format(Int128 minor, String asset) {
        return minor.toDecimalString(assetScales.get(asset));
    }

    // ---- one command's transaction -----------------------------------------------------------

    /**
     * A system account may swing from near -2^127 to near 2^127 within one multi-leg command; the
     * change would not fit the 128-bit deltas of its event, so such a command is refused.
     */
    private void requireRepresentableChanges() {
        for (int i = 0; i < touchCount; i++) {
            Touch touch = touches.get(i);
            Account account = touch.account;
            if (!Names.isSystem(account.owner)) {
                continue; // a user balance stays in 0..2^127-1, so its change always fits
            }
            try {
                account.available.subtract(touch.availableBefore);
                account.held.subtract(touch.heldBefore);
            } catch (ArithmeticException e) {
                throw new Rejection(Reason.AMOUNT_OVERFLOW, "the change to " + account.owner + " " + account.asset
                        + " would pass the 128-bit range");
            }
        }
    }

    private void touch(Account account, boolean created) {
        for (int i = 0; i < touchCount; i++) {
            if (touches.get(i).account == account) {
                return;
            }
        }
        if (touchCount == touches.size()) {
            touches.add(new Touch());
        }
        Touch touch = touches.get(touchCount++);
        touch.account = account;
        touch.availableBefore = account.available;
        touch.heldBefore = account.held;
        touch.created = created;
    }

    private HoldTouch touchHold(Hold hold) {
        for (int i = 0; i < holdTouchCount; i++) {
            if (holdTouches.get(i).hold == hold) {
                return holdTouches.get(i);
            }
        }
        if (holdTouchCount == holdTouches.size()) {
            holdTouches.add(new HoldTouch());
        }
        HoldTouch touch = holdTouches.get(holdTouchCount++);
        touch.hold = hold;
        touch.remainingBefore = hold.remaining;
        touch.stateBefore = hold.state;
        return touch;
    }

    private void rollback() {
        for (int i = touchCount - 1; i >= 0; i--) {
            Touch touch = touches.get(i);
            Account account = touch.account;
            account.available = touch.availableBefore;
            account.held = touch.heldBefore;
            if (touch.created) {
                Map<String, Account> byAsset = accounts.get(account.owner);
                byAsset.remove(account.asset);
                if (byAsset.isEmpty()) {
                    accounts.remove(account.owner);
                }
            }
            touch.account = null;
        }
        for (int i = holdTouchCount - 1; i >= 0; i--) {
            HoldTouch touch = holdTouches.get(i);
            if (touch.stateBefore == null) {
                holds.remove(touch.hold.id);
            } else {
                touch.hold.remaining = touch.remainingBefore;
                touch.hold.state = touch.stateBefore;
            }
            touch.hold = null;
        }
        touchCount = 0;
        holdTouchCount = 0;
    }

    private List<BalanceView> commit(long seq, long atMicros, String commandId, String type, EngineListener listener) {
        checkCommandInvariants(seq);
        BalanceView[] balances = new BalanceView[touchCount];
        for (int i = 0; i < touchCount; i++) {
            Touch touch = touches.get(i);
            Account account = touch.account;
            Int128 availableDelta = account.available.subtract(touch.availableBefore);
            Int128 heldDelta = account.held.subtract(touch.heldBefore);
            if (!availableDelta.isZero() || !heldDelta.isZero()) {
                account.revision++;
                listener.balanceChanged(new BalanceChange(seq, atMicros, commandId, type, account.owner, account.asset,
                        account.available, account.held, availableDelta, heldDelta, account.revision));
            }
            balances[i] = account.view();
            touch.account = null;
        }
        for (int i = 0; i < holdTouchCount; i++) {
            HoldTouch touch = holdTouches.get(i);
            listener.holdChanged(touch.hold.view());
            touch.hold = null;
        }
        touchCount = 0;
        holdTouchCount = 0;
        return Arrays.asList(balances);
    }

    /**
     * Checked on every command, in production: postings sum to zero per asset, no user account
     * below zero, nothing held on a system account. A violation is a bug; the shard halts.
     */
    private void checkCommandInvariants(long seq) {
        for (int i = 0; i < touchCount; i++) {
            Touch touch = touches.get(i);
            Account account = touch.account;
            if (Names.isSystem(account.owner)) {
                if (!account.held.isZero()) {
                    throw new InvariantViolation("seq " + seq + ": system account " + account.owner + " holds " + account.held);
                }
            } else if (account.available.isNegative() || account.held.isNegative()) {
                throw new InvariantViolation("seq " + seq + ": " + account.owner + " " + account.asset + " is negative: available "
                        + account.available + ", held " + account.held);
            }
            boolean firstOfAsset = true;
            for (int j = 0; j < i; j++) {
                if (touches.get(j).account.asset.equals(account.asset)) {
                    firstOfAsset = false;
                    break;
                }
            }
            if (firstOfAsset) {
                BigInteger sum = postingsSum(i, account.asset);
                if (sum.signum() != 0) {
                    throw new InvariantViolation("seq " + seq + ": postings of " + account.asset + " sum to " + sum + ", not 0");
                }
            }
        }
    }

    /** The sum of this command's changes to {@code asset}, from touch {@code first} on. */
    private BigInteger postingsSum(int first, String asset) {
        try {
            Int128 sum = Int128.ZERO;
            for (int j = first; j < touchCount; j++) {
                Touch other = touches.get(j);
                if (other.account.asset.equals(asset)) {
                    sum = sum.add(other.account.available.subtract(other.availableBefore))
                            .add(other.account.held.subtract(other.heldBefore));
                }
            }
            return sum.isZero() ? BigInteger.ZERO : sum.toBigInteger();
        } catch (ArithmeticException e) {
            // A running sum may pass 128 bits on the way (MAX - 1, then + MAX, ...) and still end at zero.
            BigInteger sum = BigInteger.ZERO;
            for (int j = first; j < touchCount; j++) {
                Touch other = touches.get(j);
                if (other.account.asset.equals(asset)) {
                    sum = sum.add(other.account.available.toBigInteger()).subtract(other.availableBefore.toBigInteger())
                            .add(other.account.held.toBigInteger()).subtract(other.heldBefore.toBigInteger());
                }
            }
            return sum;
        }
    }

    /**
     * The full check over all state (tests after every batch, {@code jango audit}, snapshots):
     * conservation per asset, no negative user balance, held equals the sum of open holds.
     *
     * @throws InvariantViolation naming what broke
     */
    public void checkInvariants() {
        Map<String, BigInteger> sums = new TreeMap<>();
        Map<Account, Int128> openHeld = new HashMap<>();
        for (Hold hold : holds.values()) {
            Account account = existing(hold.account, hold.asset);
            if (hold.state == HoldState.OPEN) {
                if (account == null || hold.remaining.signum() <= 0) {
                    throw new InvariantViolation("open hold " + hold.id + " has no account or nothing left");
                }
                openHeld.merge(account, hold.remaining, Int128::add);
            } else if (!hold.remaining.isZero()) {
                throw new InvariantViolation("closed hold " + hold.id + " still has " + hold.remaining);
            }
        }
        for (Map<String, Account> byAsset : accounts.values()) {
            for (Account account : byAsset.values()) {
                sums.merge(account.asset, account.available.toBigInteger().add(account.held.toBigInteger()), BigInteger::add);
                boolean system = Names.isSystem(account.owner);
                if (!system && (account.available.isNegative() || account.held.isNegative())) {
                    throw new InvariantViolation(account.owner + " " + account.asset + " is negative");
                }
                Int128 expectedHeld = openHeld.getOrDefault(account, Int128.ZERO);
                if (!account.held.equals(expectedHeld)) {
                    throw new InvariantViolation(account.owner + " " + account.asset + " holds " + account.held
                            + " but its open holds sum to " + expectedHeld);
                }
            }
        }
        sums.forEach((asset, sum) -> {
            if (sum.signum() != 0) {
                throw new InvariantViolation("conservation: " + asset + " sums to " + sum + " over all accounts, not 0");
            }
        });
    }

    // ---- reads (writer thread, or a stopped engine) ------------------------------------------

    /** Asset code -> scale, safe to read from any thread. */
    public Map<String, Integer> assetScales() {
        return java.util.Collections.unmodifiableMap(assetScales);
    }

    /** The stored result of a command id, or null; safe to read from any thread. */
    public StoredResult storedResult(String commandId) {
        return results.get(commandId);
    }

    public int resultCount() {
        return results.size();
    }

    public void forEachBalance(Consumer<BalanceView> action) {
        accounts.values().forEach(byAsset -> byAsset.values().forEach(a -> action.accept(a.view())));
    }

    public void forEachHold(Consumer<HoldView> action) {
        holds.values().forEach(h -> action.accept(h.view()));
    }

    public BalanceView balance(String owner, String asset) {
        Account account = existing(owner, asset);
        return account == null ? null : account.view();
    }

    public HoldView hold(String holdId) {
        Hold hold = holds.get(holdId);
        return hold == null ? null : hold.view();
    }

    // ---- loading a stopped engine from a store (snapshot file, or PostgreSQL in distributed mode) --
    // Only on an engine that has not applied anything yet: these bypass every rule of apply().

    Map<String, Map<String, Account>> accountsForSnapshot() {
        return accounts;
    }

    Map<String, Hold> holdsForSnapshot() {
        return holds;
    }

    Map<String, StoredResult> resultsForSnapshot() {
        return results;
    }

    Map<String, Integer> assetsForSnapshot() {
        return assetScales;
    }

    public void restorePosition(long seq, long atMicros) {
        this.lastSeq = seq;
        this.lastAtMicros = atMicros;
    }

    public void restoreAccount(String owner, String asset, Int128 available, Int128 held, long revision) {
        Account account = new Account(owner, asset);
        account.available = available;
        account.held = held;
        account.revision = revision;
        accounts.computeIfAbsent(owner, o -> new HashMap<>(4)).put(asset, account);
    }

    public void restoreAsset(String code, int scale) {
        assetScales.put(code, scale);
    }

    public void restoreResult(byte[] fingerprint, Result result) {
        results.put(result.id(), new StoredResult(fingerprint, result));
    }

    public void restoreHold(HoldView view) {
        Hold hold = new Hold(view.holdId(), view.account(), view.asset(), view.amount(), view.expiresAtMicros(),
                view.remaining(), view.state());
        holds.put(hold.id, hold);
        if (hold.state == HoldState.OPEN && hold.expiresAtMicros != Command.NO_EXPIRY) {
            expiries.add(hold);
        }
    }
}
