package jango.engine;

import jango.engine.CrossShardTable.Coordinator;
import jango.engine.CrossShardTable.HoldLock;
import jango.engine.CrossShardTable.HoldShare;
import jango.engine.CrossShardTable.Participant;
import jango.engine.CrossShardTable.Share;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The rules of a transfer that crosses shards: reserve, then take (docs/distributed.md,
 * "Multi-shard transfers"). Every step is an entry of some shard's log, applied here like any
 * command: the coordinator (the shard that took the transfer) reserves its own part and sends a
 * Prepare to every other shard with a side of a leg; each reserves its part (or refuses, naming its
 * lowest failing leg) and votes; the coordinator decides on the votes, or gives up at the deadline;
 * each participant takes or gives back what it reserved and says Done; the coordinator answers.
 *
 * <p>Nothing here reads a clock: deadlines and reminders pass with the time of the shard's own log
 * entries (ticks). Each shard checks its legs in leg order with the checks and words of
 * {@link MoneyRules}, so the lowest failing leg over all shards is the one embedded mode reports.
 * What it reserved is engine state ({@link CrossShardTable}); what it sends is in
 * {@link Applied#sendCount()}, for the writer's outbox. Off the hot path: it allocates freely.
 */
final class ProtocolRules {
    /** How long the coordinator waits for votes, in its log's time. */
    static final long DEADLINE_MICROS = 5_000_000;
    /** Reminders start this long after the deadline and double up to {@link #MAX_REMINDER_MICROS}. */
    static final long FIRST_REMINDER_MICROS = 5_000_000;
    static final long MAX_REMINDER_MICROS = 300_000_000;
    /** Bound on the records one tick works through; another tick follows while more are due. */
    static final int MAX_TIMERS_PER_TICK = 10_000;

    private static final BigInteger MAX = Int128.MAX.toBigInteger();
    private static final BigInteger MIN = Int128.MIN.toBigInteger();

    private final AssetTable assets;
    private final AccountTable accounts;
    private final HoldTable holds;
    private final UndoLog undo;
    private final Invariants invariants;
    private final IdFilter filter;
    private final Archive archive;
    private final CrossShardTable table;
    private final ShardMap shards;
    private final Applied applied;
    private final Wide sum = new Wide();
    private long seq;
    private long atMicros;
    /** Aborts decided since this engine was made (a metric, not state: neither hashed nor snapshotted). */
    private long abortedRefused;
    private long abortedGaveUp;

    ProtocolRules(AssetTable assets, AccountTable accounts, HoldTable holds, UndoLog undo, Invariants invariants, IdFilter filter,
                  Archive archive, CrossShardTable table, ShardMap shards, Applied applied) {
        this.assets = assets;
        this.accounts = accounts;
        this.holds = holds;
        this.undo = undo;
        this.invariants = invariants;
        this.filter = filter;
        this.archive = archive;
        this.table = table;
        this.shards = shards;
        this.applied = applied;
    }

    private void at(long entrySeq, long entryAtMicros) {
        this.seq = entrySeq;
        this.atMicros = entryAtMicros;
    }

    // ==== the coordinator takes a client's transfer ============================================

    /** A client transfer whose legs reach other shards, applied on the shard that took it (attempt 1, or a retry's next one). */
    void begin(long entrySeq, long entryAtMicros, Command.Transfer transfer, byte[] fingerprint, int offset, int length, int attempt) {
        at(entrySeq, entryAtMicros);
        if (table.coordinators.size() >= CrossShardTable.MAX_COORDINATING) {
            unavailable("shard " + shards.self() + " coordinates " + CrossShardTable.MAX_COORDINATING
                    + " transfers between shards already; nothing was applied: retry with the same id");
            return;
        }
        List<Leg> legs = transfer.legs();
        int n = legs.size();
        Failure known = staticFailure(legs, n);
        Plan own = plan(legs, known == null ? n : CrossShardTable.legOf(known.key), shards.self());
        known = Failure.lower(known, own.failure);
        int limit = known == null ? n : Math.min(n, CrossShardTable.legOf(known.key) + 1);
        if (known != null && !remoteSideBefore(legs, limit, known.key)) {
            rejectNow(known, n, fingerprint, offset, length);
            return;
        }
        int[] remotes = remoteShards(legs, limit);
        byte[] print = java.util.Arrays.copyOfRange(fingerprint, offset, offset + length);
        Coordinator x = new Coordinator(transfer.id(), print, attempt, transfer, limit, remotes, entryAtMicros + DEADLINE_MICROS);
        if (known == null) {
            reserve(new Participant(transfer.id(), attempt, shards.self(), x.deadlineMicros, transfer, limit, own.shares(),
                    own.holdShares(), Long.MAX_VALUE, 0));
        }
        for (int shard : remotes) {
            send(shard, new Command.Prepare(Names.protocolId(transfer.id(), attempt, Names.PREPARE, shard), transfer.id(), attempt,
                    shard, shards.self(), x.deadlineMicros, limit, legs));
        }
        if (known != null) {
            // The answer is REJECTED whatever the others say: the prepares only learn whether a lower leg fails.
            x.failed(known.key, known.reason, known.message);
            decideAbort(x, false, null);
        }
        table.putCoordinator(x);
        changed(x);
        archive.resultPending(transfer.id(), entrySeq, print, attempt);
        filter.put(transfer.id(), IdFilter.COMMAND_SEED);
        applied.kind = Outcome.Kind.PENDING;
    }

    /**
     * A command whose id has a pending result: the same transfer again joins the one in flight (or
     * starts the next attempt when the last one gave up and ended), anything else is a conflict.
     */
    void pendingPrior(long entrySeq, long entryAtMicros, Command command, StoredResult prior, byte[] fingerprint, int offset,
                      int length) {
        at(entrySeq, entryAtMicros);
        if (!prior.sameBody(fingerprint, offset, length) || !(command instanceof Command.Transfer transfer)) {
            applied.prior = prior;
            applied.kind = Outcome.Kind.ID_CONFLICT;
            return;
        }
        Coordinator x = table.coordinators.get(transfer.id());
        if (x == null) {
            begin(entrySeq, entryAtMicros, transfer, fingerprint, offset, length, prior.pendingAttempt() + 1);
        } else if (x.gaveUp) {
            unavailable(gaveUpMessage(x) + "; its shards are still giving back what they reserved: retry with the same id");
        } else {
            applied.kind = Outcome.Kind.JOINED;
        }
    }

    private void rejectNow(Failure failure, int legCount, byte[] fingerprint, int offset, int length) {
        applied.status = Status.REJECTED;
        applied.reason = failure.reason;
        applied.message = failure.format(legCount);
        applied.kind = Outcome.Kind.NEW;
        filter.put(applied.commandId, IdFilter.COMMAND_SEED);
        archive.resultStored(applied, fingerprint, offset, length);
    }

    private void unavailable(String message) {
        applied.kind = Outcome.Kind.UNAVAILABLE;
        applied.message = message;
    }

    // ==== protocol records ======================================================================

    void apply(long entrySeq, long entryAtMicros, Command.Protocol record, byte[] fingerprint, int offset, int length) {
        at(entrySeq, entryAtMicros);
        applied.kind = Outcome.Kind.PROTOCOL;
        boolean toParticipant = record instanceof Command.Prepare || record instanceof Command.Commit || record instanceof Command.Abort;
        if (toParticipant && record.shard() != shards.self()) {
            throw new InvariantViolation(record.id() + " is for shard " + record.shard() + " but reached " + shards);
        }
        switch (record) {
            case Command.Prepare prepare -> prepare(prepare, fingerprint, offset, length);
            case Command.Vote vote -> vote(vote);
            case Command.Commit commit -> commit(commit, fingerprint, offset, length);
            case Command.Abort abort -> abort(abort, fingerprint, offset, length);
            case Command.Done done -> done(done);
        }
    }

    /** A participant reserves its part, or refuses; either way it votes. A duplicate changes nothing. */
    private void prepare(Command.Prepare prepare, byte[] fingerprint, int offset, int length) {
        if (stored(prepare.id()) != null) {
            return; // its vote went out with the first
        }
        String abortId = Names.protocolId(prepare.transferId(), prepare.attempt(), Names.ABORT, prepare.shard());
        Command.Vote vote;
        if (stored(abortId) != null || atMicros > prepare.deadlineMicros()) {
            // The coordinator gave up on this attempt (or will): lock nothing for it.
            vote = vote(prepare, Command.Vote.LATE, Integer.MAX_VALUE, null, null);
        } else {
            Plan plan = plan(prepare.legs(), prepare.limit(), prepare.coordinator());
            if (plan.failure != null) {
                vote = vote(prepare, Command.Vote.NO, plan.failure.key, plan.failure.reason, plan.failure.message);
            } else {
                Command.Transfer transfer = new Command.Transfer(prepare.transferId(), prepare.legs());
                reserve(new Participant(prepare.transferId(), prepare.attempt(), prepare.coordinator(), prepare.deadlineMicros(),
                        transfer, prepare.limit(), plan.shares(), plan.holdShares(),
                        prepare.deadlineMicros() + FIRST_REMINDER_MICROS, FIRST_REMINDER_MICROS));
                vote = vote(prepare, Command.Vote.YES, Integer.MAX_VALUE, null, null);
            }
        }
        send(prepare.coordinator(), vote);
        storeOwn(prepare.id(), vote.vote() == Command.Vote.YES ? Status.APPLIED : Status.REJECTED, vote.reason(), vote.message(),
                List.of(), fingerprint, offset, length);
    }

    private Command.Vote vote(Command.Prepare prepare, int vote, int failKey, Reason reason, String message) {
        return new Command.Vote(Names.protocolId(prepare.transferId(), prepare.attempt(), Names.VOTE, shards.self()),
                prepare.transferId(), prepare.attempt(), shards.self(), vote, failKey, reason, message);
    }

    /** The coordinator counts a vote; the first NO (or LATE) decides abort, the last YES commit. */
    private void vote(Command.Vote vote) {
        Coordinator x = table.coordinators.get(vote.transferId());
        if (x == null || x.attempt != vote.attempt()) {
            answerEndedAttempt(vote);
            return;
        }
        int i = x.indexOf(vote.shard());
        if (i < 0) {
            return;
        }
        if (x.votes[i] != CrossShardTable.VOTE_NONE) {
            remindDecision(x, i); // a participant's reminder: tell it the decision again
            return;
        }
        x.votes[i] = (byte) vote.vote();
        if (vote.vote() == Command.Vote.NO) {
            x.failed(vote.failKey(), vote.reason(), vote.message());
        }
        if (x.state == CrossShardTable.PREPARING) {
            if (vote.vote() == Command.Vote.LATE) {
                decideAbort(x, true, "shard " + vote.shard() + " took the prepare after its deadline");
            } else if (vote.vote() == Command.Vote.NO) {
                decideAbort(x, false, null);
            } else if (x.allVoted()) {
                decideCommit(x);
            }
        }
        if (x.state == CrossShardTable.ABORTING && x.allVoted()) {
            storeRejection(x);
        }
        changed(x);
    }

    /** A vote for an attempt whose record is gone: the decision is in its result (or there is none: abort). */
    private void answerEndedAttempt(Command.Vote vote) {
        StoredResult result = stored(vote.transferId());
        boolean committed = result != null && !result.pending() && result.result().applied();
        Coordinator current = table.coordinators.get(vote.transferId());
        if (committed && (current == null || current.attempt == vote.attempt())) {
            send(vote.shard(), new Command.Commit(Names.protocolId(vote.transferId(), vote.attempt(), Names.COMMIT, vote.shard()),
                    vote.transferId(), vote.attempt(), vote.shard(), shards.self()));
        } else {
            send(vote.shard(), abortRecord(vote.transferId(), vote.attempt(), vote.shard()));
        }
    }

    private void remindDecision(Coordinator x, int i) {
        if (x.done[i] || x.state == CrossShardTable.PREPARING) {
            return;
        }
        sendDecision(x, x.participants[i]);
    }

    private void decideCommit(Coordinator x) {
        x.state = CrossShardTable.COMMITTING;
        decided(x);
        Participant own = table.participants.get(x.id);
        x.ownBalances = own == null ? List.of() : take(own);
        for (int shard : x.participants) {
            sendDecision(x, shard);
        }
    }

    /**
     * Abort: the coordinator gives back its own part and tells every participant. When it gives up
     * (a vote came too late or not at all) its callers get 503 and no result is stored: the
     * transfer may be sent again, as a new attempt.
     */
    private void decideAbort(Coordinator x, boolean gaveUp, String why) {
        if (gaveUp) {
            abortedGaveUp++;
        } else {
            abortedRefused++;
        }
        x.state = CrossShardTable.ABORTING;
        decided(x);
        Participant own = table.participants.get(x.id);
        if (own != null) {
            giveBack(own);
        }
        for (int shard : x.participants) {
            sendDecision(x, shard);
        }
        if (gaveUp && x.failReason == null) {
            x.gaveUp = true;
            applied.finished(x.id, new Outcome(Outcome.Kind.UNAVAILABLE, null, why + "; nothing was applied: retry with the same id", -1));
        }
    }

    long abortedRefused() {
        return abortedRefused;
    }

    long abortedGaveUp() {
        return abortedGaveUp;
    }

    private void decided(Coordinator x) {
        x.decisionSeq = seq;
        x.decisionAtMicros = atMicros;
        x.nextReminderMicros = Math.max(atMicros, x.deadlineMicros) + FIRST_REMINDER_MICROS;
        x.reminderIntervalMicros = FIRST_REMINDER_MICROS;
    }

    private void sendDecision(Coordinator x, int shard) {
        if (x.state == CrossShardTable.COMMITTING) {
            send(shard, new Command.Commit(Names.protocolId(x.id, x.attempt, Names.COMMIT, shard), x.id, x.attempt, shard,
                    shards.self()));
        } else {
            send(shard, abortRecord(x.id, x.attempt, shard));
        }
    }

    private Command.Abort abortRecord(String transferId, int attempt, int shard) {
        return new Command.Abort(Names.protocolId(transferId, attempt, Names.ABORT, shard), transferId, attempt, shard, shards.self());
    }

    /** A participant takes what it reserved; a duplicate says Done again, with what the first commit left. */
    private void commit(Command.Commit commit, byte[] fingerprint, int offset, int length) {
        StoredResult earlier = stored(commit.id());
        if (earlier != null) {
            sendDone(commit, commit.coordinator(), true, earlier.result().balances());
            return;
        }
        Participant p = table.participants.get(commit.transferId());
        if (p == null || p.attempt != commit.attempt()) {
            return; // nothing reserved for it: cannot happen, since a commit needs every vote YES
        }
        List<BalanceView> after = take(p);
        storeOwn(commit.id(), Status.APPLIED, null, null, after, fingerprint, offset, length);
        sendDone(commit, commit.coordinator(), true, after);
    }

    /** A participant gives back what it reserved; with nothing reserved, the abort stays as a tombstone for a late Prepare. */
    private void abort(Command.Abort abort, byte[] fingerprint, int offset, int length) {
        if (stored(abort.id()) == null) {
            Participant p = table.participants.get(abort.transferId());
            if (p != null && p.attempt == abort.attempt()) {
                giveBack(p);
            }
            storeOwn(abort.id(), Status.APPLIED, null, null, List.of(), fingerprint, offset, length);
        }
        sendDone(abort, abort.coordinator(), false, List.of());
    }

    private void sendDone(Command.Protocol decision, int coordinator, boolean committed, List<BalanceView> balances) {
        send(coordinator, new Command.Done(Names.protocolId(decision.transferId(), decision.attempt(), Names.DONE, shards.self()),
                decision.transferId(), decision.attempt(), shards.self(), committed, balances));
    }

    /** The coordinator gathers the Dones; the last one ends the transfer: the answer, and the record goes. */
    private void done(Command.Done done) {
        Coordinator x = table.coordinators.get(done.transferId());
        if (x == null || x.attempt != done.attempt()) {
            return;
        }
        int i = x.indexOf(done.shard());
        if (i < 0 || x.done[i] || x.state == CrossShardTable.PREPARING) {
            return; // a Done before the decision answers an abort that came before its prepare: the decision's comes later
        }
        x.done[i] = true;
        if (done.committed()) {
            x.balances.set(i, done.balances());
        }
        if (!x.allDone()) {
            changed(x);
            return;
        }
        if (x.state == CrossShardTable.COMMITTING) {
            Result result = new Result(x.id, Status.APPLIED, null, null, x.decisionSeq, x.decisionAtMicros, balancesOf(x));
            storeFinal(x, result);
        } else {
            storeRejection(x);
        }
        table.removeCoordinator(x);
        applied.record(new CrossShardRecord(CrossShardRecord.COORDINATOR, x.id, "ENDED", null, List.of()));
    }

    private void storeRejection(Coordinator x) {
        if (x.resultStored || x.gaveUp || x.failReason == null) {
            return;
        }
        int n = x.transfer.legs().size();
        Result result = new Result(x.id, Status.REJECTED, x.failReason, Failure.format(x.failKey, x.failMessage, n), x.decisionSeq,
                x.decisionAtMicros, List.of());
        storeFinal(x, result);
    }

    private void storeFinal(Coordinator x, Result result) {
        x.resultStored = true;
        archive.resultStored(seq, x.fingerprint, result);
        applied.finished(x.id, Outcome.of(Outcome.Kind.NEW, result));
    }

    /**
     * The answer's balances, as embedded mode lists them: every account the legs touch, in the order
     * they first touch it, each as it was right after the commit on its own shard. {@code @clearing}
     * is never listed; a system owner's row is its sum over the shards the transfer touched it on.
     */
    private static List<BalanceView> balancesOf(Coordinator x) {
        Map<String, List<BalanceView>> byAccount = new LinkedHashMap<>();
        List<List<BalanceView>> all = new ArrayList<>(x.balances);
        all.add(x.ownBalances);
        for (List<BalanceView> ofShard : all) {
            for (BalanceView balance : ofShard) {
                byAccount.computeIfAbsent(balance.account() + '\u0000' + balance.asset(), k -> new ArrayList<>()).add(balance);
            }
        }
        List<BalanceView> listed = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Leg leg : x.transfer.legs()) {
            for (String owner : new String[] {leg.from(), leg.to()}) {
                String key = owner + '\u0000' + leg.asset();
                List<BalanceView> views = byAccount.get(key);
                if (owner.equals(Names.CLEARING) || views == null || !seen.add(key)) {
                    continue;
                }
                listed.add(views.size() == 1 ? views.get(0) : summed(views));
            }
        }
        return listed;
    }

    private static BalanceView summed(List<BalanceView> views) {
        Int128 available = Int128.ZERO;
        Int128 held = Int128.ZERO;
        long revision = 0;
        for (BalanceView view : views) {
            available = available.add(view.available());
            held = held.add(view.held());
            revision += view.revision();
        }
        BalanceView first = views.get(0);
        return new BalanceView(first.account(), first.asset(), available, held, revision);
    }

    // ==== time ==================================================================================

    /** A tick: deadlines that passed, and reminders due, at the tick's time. */
    void tick(long entrySeq, long entryAtMicros) {
        at(entrySeq, entryAtMicros);
        for (int worked = 0; worked < MAX_TIMERS_PER_TICK; worked++) {
            CrossShardTable.Timer timer = table.pollDue(entryAtMicros);
            if (timer == null) {
                return;
            }
            if (timer.coordinator()) {
                coordinatorDue(table.coordinators.get(timer.id()));
            } else {
                participantDue(table.participants.get(timer.id()));
            }
        }
    }

    private void coordinatorDue(Coordinator x) {
        if (x.state == CrossShardTable.PREPARING && x.deadlineMicros <= atMicros) {
            decideAbort(x, true, gaveUpMessage(x));
        } else if (x.state == CrossShardTable.ABORTING && !x.resultStored && !x.gaveUp && x.deadlineMicros <= atMicros) {
            storeRejection(x); // with the lowest failure among the votes that came
        }
        if (x.state != CrossShardTable.PREPARING && !x.allDone() && x.nextReminderMicros <= atMicros) {
            for (int i = 0; i < x.participants.length; i++) {
                if (!x.done[i]) {
                    sendDecision(x, x.participants[i]);
                }
            }
            x.reminderIntervalMicros = Math.min(MAX_REMINDER_MICROS, 2 * x.reminderIntervalMicros);
            x.nextReminderMicros = atMicros + x.reminderIntervalMicros;
        }
        changed(x);
    }

    private static String gaveUpMessage(Coordinator x) {
        for (int i = 0; i < x.participants.length; i++) {
            if (x.votes[i] == CrossShardTable.VOTE_NONE) {
                return "shard " + x.participants[i] + " did not answer in time";
            }
        }
        return "a shard did not answer in time";
    }

    /** A participant still reserved past the deadline says its vote again, in case it was lost. */
    private void participantDue(Participant p) {
        send(p.coordinator, new Command.Vote(Names.protocolId(p.id, p.attempt, Names.VOTE, shards.self()), p.id, p.attempt,
                shards.self(), Command.Vote.YES, Integer.MAX_VALUE, null, null));
        p.reminderIntervalMicros = Math.min(MAX_REMINDER_MICROS, 2 * p.reminderIntervalMicros);
        p.nextReminderMicros = atMicros + p.reminderIntervalMicros;
        changed(p);
    }

    // ==== one shard's part: check, reserve, take, give back =====================================

    /** A failing leg (or the whole command), sortable: the lowest is what embedded mode reports. */
    record Failure(int key, Reason reason, String message) {
        static Failure lower(Failure a, Failure b) {
            if (a == null) {
                return b;
            }
            return b == null || a.key <= b.key ? a : b;
        }

        String format(int legCount) {
            return format(key, message, legCount);
        }

        static String format(int key, String message, int legCount) {
            int leg = CrossShardTable.legOf(key);
            return legCount == 1 || leg >= legCount ? message : "legs[" + leg + "]: " + message;
        }
    }

    /** An account of this shard as a transfer's legs meet it, in exact integers. */
    private static final class Account {
        final String owner;
        final int asset;
        final BigInteger available;
        final BigInteger held;
        final BigInteger othersIncoming;
        final BigInteger othersOutgoing;
        /** The transfer's change to available so far, and to held (debits from holds). */
        BigInteger delta = BigInteger.ZERO;
        BigInteger heldDelta = BigInteger.ZERO;
        /** The most the transfer draws from the account's own available at any point: what it reserves. */
        BigInteger reserved = BigInteger.ZERO;
        /** The most it raises available + held at any point: the room every other command leaves it. */
        BigInteger incoming = BigInteger.ZERO;
        /** A system account's most it lowers available at any point. */
        BigInteger outgoing = BigInteger.ZERO;

        Account(String owner, int asset, BigInteger available, BigInteger held, BigInteger othersIncoming, BigInteger othersOutgoing) {
            this.owner = owner;
            this.asset = asset;
            this.available = available;
            this.held = held;
            this.othersIncoming = othersIncoming;
            this.othersOutgoing = othersOutgoing;
        }
    }

    /** What this shard's part of legs [0, limit) needs, worked out without changing anything. */
    private final class Plan {
        Failure failure;
        final Map<String, Account> accountsTouched = new LinkedHashMap<>();
        final Map<String, BigInteger> locks = new LinkedHashMap<>();

        List<Share> shares() {
            List<Share> shares = new ArrayList<>();
            for (Account a : accountsTouched.values()) {
                if (a.reserved.signum() != 0 || a.incoming.signum() != 0 || a.outgoing.signum() != 0) {
                    shares.add(new Share(a.owner, assets.code(a.asset), Int128.fromBigInteger(a.reserved),
                            Int128.fromBigInteger(a.incoming), Int128.fromBigInteger(a.outgoing)));
                }
            }
            return shares;
        }

        List<HoldShare> holdShares() {
            List<HoldShare> shares = new ArrayList<>();
            locks.forEach((hold, amount) -> shares.add(new HoldShare(hold, Int128.fromBigInteger(amount))));
            return shares;
        }

        Account account(String owner, int asset) {
            return accountsTouched.computeIfAbsent(owner + '\u0000' + asset, k -> {
                int slot = accounts.slot(owner, asset);
                CrossShardTable.Flow flow = table.flow(owner, asset);
                return new Account(owner, asset, slot == AccountTable.NONE ? BigInteger.ZERO : big(accounts.availableHi(slot), accounts.availableLo(slot)),
                        slot == AccountTable.NONE ? BigInteger.ZERO : big(accounts.heldHi(slot), accounts.heldLo(slot)),
                        flow == null ? BigInteger.ZERO : big(flow.incomingHi, flow.incomingLo),
                        flow == null ? BigInteger.ZERO : big(flow.outgoingHi, flow.outgoingLo));
            });
        }
    }

    /** The checks every shard makes of a leg on its own, before any side: as {@link MoneyRules} makes them, in its order. */
    private Failure staticFailure(List<Leg> legs, int limit) {
        for (int i = 0; i < limit; i++) {
            Failure failure = staticFailure(legs.get(i), i);
            if (failure != null) {
                return failure;
            }
        }
        return null;
    }

    private Failure staticFailure(Leg leg, int i) {
        int key = CrossShardTable.failKey(i, CrossShardTable.PART_STATIC);
        if (leg.from().equals(leg.to())) {
            return new Failure(key, Reason.SAME_ACCOUNT, "from and to are both " + leg.from());
        }
        int asset = assets.id(leg.asset());
        if (asset == AssetTable.NONE) {
            return new Failure(key, Reason.UNKNOWN_ASSET, "asset " + leg.asset() + " is not registered");
        }
        int scale = assets.scale(asset);
        Decimal amount = leg.amount();
        if (amount.fractionDigits() > scale) {
            return new Failure(key, Reason.SCALE_EXCEEDED, "amount has " + amount.fractionDigits() + " fraction digits, "
                    + leg.asset() + " allows " + scale);
        }
        if (minor(asset, amount) == null) {
            return new Failure(key, Reason.AMOUNT_OVERFLOW, "amount is more than 2^127-1 minor units of " + leg.asset());
        }
        return null;
    }

    /** The amount in minor units, or null when it passes 2^127-1. */
    private BigInteger minor(int asset, Decimal amount) {
        if (amount.unscaled() == null) {
            return null;
        }
        try {
            return amount.toMinor(assets.scale(asset)).toBigInteger();
        } catch (ArithmeticException e) {
            return null;
        }
    }

    /**
     * This shard's part of legs [0, limit) of a transfer coordinated by {@code coordinator}, in leg
     * order: each side here is checked against the account's own funds plus what earlier legs bring
     * it, with room kept for every other transfer in flight. Stops at the first failure.
     */
    private Plan plan(List<Leg> legs, int limit, int coordinator) {
        Plan plan = new Plan();
        int self = shards.self();
        for (int i = 0; i < limit && plan.failure == null; i++) {
            Leg leg = legs.get(i);
            plan.failure = staticFailure(leg, i);
            if (plan.failure != null) {
                break;
            }
            int asset = assets.id(leg.asset());
            BigInteger amount = minor(asset, leg.amount());
            int debitShard = shards.debitShard(leg, coordinator);
            int creditShard = shards.creditShard(leg, coordinator);
            if (debitShard == self) {
                plan.failure = debit(plan, legs, leg, asset, amount, i);
                if (plan.failure == null && creditShard != self) {
                    plan.failure = credit(plan, Names.CLEARING, asset, amount, CrossShardTable.failKey(i, CrossShardTable.PART_DEBIT));
                }
            }
            if (plan.failure == null && creditShard == self) {
                int key = CrossShardTable.failKey(i, CrossShardTable.PART_CREDIT);
                if (debitShard != self) {
                    plan.failure = systemDebit(plan, Names.CLEARING, asset, amount, key);
                }
                if (plan.failure == null) {
                    plan.failure = credit(plan, leg.to(), asset, amount, key);
                }
            }
        }
        if (plan.failure == null) {
            plan.failure = unrepresentableChange(plan, legs.size());
        }
        return plan;
    }

    private Failure debit(Plan plan, List<Leg> legs, Leg leg, int asset, BigInteger amount, int i) {
        int key = CrossShardTable.failKey(i, CrossShardTable.PART_DEBIT);
        if (leg.holdId() != null) {
            return holdDebit(plan, legs, i, leg, asset, amount, key);
        }
        if (Names.isSystem(leg.from())) {
            return systemDebit(plan, leg.from(), asset, amount, key);
        }
        Account a = plan.account(leg.from(), asset);
        BigInteger available = a.available.add(a.delta);
        if (available.compareTo(amount) < 0) {
            return new Failure(key, Reason.INSUFFICIENT_FUNDS, leg.from() + " has " + text(available, asset) + " " + leg.asset()
                    + " available, needs " + text(amount, asset));
        }
        a.delta = a.delta.subtract(amount);
        a.reserved = a.reserved.max(a.delta.negate());
        return null;
    }

    private Failure holdDebit(Plan plan, List<Leg> legs, int i, Leg leg, int asset, BigInteger amount, int key) {
        String holdId = leg.holdId();
        int slot = holds.slot(holdId);
        if (slot == HoldTable.NONE) {
            HoldView archived = filter.mightContain(holdId, IdFilter.HOLD_SEED) ? archive.hold(holdId, seq) : null;
            if (archived == null) {
                return new Failure(key, Reason.UNKNOWN_HOLD, "hold " + holdId + " does not exist");
            }
            if (archived.state() != HoldState.OPEN || takenByEarlierLegs(legs, i, archived).equals(archived.remaining().toBigInteger())) {
                HoldState state = archived.state() != HoldState.OPEN ? archived.state() : HoldState.SETTLED;
                return new Failure(key, Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + state + ", not OPEN");
            }
            if (archived.account().equals(leg.from()) && archived.asset().equals(leg.asset())) {
                return new Failure(key, Reason.UNKNOWN_HOLD, "hold " + holdId + " is open on another shard");
            }
            return new Failure(key, Reason.HOLD_MISMATCH, "hold " + holdId + " is on " + archived.account() + " " + archived.asset()
                    + ", not " + leg.from() + " " + leg.asset());
        }
        HoldLock lock = table.lock(holdId);
        if (lock != null && lock.ending()) {
            return new Failure(key, Reason.UNKNOWN_HOLD, endingMessage(holdId, lock));
        }
        BigInteger taken = plan.locks.getOrDefault(holdId, BigInteger.ZERO);
        BigInteger remaining = big(holds.remainingHi(slot), holds.remainingLo(slot));
        if (taken.signum() > 0 && taken.equals(remaining)) {
            // An earlier leg of this transfer takes all that is left: in one engine it would be settled by now.
            return new Failure(key, Reason.UNKNOWN_HOLD, "hold " + holdId + " is " + HoldState.SETTLED + ", not OPEN");
        }
        int account = holds.accountOf(slot);
        if (!accounts.owner(account).equals(leg.from()) || accounts.assetOf(account) != asset) {
            return new Failure(key, Reason.HOLD_MISMATCH, "hold " + holdId + " is on " + accounts.owner(account) + " "
                    + assets.code(accounts.assetOf(account)) + ", not " + leg.from() + " " + leg.asset());
        }
        BigInteger free = remaining.subtract(lock == null ? BigInteger.ZERO : big(lock.lockedHi, lock.lockedLo)).subtract(taken);
        if (amount.compareTo(free) > 0) {
            return new Failure(key, Reason.INSUFFICIENT_FUNDS, "hold " + holdId + " has " + text(free, asset) + " " + leg.asset()
                    + " left, transfer needs " + text(amount, asset));
        }
        plan.locks.merge(holdId, amount, BigInteger::add);
        Account a = plan.account(leg.from(), asset);
        a.heldDelta = a.heldDelta.subtract(amount);
        return null;
    }

    /** What legs before {@code i} take from a hold of another shard (which settles it when that is all it has). */
    private BigInteger takenByEarlierLegs(List<Leg> legs, int i, HoldView hold) {
        BigInteger taken = BigInteger.ZERO;
        int asset = assets.id(hold.asset());
        for (int j = 0; j < i && asset != AssetTable.NONE; j++) {
            Leg earlier = legs.get(j);
            if (hold.holdId().equals(earlier.holdId()) && earlier.asset().equals(hold.asset())) {
                BigInteger amount = minor(asset, earlier.amount());
                taken = amount == null ? taken : taken.add(amount);
            }
        }
        return taken;
    }

    static String endingMessage(String holdId, HoldLock lock) {
        return "hold " + holdId + " is " + HoldTable.state(lock.pendingEnd) + " (the part transfers in flight locked ends with them), not OPEN";
    }

    /** A system account may go below zero, down to -2^127, leaving room for the debits of other transfers in flight. */
    private Failure systemDebit(Plan plan, String owner, int asset, BigInteger amount, int key) {
        Account a = plan.account(owner, asset);
        a.delta = a.delta.subtract(amount);
        if (a.available.add(a.delta).subtract(a.othersOutgoing).compareTo(MIN) < 0) {
            return new Failure(key, Reason.AMOUNT_OVERFLOW, owner + " " + assets.code(asset) + " would pass the 128-bit range");
        }
        a.outgoing = a.outgoing.max(a.delta.negate());
        return null;
    }

    /** available + held must stay within 128 bits, with room for the credits of other transfers in flight. */
    private Failure credit(Plan plan, String owner, int asset, BigInteger amount, int key) {
        Account a = plan.account(owner, asset);
        a.delta = a.delta.add(amount);
        BigInteger raised = a.delta.add(a.heldDelta);
        if (a.available.add(a.held).add(raised).add(a.othersIncoming).compareTo(MAX) > 0) {
            return new Failure(key, Reason.AMOUNT_OVERFLOW, "the balance would pass the 128-bit range");
        }
        a.incoming = a.incoming.max(raised);
        return null;
    }

    /** A system account's change must fit the 128-bit deltas of its event ({@link Invariants#requireRepresentableChanges}). */
    private Failure unrepresentableChange(Plan plan, int legCount) {
        for (Account a : plan.accountsTouched.values()) {
            if (Names.isSystem(a.owner) && (a.delta.compareTo(MAX) > 0 || a.delta.compareTo(MIN) < 0)) {
                return new Failure(CrossShardTable.failKey(legCount, CrossShardTable.PART_WHOLE), Reason.AMOUNT_OVERFLOW,
                        "the change to " + a.owner + " " + assets.code(a.asset) + " would pass the 128-bit range");
            }
        }
        return null;
    }

    /** Moves the participant's reservations from available to held, locks its holds, and records it. */
    private void reserve(Participant p) {
        undo.begin();
        for (Share share : p.shares) {
            if (share.reserved().isZero()) {
                continue;
            }
            int slot = accounts.slot(share.owner(), assets.id(share.asset()));
            undo.touch(slot);
            move(slot, share.reserved(), true);
        }
        table.putParticipant(p, assets);
        for (HoldShare share : p.holdShares) {
            undo.touchHold(holds.slot(share.holdId()), false);
        }
        finish(p, Step.RESERVE, null);
        changed(p);
    }

    /**
     * Commit on this shard: the reservations come back, then every posting of the shard's part in
     * leg order: debits (from a hold: its locked part), credits, and {@code @clearing} for the other
     * side of a leg on another shard. Nothing can fail here: the prepare checked it all and every
     * other command since left room. Returns the accounts of the transfer here, after.
     */
    private List<BalanceView> take(Participant p) {
        undo.begin();
        giveBackReservations(p);
        table.removeParticipant(p, assets);
        List<Leg> legs = p.transfer.legs();
        List<Integer> touched = new ArrayList<>();
        int self = shards.self();
        for (int i = 0; i < p.limit; i++) {
            Leg leg = legs.get(i);
            int asset = assets.id(leg.asset());
            Int128 amount = leg.amount().toMinor(assets.scale(asset));
            int debitShard = shards.debitShard(leg, p.coordinator);
            int creditShard = shards.creditShard(leg, p.coordinator);
            if (debitShard == self) {
                touched.add(takeDebit(leg, asset, amount));
                if (creditShard != self) {
                    post(Names.CLEARING, asset, amount, true);
                }
            }
            if (creditShard == self) {
                if (debitShard != self) {
                    post(Names.CLEARING, asset, amount, false);
                }
                touched.add(post(leg.to(), asset, amount, true));
            }
        }
        settleLocks(p);
        finish(p, Step.TAKE, null);
        changed(p);
        List<BalanceView> after = new ArrayList<>();
        for (int slot : new java.util.LinkedHashSet<>(touched)) {
            after.add(accounts.view(slot, assets));
        }
        return after;
    }

    private int takeDebit(Leg leg, int asset, Int128 amount) {
        if (leg.holdId() == null) {
            return post(leg.from(), asset, amount, false);
        }
        int hold = holds.slot(leg.holdId());
        int slot = holds.accountOf(hold);
        undo.touch(slot);
        undo.touchHold(hold, false);
        require(sum.subtract(accounts.heldHi(slot), accounts.heldLo(slot), amount.hi(), amount.lo()), "held of " + leg.from());
        accounts.setHeld(slot, sum.hi, sum.lo);
        require(sum.subtract(holds.remainingHi(hold), holds.remainingLo(hold), amount.hi(), amount.lo()), "hold " + leg.holdId());
        holds.setRemaining(hold, sum.hi, sum.lo);
        if (sum.isZero()) {
            holds.states[hold] = HoldTable.SETTLED;
        }
        return slot;
    }

    /** Locks that ended with the participant: a hold with no lock left forgets it (and its pending end, settled by now). */
    private void settleLocks(Participant p) {
        for (HoldShare share : p.holdShares) {
            HoldLock lock = table.locks.get(share.holdId());
            int hold = holds.slot(share.holdId());
            undo.touchHold(hold, false);
            if ((lock.lockedHi | lock.lockedLo) == 0) {
                table.locks.remove(share.holdId());
                if (lock.ending()) {
                    applied.record(new CrossShardRecord(CrossShardRecord.HOLD_END, lock.holdId, "ENDED", null, List.of()));
                }
            }
        }
    }

    /** Abort on this shard: reservations back to available, locks off; a hold whose release or expiry waited ends now. */
    private void giveBack(Participant p) {
        undo.begin();
        giveBackReservations(p);
        table.removeParticipant(p, assets);
        Ended ended = null;
        for (HoldShare share : p.holdShares) {
            HoldLock lock = table.locks.get(share.holdId());
            int hold = holds.slot(share.holdId());
            undo.touchHold(hold, false);
            if (lock.ending()) {
                int slot = holds.accountOf(hold);
                undo.touch(slot);
                Int128 amount = share.locked();
                require(sum.subtract(accounts.heldHi(slot), accounts.heldLo(slot), amount.hi(), amount.lo()), "held");
                accounts.setHeld(slot, sum.hi, sum.lo);
                require(sum.add(accounts.availableHi(slot), accounts.availableLo(slot), amount.hi(), amount.lo()), "available");
                accounts.setAvailable(slot, sum.hi, sum.lo);
                require(sum.subtract(holds.remainingHi(hold), holds.remainingLo(hold), amount.hi(), amount.lo()), "remaining");
                holds.setRemaining(hold, sum.hi, sum.lo);
                if (sum.isZero()) {
                    holds.states[hold] = lock.pendingEnd;
                }
                ended = new Ended(lock.pendingCommand, lock.pendingEnd == HoldTable.EXPIRED ? "expire" : "release", slot);
            }
            if ((lock.lockedHi | lock.lockedLo) == 0) {
                table.locks.remove(share.holdId());
                if (lock.ending()) {
                    applied.record(new CrossShardRecord(CrossShardRecord.HOLD_END, lock.holdId, "ENDED", null, List.of()));
                }
            }
        }
        finish(p, Step.GIVE_BACK, ended);
        changed(p);
    }

    private void giveBackReservations(Participant p) {
        for (Share share : p.shares) {
            if (share.reserved().isZero()) {
                continue;
            }
            int slot = accounts.slot(share.owner(), assets.id(share.asset()));
            undo.touch(slot);
            move(slot, share.reserved(), false);
        }
    }

    /** available -> held ({@code toHeld}) or back. */
    private void move(int slot, Int128 amount, boolean toHeld) {
        long fromHi = toHeld ? accounts.availableHi(slot) : accounts.heldHi(slot);
        long fromLo = toHeld ? accounts.availableLo(slot) : accounts.heldLo(slot);
        require(sum.subtract(fromHi, fromLo, amount.hi(), amount.lo()), "reservation of " + accounts.owner(slot));
        long afterFromHi = sum.hi;
        long afterFromLo = sum.lo;
        long toHi = toHeld ? accounts.heldHi(slot) : accounts.availableHi(slot);
        long toLo = toHeld ? accounts.heldLo(slot) : accounts.availableLo(slot);
        require(sum.add(toHi, toLo, amount.hi(), amount.lo()), "reservation of " + accounts.owner(slot));
        if (toHeld) {
            accounts.setAvailable(slot, afterFromHi, afterFromLo);
            accounts.setHeld(slot, sum.hi, sum.lo);
        } else {
            accounts.setHeld(slot, afterFromHi, afterFromLo);
            accounts.setAvailable(slot, sum.hi, sum.lo);
        }
    }

    /** available += amount ({@code credit}) or -= amount, on an account created if it does not exist yet. */
    private int post(String owner, int asset, Int128 amount, boolean credit) {
        int ownerId = accounts.internOwner(owner);
        int slot = accounts.slot(ownerId, asset);
        if (slot == AccountTable.NONE) {
            slot = accounts.create(ownerId, asset);
        }
        undo.touch(slot);
        boolean fits = credit ? sum.add(accounts.availableHi(slot), accounts.availableLo(slot), amount.hi(), amount.lo())
                : sum.subtract(accounts.availableHi(slot), accounts.availableLo(slot), amount.hi(), amount.lo());
        require(fits, (credit ? "credit to " : "debit from ") + owner);
        accounts.setAvailable(slot, sum.hi, sum.lo);
        return slot;
    }

    private static void require(boolean fits, String what) {
        if (!fits) {
            throw new InvariantViolation(what + " passed 128 bits in a transfer between shards, which its prepare had ruled out");
        }
    }

    /** How a step's balance changes count for history. */
    private enum Step { RESERVE, TAKE, GIVE_BACK }

    /** A release or expiry that waited for the locks and took effect at an abort: its history entry is its own. */
    private record Ended(String commandId, String type, int account) {
    }

    /**
     * Ends the step's transaction: checks the laws over what it touched, commits it (revisions,
     * closed holds to the archive), and says which of its balance changes are history. Reservations
     * and their return are not: an account's history entry comes at its commit, with the transfer's
     * net change (the reservation taken out of the delta), as embedded mode would write it. A release
     * or expiry that waited for the locks is history under its own command ({@code ended}). A
     * change that is not history keeps the account's revision.
     */
    private void finish(Participant p, Step step, Ended ended) {
        invariants.checkCommand(seq);
        int first = applied.balanceCount;
        undo.commit(applied, archive, filter);
        Map<Integer, Int128> reserved = new java.util.HashMap<>();
        for (Share share : p.shares) {
            if (!share.reserved().isZero()) {
                reserved.put(accounts.slot(share.owner(), assets.id(share.asset())), share.reserved());
            }
        }
        for (int i = first; i < applied.balanceCount; i++) {
            int slot = applied.balanceSlots[i];
            Int128 r = reserved.get(slot);
            if (r != null && step != Step.RESERVE) {
                applied.addToDelta(i, r.negate(), r);
            }
            boolean historic;
            if (step == Step.TAKE) {
                historic = applied.hasDelta(i);
                applied.history(i, historic, p.id, "transfer");
            } else if (ended != null && slot == ended.account()) {
                historic = applied.hasDelta(i);
                applied.history(i, historic, ended.commandId(), ended.type());
            } else {
                historic = false;
                applied.history(i, false, p.id, "transfer");
            }
            if (applied.changed(i) && !historic) {
                // A revision counts an account's history entries (streams, the channel copy and change
                // events rely on it): a reservation or its return moves money into or out of held
                // without one, so it keeps the revision; the commit's entry is the next.
                accounts.addRevision(slot, -1);
                applied.keepRevision(i);
            }
        }
    }

    // ==== outputs ===============================================================================

    private void send(int shard, Command.Protocol record) {
        applied.send(shard, record);
    }

    private void changed(Coordinator x) {
        if (table.coordinators.get(x.id) == x) {
            table.schedule(x);
            applied.record(new CrossShardRecord(CrossShardRecord.COORDINATOR, x.id, x.stateName(), CrossShardTable.encode(x), List.of()));
        }
    }

    private void changed(Participant p) {
        if (table.participants.get(p.id) == p) {
            table.schedule(p);
            List<CrossShardRecord.Reservation> reserved = new ArrayList<>();
            for (Share share : p.shares) {
                if (!share.reserved().isZero()) {
                    reserved.add(new CrossShardRecord.Reservation(share.owner(), share.asset(), share.reserved()));
                }
            }
            applied.record(new CrossShardRecord(CrossShardRecord.PARTICIPANT, p.id, "RESERVED", CrossShardTable.encode(p), reserved));
        } else {
            applied.record(new CrossShardRecord(CrossShardRecord.PARTICIPANT, p.id, "ENDED", null, List.of()));
        }
    }

    /** A hold's pending end changed ({@link MoneyRules}: a release or expiry met a lock). */
    void pendingEndChanged(HoldLock lock) {
        applied.record(new CrossShardRecord(CrossShardRecord.HOLD_END, lock.holdId, HoldTable.state(lock.pendingEnd).name(),
                CrossShardTable.encode(lock), List.of()));
    }

    private void storeOwn(String id, Status status, Reason reason, String message, List<BalanceView> balances, byte[] fingerprint,
                          int offset, int length) {
        // stored() asks the archive only when the filter says maybe: an id stored unfiltered would be
        // answered "never seen" and its record applied twice (today every engine that runs the
        // protocol has no filter, which lets everything through; this keeps it right with one)
        filter.put(id, IdFilter.COMMAND_SEED);
        archive.resultStored(seq, java.util.Arrays.copyOfRange(fingerprint, offset, offset + length),
                new Result(id, status, reason, message, seq, atMicros, status == Status.APPLIED ? balances : List.of()));
    }

    private StoredResult stored(String id) {
        return filter.mightContain(id, IdFilter.COMMAND_SEED) ? archive.result(id, seq) : null;
    }

    // ==== which shards ==========================================================================

    /** Shards other than this one with a side of a leg in [0, limit), ascending. */
    private int[] remoteShards(List<Leg> legs, int limit) {
        TreeSet<Integer> remote = new TreeSet<>();
        int self = shards.self();
        for (int i = 0; i < limit; i++) {
            int debit = shards.debitShard(legs.get(i), self);
            int credit = shards.creditShard(legs.get(i), self);
            if (debit != self) {
                remote.add(debit);
            }
            if (credit != self) {
                remote.add(credit);
            }
        }
        return remote.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether another shard has a side that would fail before {@code key} (so it must be asked). */
    private boolean remoteSideBefore(List<Leg> legs, int limit, int key) {
        int self = shards.self();
        for (int i = 0; i < limit; i++) {
            if (shards.debitShard(legs.get(i), self) != self && CrossShardTable.failKey(i, CrossShardTable.PART_DEBIT) < key) {
                return true;
            }
            if (shards.creditShard(legs.get(i), self) != self && CrossShardTable.failKey(i, CrossShardTable.PART_CREDIT) < key) {
                return true;
            }
        }
        return false;
    }

    private String text(BigInteger amount, int asset) {
        return Int128.fromBigInteger(amount).toDecimalString(assets.scale(asset));
    }

    private static BigInteger big(long hi, long lo) {
        return Int128.of(hi, lo).toBigInteger();
    }
}
