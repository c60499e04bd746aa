package jango.engine;

import java.util.Map;

/**
 * The balance state machine: {@code state + entry(seq, time, command) -> new state + what it did}.
 * Pure and deterministic: no I/O, no clock (time is the sequencer's stamp on each entry), no
 * threads. One writer calls {@link #execute}; what the entry did is in {@link #applied()} until the
 * next call.
 *
 * <p>State is flat and preallocated ({@link AccountTable}, {@link HoldTable}): memory is set by
 * the number of accounts and open holds, never by how many commands were applied. Results and
 * closed holds go to the {@link Archive}; the {@link IdFilter} spares a lookup there for nearly
 * every new id. The money rules are in {@link MoneyRules}, the transaction in {@link UndoLog}, the
 * laws in {@link Invariants}, reads in {@link EngineView}, loading from a store in
 * {@link EngineRestore}, and the state as bytes in {@link SnapshotCodec}.
 */
public final class Engine {
    /** Bound on the work one tick does; the sequencer ticks again while holds are due. */
    public static final int MAX_EXPIRIES_PER_TICK = 10_000;
    /** How many commands a writer should pass to {@link #lookAhead} at a time. */
    public static final int LOOK_AHEAD = LookAhead.MAX;
    /** The id filter of an engine made without a size (tests, tools): 64 KiB. */
    public static final int SMALL_ID_FILTER_BYTES = 1 << 16;

    final AssetTable assets;
    final AccountTable accounts;
    final HoldTable holds;
    final CrossShardTable crossShard;
    final IdFilter filter;
    final Archive archive;
    final ShardMap shards;
    private final UndoLog undo;
    private final MoneyRules rules;
    final ProtocolRules protocol;
    private final Invariants invariants;
    private final Applied applied;
    private final EngineView view;
    final LookAhead lookAhead;
    long lastSeq;
    long lastAtMicros;

    /** An engine with a small id filter and its results in memory: for tests and small tools. */
    public Engine() {
        this(SMALL_ID_FILTER_BYTES, new MemoryArchive());
    }

    /**
     * @param idFilterBytes the id filter's fixed size: a power of two, or 0 to ask the archive about
     *                      every id (see {@link IdFilter})
     */
    public Engine(int idFilterBytes, Archive archive) {
        this(new IdFilter(idFilterBytes), archive, ShardMap.SINGLE);
    }

    /**
     * An engine of one shard of several (distributed mode): a transfer whose legs reach other shards
     * runs the protocol between shards ({@link ProtocolRules}) instead of applying at once.
     */
    public Engine(int idFilterBytes, Archive archive, ShardMap shards) {
        this(new IdFilter(idFilterBytes), archive, shards);
    }

    Engine(IdFilter filter, Archive archive, ShardMap shards) {
        this(new AssetTable(), new AccountTable(), new HoldTable(), new CrossShardTable(), filter, archive, shards);
    }

    private Engine(AssetTable assets, AccountTable accounts, HoldTable holds, CrossShardTable crossShard, IdFilter filter,
                   Archive archive, ShardMap shards) {
        this.assets = assets;
        this.accounts = accounts;
        this.holds = holds;
        this.crossShard = crossShard;
        this.filter = filter;
        this.archive = archive;
        this.shards = shards;
        this.undo = new UndoLog(accounts, holds);
        this.applied = new Applied(accounts, assets, crossShard);
        this.invariants = new Invariants(assets, accounts, holds, undo, crossShard, shards);
        this.lookAhead = new LookAhead(filter, accounts, assets, holds);
        this.protocol = new ProtocolRules(assets, accounts, holds, undo, invariants, filter, archive, crossShard, shards, applied);
        this.rules = new MoneyRules(assets, accounts, holds, undo, filter, archive, crossShard, protocol, lookAhead);
        this.view = new EngineView(this);
    }

    /**
     * A copy of the state at this position, for another thread to write as a snapshot, hash or
     * check while this engine goes on: copies of flat arrays and open-addressing maps, so it costs
     * a pause of milliseconds per million accounts. The copy has no archive: it must not apply
     * entries, and its reads of results and closed holds answer nothing.
     */
    public Engine copy() {
        return fork(Archive.NONE);
    }

    /**
     * A copy that goes on applying on its own, storing into {@code archive} (which must answer for
     * what this engine stored so far): benchmarks start each run from one funded state, and a
     * simulator can branch a run.
     */
    public Engine fork(Archive archive) {
        Engine copy = new Engine(assets.copy(), accounts.copy(), holds.copy(), crossShard.copy(accounts, assets), filter.copy(),
                archive, shards);
        copy.lastSeq = lastSeq;
        copy.lastAtMicros = lastAtMicros;
        return copy;
    }

    public long lastSeq() {
        return lastSeq;
    }

    public long lastAtMicros() {
        return lastAtMicros;
    }

    public Archive archive() {
        return archive;
    }

    /** Reads of the state (the writer thread's, or a stopped engine's). */
    public EngineView view() {
        return view;
    }

    /** What the last entry did; valid until the next call of {@link #execute}. */
    public Applied applied() {
        return applied;
    }

    /**
     * Applies one log entry. {@code seq} must follow {@link #lastSeq()} by one and time must not go
     * backwards: the log decides order once, and the engine refuses anything else.
     *
     * @param fingerprint the command's canonical encoding ({@link CommandCodec}) at
     *                    {@code [offset, offset + length)}: the journal record holds exactly those
     *                    bytes, so the writer passes a slice of it; unused for sequencer entries
     */
    public Outcome.Kind execute(long seq, long atMicros, Command command, byte[] fingerprint, int offset, int length) {
        if (seq != lastSeq + 1) {
            throw new InvariantViolation("log gap: entry seq " + seq + " after " + lastSeq);
        }
        if (atMicros < lastAtMicros) {
            throw new InvariantViolation("time went backwards at seq " + seq + ": " + atMicros + " < " + lastAtMicros);
        }
        lastSeq = seq;
        lastAtMicros = atMicros;
        applied.reset(seq, atMicros, command.id(), command.type());
        switch (command) {
            case Command.RegisterAsset register -> registerAsset(register);
            case Command.Tick tick -> {
                expireDue(seq);
                if (!crossShard.isEmpty()) {
                    protocol.tick(seq, atMicros);
                }
            }
            case Command.Protocol record -> protocol.apply(seq, atMicros, record, fingerprint, offset, length);
            default -> runClientCommand(seq, command, fingerprint, offset, length);
        }
        return applied.kind;
    }

    /**
     * Looks at the next commands to be applied, {@code commands[from, to)} (at most
     * {@link #LOOK_AHEAD}), before they are: hashes their ids and brings the id filter's memory for
     * them into the cache, so that their misses overlap instead of each stalling its command (see
     * {@link LookAhead}). Changes no state; optional, and harmless when the commands that follow are
     * other ones. A writer calls it once per {@link #LOOK_AHEAD} commands of a batch.
     */
    public void lookAhead(Command[] commands, int from, int to) {
        lookAhead.load(commands, from, to);
    }

    /** The shard this engine applies, of how many. */
    public ShardMap shardMap() {
        return shards;
    }

    /** As {@link #execute}, for callers that want objects: the outcome, and the events told to {@code listener}. */
    public Outcome apply(long seq, long atMicros, Command command, EngineListener listener) {
        return apply(seq, atMicros, command, null, listener);
    }

    /** As {@link #apply(long, long, Command, EngineListener)}, with the fingerprint when the caller has it (else null). */
    public Outcome apply(long seq, long atMicros, Command command, byte[] encoded, EngineListener listener) {
        byte[] fingerprint = encoded != null || command.id() == null ? encoded : CommandCodec.encode(command);
        execute(seq, atMicros, command, fingerprint, 0, fingerprint == null ? 0 : fingerprint.length);
        applied.publish(listener);
        return applied.outcome();
    }

    private void registerAsset(Command.RegisterAsset register) {
        int existing = assets.id(register.code());
        applied.assetCode = register.code();
        applied.assetScale = register.scale();
        if (existing == AssetTable.NONE) {
            assets.add(register.code(), register.scale());
            applied.kind = Outcome.Kind.ASSET_CREATED;
        } else if (assets.scale(existing) == register.scale()) {
            applied.kind = Outcome.Kind.ASSET_EXISTS;
        } else {
            applied.kind = Outcome.Kind.ASSET_CONFLICT;
            applied.assetScale = assets.scale(existing);
            applied.message = "asset " + register.code() + " exists with scale " + assets.scale(existing);
        }
    }

    private void runClientCommand(long seq, Command command, byte[] fingerprint, int offset, int length) {
        String id = command.id();
        long idHash = lookAhead.hashOf(id);
        if (filter.mightContain(idHash)) {
            StoredResult prior = archive.result(id, seq);
            if (prior != null) {
                if (prior.pending()) {
                    protocol.pendingPrior(seq, lastAtMicros, command, prior, fingerprint, offset, length);
                    return;
                }
                applied.prior = prior;
                applied.kind = prior.sameBody(fingerprint, offset, length) ? Outcome.Kind.REPLAYED : Outcome.Kind.ID_CONFLICT;
                return;
            }
        }
        if (command instanceof Command.Transfer transfer && !shards.allLocal(transfer)) {
            protocol.begin(seq, lastAtMicros, transfer, fingerprint, offset, length, 1);
            return;
        }
        rules.at(seq);
        undo.begin();
        try {
            switch (command) {
                case Command.Deposit d -> rules.deposit(d);
                case Command.Withdraw w -> rules.withdraw(w);
                case Command.PlaceHold h -> rules.placeHold(h);
                case Command.Release r -> rules.release(r);
                case Command.Transfer t -> rules.transfer(t);
                case Command.Adjust a -> rules.adjust(a);
                default -> throw new IllegalArgumentException("not a client command: " + command.type());
            }
            invariants.requireRepresentableChanges();
            invariants.checkCommand(seq);
            undo.commit(applied, archive, filter);
            rules.flushPendingEnd();
            applied.status = Status.APPLIED;
        } catch (Rejection rejection) {
            undo.rollback();
            rules.rollback();
            applied.status = Status.REJECTED;
            applied.reason = rejection.reason;
            applied.message = rejection.getMessage();
        }
        applied.kind = Outcome.Kind.NEW;
        filter.put(idHash);
        archive.resultStored(applied, fingerprint, offset, length);
    }

    /** Each due hold expires as its own small transaction, at most {@link #MAX_EXPIRIES_PER_TICK} per tick. */
    private void expireDue(long seq) {
        applied.kind = Outcome.Kind.TICK;
        for (int expired = 0; expired < MAX_EXPIRIES_PER_TICK; expired++) {
            int hold = holds.firstExpiring();
            if (hold == HoldTable.NONE || holds.expiresAt(hold) > lastAtMicros) {
                return;
            }
            rules.at(seq);
            undo.begin();
            rules.expire(hold);
            invariants.checkCommand(seq);
            undo.commit(applied, archive, filter);
            rules.flushPendingEnd();
        }
    }

    /**
     * The next time something is due: a hold's expiry, or a deadline or reminder of a transfer
     * between shards; {@link Command#NO_EXPIRY} when nothing is. The sequencer ticks then.
     */
    public long nextExpiryMicros() {
        int hold = holds.firstExpiring();
        long expiry = hold == HoldTable.NONE ? Command.NO_EXPIRY : holds.expiresAt(hold);
        return crossShard.isEmpty() ? expiry : Math.min(expiry, crossShard.nextDueMicros());
    }

    /**
     * The full check over all state (start-up, audits, the tests after every batch): conservation
     * per asset, no negative user balance, held equals the sum of open holds.
     *
     * @throws InvariantViolation naming what broke
     */
    public void checkInvariants() {
        invariants.checkAll();
    }

    /** Asset code -> scale, safe to read from any thread. */
    public Map<String, Integer> assetScales() {
        return assets.scalesView();
    }

    /**
     * Empties the id filter and gives it another size, for an engine loaded from a snapshot whose
     * filter was made with another: the caller puts back every id the archive stores before the
     * engine applies anything (see {@link IdFilterRebuild}).
     */
    public IdFilterRebuild rebuildIdFilter(int bytes) {
        return new IdFilterRebuild(this, bytes);
    }

    /** Loads state into this engine, which must not have applied anything yet. */
    public EngineRestore restore() {
        if (lastSeq != 0 || accounts.count() != 0 || holds.count() != 0 || !crossShard.isEmpty()) {
            throw new IllegalStateException("restore only into a new engine (this one is at seq " + lastSeq + ")");
        }
        return new EngineRestore(this);
    }
}
