package jango.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What applying one log entry did, written by the engine into this one reusable object and valid
 * until the next entry: the outcome, the result of a client command, every balance it touched (as
 * primitives, in the order touched) and every hold it touched. The writer reads it straight into
 * its buffers (results, history, answers), so the hot path builds no object per command;
 * {@link #outcome()}, {@link #change} and {@link #hold} build objects for callers that want them.
 *
 * <p>A tick may expire many holds: each expiry is its own small transaction, and all of them are
 * listed here, one after the other.
 */
public final class Applied {
    private static final int BALANCE_LONGS = 9; // after: avail hi, lo, held hi, lo, revision; delta: avail hi, lo, held hi, lo
    private static final int HOLD_LONGS = 7;    // amount hi, lo, remaining hi, lo, expiresAt, locked hi, lo

    private final AccountTable accounts;
    private final AssetTable assets;
    private final CrossShardTable crossShard;

    Outcome.Kind kind;
    long seq;
    long atMicros;
    String commandId;
    String type;
    Status status;
    Reason reason;
    String message;
    StoredResult prior;
    int assetScale;
    String assetCode;

    int balanceCount;
    int[] balanceSlots = new int[32];
    boolean[] changed = new boolean[32];
    long[] balances = new long[BALANCE_LONGS * 32];
    /** Whether a changed balance is a history entry, and under which command and type when not the entry's. */
    boolean[] historic = new boolean[32];
    boolean[] historyOwn = new boolean[32];
    String[] historyIds = new String[32];
    String[] historyTypes = new String[32];

    int holdCount;
    String[] holdIds = new String[16];
    int[] holdAccounts = new int[16];
    byte[] holdStates = new byte[16];
    long[] holds = new long[HOLD_LONGS * 16];

    /** What a transfer between shards sends other shards, how its records changed, and which transfers ended (answers). */
    private final List<Send> sends = new ArrayList<>();
    private final List<CrossShardRecord> records = new ArrayList<>();
    private final List<Finished> finished = new ArrayList<>();

    /** A protocol record for shard {@code shard}'s log. */
    public record Send(int shard, Command.Protocol command) {
    }

    /** A transfer between shards ended: the answer for whoever waits for {@code transferId}. */
    public record Finished(String transferId, Outcome outcome) {
    }

    Applied(AccountTable accounts, AssetTable assets, CrossShardTable crossShard) {
        this.accounts = accounts;
        this.assets = assets;
        this.crossShard = crossShard;
    }

    void reset(long seq, long atMicros, String commandId, String type) {
        this.seq = seq;
        this.atMicros = atMicros;
        this.commandId = commandId;
        this.type = type;
        this.kind = null;
        this.status = null;
        this.reason = null;
        this.message = null;
        this.prior = null;
        this.assetScale = -1;
        this.assetCode = null;
        this.balanceCount = 0;
        this.holdCount = 0;
        if (!sends.isEmpty() || !records.isEmpty() || !finished.isEmpty()) {
            sends.clear();
            records.clear();
            finished.clear();
        }
    }

    void addBalance(int slot, boolean isChanged, long availableDeltaHi, long availableDeltaLo, long heldDeltaHi, long heldDeltaLo) {
        if (balanceCount == balanceSlots.length) {
            int capacity = balanceCount * 2;
            balanceSlots = Arrays.copyOf(balanceSlots, capacity);
            changed = Arrays.copyOf(changed, capacity);
            balances = Arrays.copyOf(balances, BALANCE_LONGS * capacity);
            historic = Arrays.copyOf(historic, capacity);
            historyOwn = Arrays.copyOf(historyOwn, capacity);
            historyIds = Arrays.copyOf(historyIds, capacity);
            historyTypes = Arrays.copyOf(historyTypes, capacity);
        }
        int i = balanceCount++;
        balanceSlots[i] = slot;
        changed[i] = isChanged;
        historic[i] = isChanged;
        historyOwn[i] = false;
        int base = BALANCE_LONGS * i;
        balances[base] = accounts.availableHi(slot);
        balances[base + 1] = accounts.availableLo(slot);
        balances[base + 2] = accounts.heldHi(slot);
        balances[base + 3] = accounts.heldLo(slot);
        balances[base + 4] = accounts.revision(slot);
        balances[base + 5] = availableDeltaHi;
        balances[base + 6] = availableDeltaLo;
        balances[base + 7] = heldDeltaHi;
        balances[base + 8] = heldDeltaLo;
    }

    void addHold(HoldTable table, int slot) {
        if (holdCount == holdIds.length) {
            int capacity = holdCount * 2;
            holdIds = Arrays.copyOf(holdIds, capacity);
            holdAccounts = Arrays.copyOf(holdAccounts, capacity);
            holdStates = Arrays.copyOf(holdStates, capacity);
            holds = Arrays.copyOf(holds, HOLD_LONGS * capacity);
        }
        int i = holdCount++;
        holdIds[i] = table.id(slot);
        holdAccounts[i] = table.accountOf(slot);
        holdStates[i] = table.state(slot);
        int base = HOLD_LONGS * i;
        System.arraycopy(table.amounts, 4 * slot, holds, base, 4);
        holds[base + 4] = table.expiresAt(slot);
        CrossShardTable.HoldLock lock = crossShard.lock(holdIds[i]);
        holds[base + 5] = lock == null ? 0 : lock.lockedHi;
        holds[base + 6] = lock == null ? 0 : lock.lockedLo;
    }

    // ---- written by the protocol between shards (ProtocolRules) ----------------------------------

    /** Balance {@code i}'s history: whether it is an entry, and under which command id and type (null: an expiry's). */
    void history(int i, boolean isHistoric, String commandId, String historyType) {
        historic[i] = isHistoric;
        historyOwn[i] = true;
        historyIds[i] = commandId;
        historyTypes[i] = historyType;
    }

    /** Adds to balance {@code i}'s deltas (a reservation's part of the change is not the transfer's). */
    void addToDelta(int i, Int128 available, Int128 held) {
        int base = BALANCE_LONGS * i;
        Int128 a = Int128.of(balances[base + 5], balances[base + 6]).add(available);
        Int128 h = Int128.of(balances[base + 7], balances[base + 8]).add(held);
        balances[base + 5] = a.hi();
        balances[base + 6] = a.lo();
        balances[base + 7] = h.hi();
        balances[base + 8] = h.lo();
    }

    /** Balance {@code i} changed without a history entry: it keeps the revision it had ({@link ProtocolRules}). */
    void keepRevision(int i) {
        balances[BALANCE_LONGS * i + 4]--;
    }

    boolean hasDelta(int i) {
        int base = BALANCE_LONGS * i;
        return (balances[base + 5] | balances[base + 6] | balances[base + 7] | balances[base + 8]) != 0;
    }

    void send(int shard, Command.Protocol command) {
        sends.add(new Send(shard, command));
    }

    void record(CrossShardRecord record) {
        records.add(record);
    }

    void finished(String transferId, Outcome outcome) {
        finished.add(new Finished(transferId, outcome));
    }

    // ---- the outcome ---------------------------------------------------------------------------

    public Outcome.Kind kind() {
        return kind;
    }

    public long seq() {
        return seq;
    }

    public long atMicros() {
        return atMicros;
    }

    /** The client's command id; null for sequencer entries (asset registrations, ticks). */
    public String commandId() {
        return commandId;
    }

    /** The type named in history: the command's, or "expire" for a tick. */
    public String type() {
        return type;
    }

    /** For {@link Outcome.Kind#NEW}. */
    public Status status() {
        return status;
    }

    public Reason reason() {
        return reason;
    }

    public String message() {
        return message;
    }

    /** For {@link Outcome.Kind#REPLAYED} and {@link Outcome.Kind#ID_CONFLICT}: the result the id already has. */
    public StoredResult prior() {
        return prior;
    }

    /** For asset registrations: the code, and its scale (the existing one on a conflict). */
    public String assetCode() {
        return assetCode;
    }

    public int registeredScale() {
        return assetScale;
    }

    // ---- balances touched, in order --------------------------------------------------------------

    public int balanceCount() {
        return balanceCount;
    }

    public String owner(int i) {
        return accounts.owner(balanceSlots[i]);
    }

    public String asset(int i) {
        return assets.code(accounts.assetOf(balanceSlots[i]));
    }

    public int assetScale(int i) {
        return assets.scale(accounts.assetOf(balanceSlots[i]));
    }

    /** Whether the balance changed (a new revision); a touched balance may not have. */
    public boolean changed(int i) {
        return changed[i];
    }

    /**
     * Whether the change is a history entry: every change except the moves of a transfer between
     * shards that reserve money and give it back (its entry comes at its commit, with its net change).
     */
    public boolean historic(int i) {
        return historic[i];
    }

    /** The command id of balance {@code i}'s history entry (the entry's own, or the client transfer a protocol record serves). */
    public String historyCommandId(int i) {
        return historyOwn[i] ? historyIds[i] : commandId;
    }

    public String historyType(int i) {
        return historyOwn[i] ? historyTypes[i] : type;
    }

    public long availableHi(int i) {
        return balances[BALANCE_LONGS * i];
    }

    public long availableLo(int i) {
        return balances[BALANCE_LONGS * i + 1];
    }

    public long heldHi(int i) {
        return balances[BALANCE_LONGS * i + 2];
    }

    public long heldLo(int i) {
        return balances[BALANCE_LONGS * i + 3];
    }

    public long revision(int i) {
        return balances[BALANCE_LONGS * i + 4];
    }

    public long availableDeltaHi(int i) {
        return balances[BALANCE_LONGS * i + 5];
    }

    public long availableDeltaLo(int i) {
        return balances[BALANCE_LONGS * i + 6];
    }

    public long heldDeltaHi(int i) {
        return balances[BALANCE_LONGS * i + 7];
    }

    public long heldDeltaLo(int i) {
        return balances[BALANCE_LONGS * i + 8];
    }

    // ---- holds touched ---------------------------------------------------------------------------

    public int holdCount() {
        return holdCount;
    }

    public String holdId(int i) {
        return holdIds[i];
    }

    public boolean holdClosed(int i) {
        return holdStates[i] != HoldTable.OPEN;
    }

    public String holdOwner(int i) {
        return accounts.owner(holdAccounts[i]);
    }

    public String holdAsset(int i) {
        return assets.code(accounts.assetOf(holdAccounts[i]));
    }

    public long holdAmountHi(int i) {
        return holds[HOLD_LONGS * i];
    }

    public long holdAmountLo(int i) {
        return holds[HOLD_LONGS * i + 1];
    }

    public long holdRemainingHi(int i) {
        return holds[HOLD_LONGS * i + 2];
    }

    public long holdRemainingLo(int i) {
        return holds[HOLD_LONGS * i + 3];
    }

    public long holdExpiresAtMicros(int i) {
        return holds[HOLD_LONGS * i + 4];
    }

    public HoldState holdState(int i) {
        return HoldTable.state(holdStates[i]);
    }

    /** The part of the hold that transfers between shards have locked. */
    public long holdLockedHi(int i) {
        return holds[HOLD_LONGS * i + 5];
    }

    public long holdLockedLo(int i) {
        return holds[HOLD_LONGS * i + 6];
    }

    // ---- between shards ------------------------------------------------------------------------

    /** Protocol records this entry sends to other shards' logs (to the writer's outbox). */
    public int sendCount() {
        return sends.size();
    }

    public Send send(int i) {
        return sends.get(i);
    }

    /** The shard's records of transfers between shards that this entry made, changed or ended (for the store). */
    public int recordCount() {
        return records.size();
    }

    public CrossShardRecord record(int i) {
        return records.get(i);
    }

    /** Transfers between shards this entry ended: their answer (a result, or 503 when the coordinator gave up). */
    public int finishedCount() {
        return finished.size();
    }

    public Finished finished(int i) {
        return finished.get(i);
    }

    // ---- as objects (allocates: for tests, tools and the slower paths) -------------------------------

    public BalanceView balanceView(int i) {
        return new BalanceView(owner(i), asset(i), Int128.of(availableHi(i), availableLo(i)), Int128.of(heldHi(i), heldLo(i)),
                revision(i));
    }

    /** The history event of balance {@code i}; only for {@link #changed(int)} ones. */
    public BalanceChange change(int i) {
        return new BalanceChange(seq, atMicros, historyCommandId(i), historyType(i), owner(i), asset(i), Int128.of(availableHi(i), availableLo(i)),
                Int128.of(heldHi(i), heldLo(i)), Int128.of(availableDeltaHi(i), availableDeltaLo(i)),
                Int128.of(heldDeltaHi(i), heldDeltaLo(i)), revision(i));
    }

    public HoldView hold(int i) {
        int base = HOLD_LONGS * i;
        int account = holdAccounts[i];
        return new HoldView(holdIds[i], accounts.owner(account), assets.code(accounts.assetOf(account)),
                Int128.of(holds[base], holds[base + 1]), Int128.of(holds[base + 2], holds[base + 3]), holds[base + 4],
                HoldTable.state(holdStates[i]), Int128.of(holds[base + 5], holds[base + 6]));
    }

    /** The result of a client command applied or rejected now ({@link Outcome.Kind#NEW}). */
    public Result result() {
        List<BalanceView> views = new ArrayList<>(balanceCount);
        for (int i = 0; i < balanceCount; i++) {
            views.add(balanceView(i));
        }
        return new Result(commandId, status, reason, message, seq, atMicros, views);
    }

    public Outcome outcome() {
        return switch (kind) {
            case NEW -> Outcome.of(Outcome.Kind.NEW, result());
            case REPLAYED -> Outcome.of(Outcome.Kind.REPLAYED, prior.result());
            case ID_CONFLICT -> new Outcome(Outcome.Kind.ID_CONFLICT, prior.result(), StoredResult.conflictMessage(commandId), -1);
            case ASSET_CONFLICT, UNAVAILABLE -> new Outcome(kind, null, message, assetScale);
            default -> Outcome.of(kind, null);
        };
    }

    /** Hands every event (changed balances, touched holds) to a listener, as objects. */
    public void publish(EngineListener listener) {
        if (listener == EngineListener.NONE) {
            return;
        }
        for (int i = 0; i < balanceCount; i++) {
            if (changed[i]) {
                listener.balanceChanged(change(i));
            }
        }
        for (int i = 0; i < holdCount; i++) {
            listener.holdChanged(hold(i));
        }
    }
}
