package jango.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A shard's part in transfers that cross shards (docs/distributed.md, "Multi-shard transfers"):
 * engine state like balances and holds, so snapshots, the state hash and the store have it, and a
 * replay of the shard's log rebuilds it.
 *
 * <ul>
 *   <li>{@link Coordinator} X(t): on the shard that took transfer t, while any shard may still hold
 *       something for it.</li>
 *   <li>{@link Participant} P(t): on each shard that reserved its part of t (the coordinator too, for
 *       its own part), until t commits or aborts there.</li>
 *   <li>{@link HoldLock}: the part of a hold that participants locked, and the release or expiry that
 *       fell due meanwhile and takes effect when the locks end.</li>
 *   <li>{@link Flow}: per account, the sums over its participants' reservations (money moved from
 *       available to held), incoming credits and, for system accounts, outgoing debits: what every
 *       other command must leave room for, so a commit can never fail.</li>
 * </ul>
 *
 * Coordinators, participants and pending ends are the state; locks and flows are derived from them
 * ({@link #rebuildDerived}). Ordinary commands meet this table only through {@link #hasLocks} and
 * {@link #hasFlows}, which are false on a shard with nothing in flight.
 */
final class CrossShardTable {
    /** Coordinator records one shard keeps; a new transfer between shards past this gets 503. */
    static final int MAX_COORDINATING = 100_000;

    static final byte PREPARING = 0;
    static final byte COMMITTING = 1;
    static final byte ABORTING = 2;
    private static final String[] STATE_NAMES = {"PREPARING", "COMMITTING", "ABORTING"};

    static final byte VOTE_NONE = 0;

    /** What a failing leg sorts by: leg index, then the part that failed (the order embedded mode checks in). */
    static final int PART_STATIC = 0;
    static final int PART_DEBIT = 1;
    static final int PART_CREDIT = 2;
    /** A failure of the command as a whole, after every leg (a system account's change past 128 bits). */
    static final int PART_WHOLE = 3;

    static int failKey(int leg, int part) {
        return leg * 4 + part;
    }

    static int legOf(int failKey) {
        return failKey / 4;
    }

    /** The coordinator's record X(t) of attempt {@code attempt}. */
    static final class Coordinator {
        final String id;
        final byte[] fingerprint;
        final int attempt;
        final Command.Transfer transfer;
        final int limit;
        final int[] participants;
        final byte[] votes;
        final boolean[] done;
        final List<List<BalanceView>> balances;
        byte state;
        /** Aborted because a vote did not come in time (deadline or LATE): no result is stored, callers get 503. */
        boolean gaveUp;
        boolean resultStored;
        int failKey = Integer.MAX_VALUE;
        Reason failReason;
        String failMessage;
        final long deadlineMicros;
        long nextReminderMicros = Long.MAX_VALUE;
        long reminderIntervalMicros;
        long decisionSeq;
        long decisionAtMicros;
        List<BalanceView> ownBalances = List.of();
        /** The due time last put in the timer queue (derived state: not encoded). */
        long scheduledMicros = Long.MAX_VALUE;

        Coordinator(String id, byte[] fingerprint, int attempt, Command.Transfer transfer, int limit, int[] participants,
                    long deadlineMicros) {
            this.id = id;
            this.fingerprint = fingerprint;
            this.attempt = attempt;
            this.transfer = transfer;
            this.limit = limit;
            this.participants = participants;
            this.votes = new byte[participants.length];
            this.done = new boolean[participants.length];
            this.balances = new ArrayList<>(participants.length);
            for (int i = 0; i < participants.length; i++) {
                balances.add(List.of());
            }
            this.deadlineMicros = deadlineMicros;
        }

        int indexOf(int shard) {
            return Arrays.binarySearch(participants, shard);
        }

        boolean allVoted() {
            for (byte vote : votes) {
                if (vote == VOTE_NONE) {
                    return false;
                }
            }
            return true;
        }

        boolean allDone() {
            for (boolean each : done) {
                if (!each) {
                    return false;
                }
            }
            return true;
        }

        /** Keeps the lowest failure: the one embedded mode, which stops at the first failing leg, reports. */
        void failed(int key, Reason reason, String message) {
            if (key < failKey) {
                failKey = key;
                failReason = reason;
                failMessage = message;
            }
        }

        /** When this record next needs the shard's time to pass (a deadline or a reminder), or MAX_VALUE. */
        long dueMicros() {
            long due = Long.MAX_VALUE;
            if (state == PREPARING || (state == ABORTING && !resultStored && !gaveUp)) {
                due = deadlineMicros;
            }
            if (state != PREPARING && !allDone()) {
                due = Math.min(due, nextReminderMicros);
            }
            return due;
        }

        String stateName() {
            return STATE_NAMES[state];
        }
    }

    /** One account's share of a participant: what it reserved, and what it will credit or debit at commit. */
    record Share(String owner, String asset, Int128 reserved, Int128 incoming, Int128 outgoing) {
    }

    /** One hold's share of a participant: the amount it locked. */
    record HoldShare(String holdId, Int128 locked) {
    }

    /** The participant record P(t): shard {@code shard} reserved its part of legs [0, limit). */
    static final class Participant {
        final String id;
        final int attempt;
        final int coordinator;
        final long deadlineMicros;
        final Command.Transfer transfer;
        final int limit;
        final List<Share> shares;
        final List<HoldShare> holdShares;
        long nextReminderMicros;
        long reminderIntervalMicros;
        long scheduledMicros = Long.MAX_VALUE;

        Participant(String id, int attempt, int coordinator, long deadlineMicros, Command.Transfer transfer, int limit,
                    List<Share> shares, List<HoldShare> holdShares, long nextReminderMicros, long reminderIntervalMicros) {
            this.id = id;
            this.attempt = attempt;
            this.coordinator = coordinator;
            this.deadlineMicros = deadlineMicros;
            this.transfer = transfer;
            this.limit = limit;
            this.shares = List.copyOf(shares);
            this.holdShares = List.copyOf(holdShares);
            this.nextReminderMicros = nextReminderMicros;
            this.reminderIntervalMicros = reminderIntervalMicros;
        }

        long dueMicros() {
            return nextReminderMicros;
        }
    }

    /** A hold some participants locked; {@code pendingEnd} is a release or expiry waiting for the locks to end. */
    static final class HoldLock {
        final String holdId;
        long lockedHi;
        long lockedLo;
        byte pendingEnd = HoldTable.OPEN;
        /** The release that asked for the pending end (null for an expiry): its history entry names it. */
        String pendingCommand;

        HoldLock(String holdId) {
            this.holdId = holdId;
        }

        boolean ending() {
            return pendingEnd != HoldTable.OPEN;
        }
    }

    /** Sums over an account's participants (per asset of one owner). */
    static final class Flow {
        final int asset;
        long reservedHi;
        long reservedLo;
        long incomingHi;
        long incomingLo;
        long outgoingHi;
        long outgoingLo;

        Flow(int asset) {
            this.asset = asset;
        }

        boolean isZero() {
            return reservedHi == 0 && reservedLo == 0 && incomingHi == 0 && incomingLo == 0 && outgoingHi == 0 && outgoingLo == 0;
        }
    }

    /** A record due at a time; stale entries (the record moved on or ended) are skipped when they come up. */
    record Timer(long atMicros, String id, boolean coordinator) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer other) {
            int byTime = Long.compare(atMicros, other.atMicros);
            if (byTime != 0) {
                return byTime;
            }
            int byId = id.compareTo(other.id);
            return byId != 0 ? byId : Boolean.compare(other.coordinator, coordinator);
        }
    }

    final Map<String, Coordinator> coordinators = new HashMap<>();
    final Map<String, Participant> participants = new HashMap<>();
    final Map<String, HoldLock> locks = new HashMap<>();
    private final Map<String, Flow[]> flows = new HashMap<>();
    private int flowCount;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final Wide wide = new Wide();

    CrossShardTable() {
    }

    /** A copy to read on another thread (snapshots); records are immutable in shape and copied where they change. */
    CrossShardTable copy(AccountTable accounts, AssetTable assets) {
        CrossShardTable copy = new CrossShardTable();
        coordinators.values().forEach(x -> copy.putCoordinator(decodeCoordinator(encode(x))));
        participants.values().forEach(p -> copy.participants.put(p.id, decodeParticipant(encode(p))));
        locks.values().forEach(lock -> {
            HoldLock copied = new HoldLock(lock.holdId);
            copied.lockedHi = lock.lockedHi;
            copied.lockedLo = lock.lockedLo;
            copied.pendingEnd = lock.pendingEnd;
            copied.pendingCommand = lock.pendingCommand;
            copy.locks.put(lock.holdId, copied);
        });
        copy.rebuildFlows(assets);
        copy.rebuildTimers();
        return copy;
    }

    boolean isEmpty() {
        return coordinators.isEmpty() && participants.isEmpty() && locks.isEmpty();
    }

    // ---- what ordinary commands ask (cheap when nothing is in flight) -------------------------

    boolean hasLocks() {
        return !locks.isEmpty();
    }

    boolean hasFlows() {
        return flowCount != 0;
    }

    HoldLock lock(String holdId) {
        return locks.isEmpty() ? null : locks.get(holdId);
    }

    /** Whether an account whose available + held would be {@code total} leaves room for its incoming credits. */
    boolean creditFits(String owner, int asset, long totalHi, long totalLo) {
        Flow flow = flow(owner, asset);
        return flow == null || wide.add(totalHi, totalLo, flow.incomingHi, flow.incomingLo);
    }

    /** Whether a system account whose available would be {@code available} leaves room for its outgoing debits. */
    boolean systemDebitFits(String owner, int asset, long availableHi, long availableLo) {
        Flow flow = flow(owner, asset);
        return flow == null || wide.subtract(availableHi, availableLo, flow.outgoingHi, flow.outgoingLo);
    }

    Flow flow(String owner, int asset) {
        if (flowCount == 0) {
            return null;
        }
        Flow[] ofOwner = flows.get(owner);
        if (ofOwner == null) {
            return null;
        }
        for (Flow flow : ofOwner) {
            if (flow.asset == asset) {
                return flow;
            }
        }
        return null;
    }

    // ---- records ------------------------------------------------------------------------------

    void putCoordinator(Coordinator x) {
        coordinators.put(x.id, x);
        schedule(x);
    }

    void removeCoordinator(Coordinator x) {
        coordinators.remove(x.id);
    }

    /** A participant joins: its reservations, locks and flows are added to the sums. */
    void putParticipant(Participant p, AssetTable assets) {
        participants.put(p.id, p);
        addShares(p, assets, 1);
        schedule(p);
    }

    /** A participant ends: its shares leave the sums (the caller moved the money). */
    void removeParticipant(Participant p, AssetTable assets) {
        participants.remove(p.id);
        addShares(p, assets, -1);
    }

    private void addShares(Participant p, AssetTable assets, int sign) {
        for (Share share : p.shares) {
            int asset = assets.id(share.asset());
            Flow flow = flowFor(share.owner(), asset);
            flow.reservedHi = sum(flow.reservedHi, flow.reservedLo, share.reserved(), sign);
            flow.reservedLo = wide.lo;
            flow.incomingHi = sum(flow.incomingHi, flow.incomingLo, share.incoming(), sign);
            flow.incomingLo = wide.lo;
            flow.outgoingHi = sum(flow.outgoingHi, flow.outgoingLo, share.outgoing(), sign);
            flow.outgoingLo = wide.lo;
            if (flow.isZero()) {
                dropFlow(share.owner(), flow);
            }
        }
        for (HoldShare share : p.holdShares) {
            HoldLock lock = locks.computeIfAbsent(share.holdId(), HoldLock::new);
            lock.lockedHi = sum(lock.lockedHi, lock.lockedLo, share.locked(), sign);
            lock.lockedLo = wide.lo;
        }
    }

    /** {@code a + sign * b}; the low half is left in {@link #wide}. Sums of what was reserved always fit. */
    private long sum(long aHi, long aLo, Int128 b, int sign) {
        boolean fits = sign > 0 ? wide.add(aHi, aLo, b.hi(), b.lo()) : wide.subtract(aHi, aLo, b.hi(), b.lo());
        if (!fits) {
            throw new InvariantViolation("a sum of reservations passed 128 bits");
        }
        return wide.hi;
    }

    private Flow flowFor(String owner, int asset) {
        Flow existing = flow(owner, asset);
        if (existing != null) {
            return existing;
        }
        Flow[] ofOwner = flows.get(owner);
        Flow flow = new Flow(asset);
        if (ofOwner == null) {
            flows.put(owner, new Flow[] {flow});
        } else {
            Flow[] grown = Arrays.copyOf(ofOwner, ofOwner.length + 1);
            grown[ofOwner.length] = flow;
            flows.put(owner, grown);
        }
        flowCount++;
        return flow;
    }

    private void dropFlow(String owner, Flow flow) {
        Flow[] ofOwner = flows.get(owner);
        if (ofOwner.length == 1) {
            flows.remove(owner);
        } else {
            Flow[] kept = new Flow[ofOwner.length - 1];
            int i = 0;
            for (Flow each : ofOwner) {
                if (each != flow) {
                    kept[i++] = each;
                }
            }
            flows.put(owner, kept);
        }
        flowCount--;
    }

    /** Every flow, for the full invariant check: owner -> flows of its assets. */
    Map<String, Flow[]> flows() {
        return flows;
    }

    /** After a restore: locks and flows from the participants (pending ends were restored on their own). */
    void rebuildDerived(AssetTable assets) {
        locks.values().forEach(lock -> {
            lock.lockedHi = 0;
            lock.lockedLo = 0;
        });
        rebuildFlows(assets);
        locks.values().removeIf(lock -> (lock.lockedHi | lock.lockedLo) == 0 && !lock.ending());
        rebuildTimers();
    }

    private void rebuildFlows(AssetTable assets) {
        flows.clear();
        flowCount = 0;
        for (HoldLock lock : locks.values()) {
            lock.lockedHi = 0;
            lock.lockedLo = 0;
        }
        participants.values().forEach(p -> addShares(p, assets, 1));
    }

    // ---- time ---------------------------------------------------------------------------------

    /** Puts the record's due time in the timer queue when it moved (an earlier entry then goes stale). */
    void schedule(Coordinator x) {
        long due = x.dueMicros();
        if (due != Long.MAX_VALUE && due != x.scheduledMicros) {
            timers.add(new Timer(due, x.id, true));
        }
        x.scheduledMicros = due;
    }

    void schedule(Participant p) {
        long due = p.dueMicros();
        if (due != Long.MAX_VALUE && due != p.scheduledMicros) {
            timers.add(new Timer(due, p.id, false));
        }
        p.scheduledMicros = due;
    }

    private void rebuildTimers() {
        timers.clear();
        coordinators.values().forEach(x -> x.scheduledMicros = Long.MAX_VALUE);
        participants.values().forEach(p -> p.scheduledMicros = Long.MAX_VALUE);
        coordinators.values().forEach(this::schedule);
        participants.values().forEach(this::schedule);
    }

    /** When the next record is due (maybe a stale entry: a tick then finds nothing to do), or MAX_VALUE. */
    long nextDueMicros() {
        Timer first = timers.peek();
        return first == null ? Long.MAX_VALUE : first.atMicros();
    }

    /** The next timer due at or before {@code nowMicros} whose record still is due then, or null. */
    Timer pollDue(long nowMicros) {
        while (!timers.isEmpty() && timers.peek().atMicros() <= nowMicros) {
            Timer timer = timers.poll();
            long due = timer.coordinator() ? dueOf(coordinators.get(timer.id())) : dueOf(participants.get(timer.id()));
            if (due == timer.atMicros()) {
                return timer;
            }
        }
        return null;
    }

    private static long dueOf(Coordinator x) {
        return x == null ? Long.MIN_VALUE : x.dueMicros();
    }

    private static long dueOf(Participant p) {
        return p == null ? Long.MIN_VALUE : p.dueMicros();
    }

    // ---- as bytes (the store's rows, snapshots and the state hash) ----------------------------

    static final byte COORDINATOR_RECORD = 'X';
    static final byte PARTICIPANT_RECORD = 'P';
    static final byte LOCK_RECORD = 'L';
    private static final int RECORD_VERSION = 1;

    static byte[] encode(Coordinator x) {
        ByteWriter out = new ByteWriter(512);
        out.writeByte(COORDINATOR_RECORD);
        out.writeByte(RECORD_VERSION);
        out.writeString(x.id);
        out.writeInt(x.fingerprint.length);
        out.writeBytes(x.fingerprint, 0, x.fingerprint.length);
        out.writeInt(x.attempt);
        out.writeByte(x.limit);
        out.writeShort(x.participants.length);
        for (int i = 0; i < x.participants.length; i++) {
            out.writeInt(x.participants[i]);
            out.writeByte(x.votes[i]);
            out.writeByte(x.done[i] ? 1 : 0);
            writeBalances(out, x.balances.get(i));
        }
        writeBalances(out, x.ownBalances);
        out.writeByte(x.state);
        out.writeByte(x.gaveUp ? 1 : 0);
        out.writeByte(x.resultStored ? 1 : 0);
        out.writeInt(x.failKey);
        out.writeByte(x.failReason == null ? -1 : x.failReason.ordinal());
        out.writeString(x.failMessage);
        out.writeLong(x.deadlineMicros);
        out.writeLong(x.nextReminderMicros);
        out.writeLong(x.reminderIntervalMicros);
        out.writeLong(x.decisionSeq);
        out.writeLong(x.decisionAtMicros);
        return out.toByteArray();
    }

    static byte[] encode(Participant p) {
        ByteWriter out = new ByteWriter(512);
        out.writeByte(PARTICIPANT_RECORD);
        out.writeByte(RECORD_VERSION);
        out.writeString(p.id);
        out.writeInt(p.attempt);
        out.writeInt(p.coordinator);
        out.writeLong(p.deadlineMicros);
        out.writeByte(p.limit);
        CommandCodec.encode(p.transfer, out);
        out.writeShort(p.shares.size());
        for (Share share : p.shares) {
            out.writeString(share.owner());
            out.writeString(share.asset());
            out.writeInt128(share.reserved());
            out.writeInt128(share.incoming());
            out.writeInt128(share.outgoing());
        }
        out.writeShort(p.holdShares.size());
        for (HoldShare share : p.holdShares) {
            out.writeString(share.holdId());
            out.writeInt128(share.locked());
        }
        out.writeLong(p.nextReminderMicros);
        out.writeLong(p.reminderIntervalMicros);
        return out.toByteArray();
    }

    /** A pending end only: the locked amount is the sum of the participants' shares. */
    static byte[] encode(HoldLock lock) {
        ByteWriter out = new ByteWriter(64);
        out.writeByte(LOCK_RECORD);
        out.writeByte(RECORD_VERSION);
        out.writeString(lock.holdId);
        out.writeByte(lock.pendingEnd);
        out.writeString(lock.pendingCommand);
        return out.toByteArray();
    }

    static Coordinator decodeCoordinator(byte[] bytes) {
        ByteReader in = header(bytes, COORDINATOR_RECORD);
        String id = in.readString();
        byte[] fingerprint = in.readBytes(in.readInt());
        int attempt = in.readInt();
        int limit = in.readByte();
        int count = in.readShort();
        int[] participants = new int[count];
        byte[] votes = new byte[count];
        boolean[] done = new boolean[count];
        List<List<BalanceView>> balances = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            participants[i] = in.readInt();
            votes[i] = (byte) in.readByte();
            done[i] = in.readByte() == 1;
            balances.add(readBalances(in));
        }
        Command.Transfer transfer = (Command.Transfer) CommandCodec.decode(new ByteReader(fingerprint));
        List<BalanceView> own = readBalances(in);
        byte state = (byte) in.readByte();
        boolean gaveUp = in.readByte() == 1;
        boolean resultStored = in.readByte() == 1;
        int failKey = in.readInt();
        int reason = (byte) in.readByte();
        String failMessage = in.readString();
        Coordinator x = new Coordinator(id, fingerprint, attempt, transfer, limit, participants, in.readLong());
        System.arraycopy(votes, 0, x.votes, 0, count);
        System.arraycopy(done, 0, x.done, 0, count);
        for (int i = 0; i < count; i++) {
            x.balances.set(i, balances.get(i));
        }
        x.ownBalances = own;
        x.state = state;
        x.gaveUp = gaveUp;
        x.resultStored = resultStored;
        x.failKey = failKey;
        x.failReason = reason < 0 ? null : Reason.values()[reason];
        x.failMessage = failMessage;
        x.nextReminderMicros = in.readLong();
        x.reminderIntervalMicros = in.readLong();
        x.decisionSeq = in.readLong();
        x.decisionAtMicros = in.readLong();
        end(in);
        return x;
    }

    static Participant decodeParticipant(byte[] bytes) {
        ByteReader in = header(bytes, PARTICIPANT_RECORD);
        String id = in.readString();
        int attempt = in.readInt();
        int coordinator = in.readInt();
        long deadline = in.readLong();
        int limit = in.readByte();
        Command.Transfer transfer = (Command.Transfer) CommandCodec.decode(in);
        int shareCount = in.readShort();
        List<Share> shares = new ArrayList<>(shareCount);
        for (int i = 0; i < shareCount; i++) {
            shares.add(new Share(in.readString(), in.readString(), in.readInt128(), in.readInt128(), in.readInt128()));
        }
        int holdCount = in.readShort();
        List<HoldShare> holdShares = new ArrayList<>(holdCount);
        for (int i = 0; i < holdCount; i++) {
            holdShares.add(new HoldShare(in.readString(), in.readInt128()));
        }
        Participant p = new Participant(id, attempt, coordinator, deadline, transfer, limit, shares, holdShares, in.readLong(),
                in.readLong());
        end(in);
        return p;
    }

    static HoldLock decodeLock(byte[] bytes) {
        ByteReader in = header(bytes, LOCK_RECORD);
        HoldLock lock = new HoldLock(in.readString());
        lock.pendingEnd = (byte) in.readByte();
        lock.pendingCommand = in.readString();
        end(in);
        if (!lock.ending()) {
            throw new IllegalArgumentException("lock record of hold " + lock.holdId + " with no pending end");
        }
        return lock;
    }

    /** The kind of an encoded record: {@link #COORDINATOR_RECORD}, {@link #PARTICIPANT_RECORD} or {@link #LOCK_RECORD}. */
    static byte kindOf(byte[] bytes) {
        if (bytes.length < 2) {
            throw new IllegalArgumentException("not a cross-shard record: " + bytes.length + " bytes");
        }
        return bytes[0];
    }

    private static ByteReader header(byte[] bytes, byte kind) {
        ByteReader in = new ByteReader(bytes);
        int read = in.readByte();
        int version = in.readByte();
        if (read != kind || version != RECORD_VERSION) {
            throw new IllegalArgumentException("not a cross-shard record of kind " + (char) kind + " (kind " + read + ", version "
                    + version + ")");
        }
        return in;
    }

    private static void end(ByteReader in) {
        if (in.remaining() != 0) {
            throw new IllegalArgumentException("cross-shard record with " + in.remaining() + " bytes after it");
        }
    }

    private static void writeBalances(ByteWriter out, List<BalanceView> balances) {
        out.writeShort(balances.size());
        for (BalanceView balance : balances) {
            out.writeString(balance.account());
            out.writeString(balance.asset());
            out.writeInt128(balance.available());
            out.writeInt128(balance.held());
            out.writeLong(balance.revision());
        }
    }

    private static List<BalanceView> readBalances(ByteReader in) {
        int count = in.readShort();
        List<BalanceView> balances = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            balances.add(new BalanceView(in.readString(), in.readString(), in.readInt128(), in.readInt128(), in.readLong()));
        }
        return List.copyOf(balances);
    }
}
