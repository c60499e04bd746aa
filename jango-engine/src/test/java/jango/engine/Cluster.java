package jango.engine;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Several engines, one per shard, as distributed mode runs them, with the parts around them made
 * small and in memory: each shard's log is a FIFO queue (a Kafka partition), every protocol record
 * an engine sends is appended to its target's queue (the outbox relay), and the stored results and
 * closed holds of all shards are one archive (PostgreSQL's tables are global). The network can
 * lose, duplicate and delay records ({@link #faults}); each shard applies its entries at the time
 * they carry, never earlier than its last. The full invariant check runs on the shard after every
 * entry, as the property test does.
 */
final class Cluster {
    /** An entry waiting in a shard's log: the command and the time its producer stamped on it. */
    record Entry(Command command, long atMicros) {
    }

    /** What the network does to a protocol record (a client command always arrives, once). */
    static final class Faults {
        final Random random;
        final double lose;
        final double duplicate;

        Faults(long seed, double lose, double duplicate) {
            this.random = new Random(seed);
            this.lose = lose;
            this.duplicate = duplicate;
        }

        static Faults none() {
            return new Faults(0, 0, 0);
        }
    }

    final int count;
    final Engine[] engines;
    final ShardMap map;
    final List<ArrayDeque<Entry>> logs = new ArrayList<>();
    final Map<String, StoredResult> results = new HashMap<>();
    final Map<String, HoldView> closedHolds = new HashMap<>();
    /** Every answer given: the client command's outcome, or the transfer's when it ended between shards. */
    final Map<String, Outcome> answers = new HashMap<>();
    /** Every balance change that is a history entry, of every shard, in the order applied. */
    final List<BalanceChange> history = new ArrayList<>();
    /** Records sent, per kind of protocol record, for tests that count them. */
    final Map<String, Integer> sent = new TreeMap<>();
    Faults faults = Faults.none();
    /** Records a test holds back instead of delivering ({@link #hold}). */
    Predicate<Command.Protocol> held = r -> false;
    final List<Entry> heldBack = new ArrayList<>();
    final List<Entry> lost = new ArrayList<>();
    /** Copies of records the relay will publish again later (it deletes a row only once the broker acknowledged it). */
    private final List<int[]> lateTargets = new ArrayList<>();
    private final List<Entry> lateCopies = new ArrayList<>();
    long nowMicros = 1_700_000_000_000_000L;

    Cluster(int count) {
        this(count, 0);
    }

    /** With an id filter of {@code idFilterBytes} per shard (0: none, every id is asked of the archive, as distributed mode runs). */
    Cluster(int count, int idFilterBytes) {
        this.count = count;
        this.map = new ShardMap(0, count);
        this.engines = new Engine[count];
        for (int shard = 0; shard < count; shard++) {
            engines[shard] = new Engine(idFilterBytes, new ShardArchive(), new ShardMap(shard, count));
            logs.add(new ArrayDeque<>());
        }
    }

    /** The archive of one shard: PostgreSQL's global results and holds (open holds of other shards included). */
    private final class ShardArchive implements Archive {
        @Override
        public StoredResult result(String commandId, long beforeSeq) {
            return results.get(commandId);
        }

        @Override
        public HoldView hold(String holdId, long beforeSeq) {
            HoldView closed = closedHolds.get(holdId);
            if (closed != null) {
                return closed;
            }
            for (Engine engine : engines) {
                int slot = engine == null ? HoldTable.NONE : engine.holds.slot(holdId);
                if (slot != HoldTable.NONE) {
                    return engine.view().openHold(slot);
                }
            }
            return null;
        }

        @Override
        public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
            results.put(applied.commandId(), new StoredResult(Arrays.copyOfRange(fingerprint, offset, offset + length), applied.result()));
        }

        @Override
        public void holdClosed(Applied applied, int index) {
            closedHolds.put(applied.holdId(index), applied.hold(index));
        }

        @Override
        public void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
            results.put(commandId, StoredResult.pending(fingerprint.clone(), attempt));
        }

        @Override
        public void resultStored(long seq, byte[] fingerprint, Result result) {
            results.put(result.id(), new StoredResult(fingerprint.clone(), result));
        }
    }

    // ---- clients --------------------------------------------------------------------------------

    void registerAsset(String code, int scale) {
        for (int shard = 0; shard < count; shard++) {
            logs.get(shard).add(new Entry(new Command.RegisterAsset(code, scale), nowMicros));
        }
        runUntilQuiet(new Random(0));
    }

    /** A client command into the log of the shard distributed mode routes it to. */
    int submit(Command command) {
        int shard = route(command);
        logs.get(shard).add(new Entry(command, nowMicros));
        return shard;
    }

    /** Submits, delivers everything, and answers: the outcome a waiting caller would get. */
    Outcome run(Command command) {
        answers.remove(command.id());
        submit(command);
        runUntilQuiet(new Random(1));
        return answers.get(command.id());
    }

    /** The routing of DistributedLedger: by account; a transfer by its first debited user; a release by its hold's account. */
    int route(Command command) {
        String owner = switch (command) {
            case Command.Deposit d -> d.account();
            case Command.Withdraw w -> w.account();
            case Command.PlaceHold h -> h.account();
            case Command.Adjust a -> a.account();
            case Command.Transfer t -> transferOwner(t);
            case Command.Release r -> {
                HoldView hold = new ShardArchive().hold(r.holdId(), Long.MAX_VALUE);
                yield hold == null ? r.holdId() : hold.account();
            }
            default -> throw new IllegalArgumentException("not a client command: " + command);
        };
        return map.of(owner);
    }

    static String transferOwner(Command.Transfer transfer) {
        for (Leg leg : transfer.legs()) {
            if (!Names.isSystem(leg.from())) {
                return leg.from();
            }
        }
        for (Leg leg : transfer.legs()) {
            if (!Names.isSystem(leg.to())) {
                return leg.to();
            }
        }
        return transfer.legs().get(0).from();
    }

    // ---- the logs -------------------------------------------------------------------------------

    /** Applies the next entry of {@code shard}'s log; false when it had none. */
    boolean step(int shard) {
        Entry entry = logs.get(shard).poll();
        if (entry == null) {
            return false;
        }
        apply(shard, entry);
        return true;
    }

    Outcome.Kind apply(int shard, Entry entry) {
        Engine engine = engines[shard];
        byte[] encoded = CommandCodec.encode(entry.command());
        long at = Math.max(entry.atMicros(), engine.lastAtMicros());
        Outcome.Kind kind = engine.execute(engine.lastSeq() + 1, at, entry.command(), encoded, 0, encoded.length);
        Applied applied = engine.applied();
        for (int i = 0; i < applied.balanceCount(); i++) {
            if (applied.historic(i)) {
                history.add(applied.change(i));
            }
        }
        String id = entry.command().id();
        if (id != null && !(entry.command() instanceof Command.Protocol)) {
            switch (kind) {
                case NEW, REPLAYED, ID_CONFLICT, UNAVAILABLE -> answers.put(id, applied.outcome());
                default -> {
                }
            }
        }
        for (int i = 0; i < applied.finishedCount(); i++) {
            answers.put(applied.finished(i).transferId(), applied.finished(i).outcome());
        }
        for (int i = 0; i < applied.sendCount(); i++) {
            deliver(applied.send(i).shard(), new Entry(applied.send(i).command(), at));
        }
        try {
            engine.checkInvariants();
        } catch (InvariantViolation e) {
            throw new AssertionError("shard " + shard + " after " + entry.command() + ": " + e.getMessage(), e);
        }
        return kind;
    }

    private void deliver(int shard, Entry entry) {
        Command.Protocol record = (Command.Protocol) entry.command();
        sent.merge(record.getClass().getSimpleName(), 1, Integer::sum);
        if (held.test(record)) {
            heldBack.add(new Entry(record, entry.atMicros()));
            return;
        }
        if (faults.random.nextDouble() < faults.lose) {
            lost.add(entry);
            return;
        }
        logs.get(shard).add(entry);
        if (faults.random.nextDouble() < faults.duplicate) {
            lateTargets.add(new int[] {shard});
            lateCopies.add(entry);
        }
    }

    /** One of the late copies arrives (behind whatever its shard's log holds now). */
    private void deliverLateCopy(Random random) {
        int i = random.nextInt(lateCopies.size());
        logs.get(lateTargets.remove(i)[0]).add(lateCopies.remove(i));
    }

    /** Where a held-back or lost record goes when released: the shard the record is for. */
    int targetOf(Command.Protocol record) {
        return switch (record) {
            case Command.Prepare p -> p.shard();
            case Command.Commit c -> c.shard();
            case Command.Abort a -> a.shard();
            case Command.Vote v -> coordinatorOf(v.transferId());
            case Command.Done d -> coordinatorOf(d.transferId());
        };
    }

    private int coordinatorOf(String transferId) {
        for (int shard = 0; shard < count; shard++) {
            if (engines[shard].crossShard.coordinators.containsKey(transferId)) {
                return shard;
            }
        }
        throw new IllegalStateException("no coordinator of " + transferId);
    }

    /** Delivers what a test held back, last first (a reordering the relay does not make, but a test may). */
    void releaseReversed() {
        java.util.Collections.reverse(heldBack);
        release();
    }

    /** Delivers what a test held back (after the records that went on meanwhile). */
    void release() {
        for (Entry entry : heldBack) {
            logs.get(targetOf((Command.Protocol) entry.command())).add(entry);
        }
        heldBack.clear();
        held = r -> false;
    }

    /** Applies entries of random shards until every log is empty. */
    void runUntilQuiet(Random random) {
        while (true) {
            List<Integer> waiting = new ArrayList<>();
            for (int shard = 0; shard < count; shard++) {
                if (!logs.get(shard).isEmpty()) {
                    waiting.add(shard);
                }
            }
            if (!lateCopies.isEmpty() && (waiting.isEmpty() || random.nextInt(8) == 0)) {
                deliverLateCopy(random);
                continue;
            }
            if (waiting.isEmpty()) {
                return;
            }
            step(waiting.get(random.nextInt(waiting.size())));
        }
    }

    /** A tick into every shard's log at {@code atMicros} (each writer ticks its own partition). */
    void tickAll(long atMicros) {
        nowMicros = Math.max(nowMicros, atMicros);
        for (int shard = 0; shard < count; shard++) {
            logs.get(shard).add(new Entry(new Command.Tick(), atMicros));
        }
    }

    /** Lets time pass, ticking each shard when something of it is due, until nothing between shards is in flight. */
    void settle(Random random) {
        for (int round = 0; round < 200; round++) {
            runUntilQuiet(random);
            long due = Long.MAX_VALUE;
            for (Engine engine : engines) {
                if (!engine.crossShard.isEmpty()) {
                    due = Math.min(due, engine.nextExpiryMicros());
                }
            }
            if (due == Long.MAX_VALUE) {
                return;
            }
            tickAll(Math.max(nowMicros, due));
        }
        throw new AssertionError("transfers between shards still in flight after 200 rounds of time: " + inFlight());
    }

    String inFlight() {
        StringBuilder text = new StringBuilder();
        for (int shard = 0; shard < count; shard++) {
            CrossShardTable table = engines[shard].crossShard;
            table.coordinators.values().forEach(x -> text.append("[X ").append(x.id).append(' ').append(x.stateName())
                    .append(" votes=").append(Arrays.toString(x.votes)).append(" done=").append(Arrays.toString(x.done))
                    .append(" due=").append(x.dueMicros()).append(" gaveUp=").append(x.gaveUp).append(" stored=").append(x.resultStored)
                    .append("] "));
            text.append("shard ").append(shard).append(": X").append(table.coordinators.keySet()).append(" P")
                    .append(table.participants.keySet()).append(" L").append(table.locks.keySet()).append("; ");
        }
        return text.toString();
    }

    // ---- reads ----------------------------------------------------------------------------------

    /** A user's balance from its shard, or a system owner's summed over shards, as "available/held"; null if none. */
    String balance(String owner, String asset) {
        BigInteger available = BigInteger.ZERO;
        BigInteger held = BigInteger.ZERO;
        boolean found = false;
        for (int shard = 0; shard < count; shard++) {
            if (!Names.isSystem(owner) && map.of(owner) != shard) {
                continue;
            }
            BalanceView view = engines[shard].view().balance(owner, asset);
            if (view != null) {
                found = true;
                available = available.add(view.available().toBigInteger());
                held = held.add(view.held().toBigInteger());
            }
        }
        return found ? available + "/" + held : null;
    }

    HoldView hold(String holdId) {
        return new ShardArchive().hold(holdId, Long.MAX_VALUE);
    }

    void assertNothingInFlight() {
        for (int shard = 0; shard < count; shard++) {
            if (!engines[shard].crossShard.isEmpty()) {
                throw new AssertionError("still in flight: " + inFlight());
            }
        }
    }

    /** Nothing in flight anywhere: no coordinator, participant, lock or pending end, and @clearing at zero per asset. */
    void assertSettled() {
        assertNothingInFlight();
        Map<String, BigInteger> clearing = new TreeMap<>();
        for (Engine engine : engines) {
            engine.view().forEachBalance(b -> {
                if (b.account().equals(Names.CLEARING)) {
                    clearing.merge(b.asset(), b.available().toBigInteger().add(b.held().toBigInteger()), BigInteger::add);
                }
            });
        }
        clearing.forEach((asset, sum) -> {
            if (sum.signum() != 0) {
                throw new AssertionError("@clearing " + asset + " sums to " + sum + " over the shards, not 0");
            }
        });
    }

    /** Users of {@code prefix}0, 1, ... until each shard has {@code perShard} of them, as [shard][i]. */
    String[][] usersByShard(String prefix, int perShard) {
        String[][] users = new String[count][perShard];
        int[] found = new int[count];
        for (int i = 0; Arrays.stream(found).anyMatch(f -> f < perShard); i++) {
            String user = prefix + i;
            int shard = map.of(user);
            if (found[shard] < perShard) {
                users[shard][found[shard]++] = user;
            }
        }
        return users;
    }
}
