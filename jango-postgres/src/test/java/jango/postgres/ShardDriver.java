package jango.postgres;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Int128;
import jango.engine.Leg;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.ResultCodec;
import jango.engine.SnapshotCodec;
import jango.writer.StoreArchive;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.LoadedShard;
import jango.engine.port.ShardStore.ShardCommit;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.Random;

/**
 * One shard's writer as distributed mode drives it, minus Kafka: a seeded random stream of
 * commands over the shard's own users (and the shared system accounts), the ids of each batch
 * fetched from the store first ({@link StoreArchive}, as the writer does), applied to an engine,
 * then collected into one {@link ShardCommit} per batch: the final state of every touched account
 * and hold, the new results, every balance change, one outbox message per new result, and the
 * assets the batch registered.
 */
final class ShardDriver {
    static final Map<String, Integer> SCALES = Map.of("USD", 2, "WEI", 18, "PTS", 0);
    private static final List<String> ASSETS = List.of("USD", "WEI", "PTS");
    private static final BigInteger HUGE = BigInteger.ONE.shiftLeft(120);

    final int shard;
    private final Random random;
    private List<String> users;
    private final List<Command> issued = new ArrayList<>();
    private final List<String> holdIds = new ArrayList<>();
    private Engine engine;
    private long epoch;
    private long nextOffset;
    private long nowMicros = 1_700_000_000_000_000L;
    private int nextCommand;
    private int nextHold;

    /** Everything the current batch did, for its commit. */
    private final Map<String, BalanceView> touchedBalances = new LinkedHashMap<>();
    private final Map<String, HoldView> touchedHolds = new LinkedHashMap<>();
    private final List<BalanceChange> changes = new ArrayList<>();
    private final Map<String, Integer> registered = new LinkedHashMap<>();
    /** Every result this driver's batches made, by command id (the engine keeps none: they are in the store). */
    private final Map<String, jango.engine.StoredResult> made = new java.util.HashMap<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void balanceChanged(BalanceChange change) {
            changes.add(change);
            touchedBalances.put(change.account() + " " + change.asset(), null);
        }

        @Override
        public void holdChanged(HoldView hold) {
            touchedHolds.put(hold.holdId(), hold);
        }
    };

    /** Takes the shard for {@code owner}: a new epoch, and an engine that asks the store through a {@link StoreArchive}. */
    static LoadedShard acquire(ShardStore store, int shard, String owner) {
        return store.acquire(shard, owner, new StoreArchive(store));
    }

    static LoadedShard reload(ShardStore store, int shard, long epoch) {
        return store.reload(shard, epoch, new StoreArchive(store));
    }

    ShardDriver(int shard, long seed) {
        this.shard = shard;
        this.random = new Random(seed);
    }

    /** Four users that live on this shard of the store's layout, so every transfer stays on the shard. */
    private static List<String> users(jango.engine.ShardMap map) {
        List<String> users = new ArrayList<>();
        for (int i = 1; users.size() < 4; i++) {
            String user = "s" + map.self() + "u" + i;
            if (map.of(user) == map.self()) {
                users.add(user);
            }
        }
        return List.copyOf(users);
    }

    /** Continues from what the store loaded (after acquire or reload). */
    ShardDriver take(LoadedShard loaded) {
        this.engine = loaded.engine();
        this.users = users(engine.shardMap());
        this.epoch = loaded.epoch();
        this.nextOffset = loaded.nextOffset();
        this.nowMicros = Math.max(nowMicros, engine.lastAtMicros());
        archive().clear();
        return this;
    }

    Engine engine() {
        return engine;
    }

    long epoch() {
        return epoch;
    }

    String stateHash() {
        return SnapshotCodec.stateHash(engine);
    }

    List<String> users() {
        return users;
    }

    /** Registers the test assets in the store and in the engine (as log entries), as one batch. */
    ShardCommit registerAssets(ShardStore store) {
        List<Command> registrations = new ArrayList<>();
        for (String asset : ASSETS) {
            store.registerAsset(asset, SCALES.get(asset));
            registrations.add(new Command.RegisterAsset(asset, SCALES.get(asset)));
        }
        return batch(registrations);
    }

    /**
     * Applies {@code commands} random commands and returns the batch's commit (the driver moves on as
     * if it succeeded). The commands are chosen from the state before the batch.
     */
    ShardCommit batch(int commands) {
        List<Command> chosen = new ArrayList<>(commands);
        for (int i = 0; i < commands; i++) {
            chosen.add(command());
        }
        return batch(chosen);
    }

    /** Applies exactly these commands as one batch. */
    ShardCommit batch(List<Command> commands) {
        prefetch(commands);
        for (Command command : commands) {
            if (random.nextInt(3) > 0) {
                nowMicros += random.nextInt(300);
            }
            apply(command);
        }
        return collect(commands.size());
    }

    private void prefetch(List<Command> commands) {
        Set<String> ids = new LinkedHashSet<>();
        Set<String> holds = new LinkedHashSet<>();
        for (Command command : commands) {
            if (command.id() != null) {
                ids.add(command.id());
            }
            switch (command) {
                case Command.PlaceHold h -> holds.add(h.holdId());
                case Command.Release r -> holds.add(r.holdId());
                case Command.Transfer t -> t.legs().stream().map(Leg::holdId).filter(java.util.Objects::nonNull).forEach(holds::add);
                default -> {
                }
            }
        }
        try {
            archive().prefetch(ids, holds);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private StoreArchive archive() {
        return (StoreArchive) engine.archive();
    }

    /** The result a batch of this driver made for the id, or null. */
    jango.engine.StoredResult made(String commandId) {
        return made.get(commandId);
    }

    /** One command as a batch of its own (its ids fetched first); the batch is not committed. */
    Outcome applyAlone(Command command) {
        prefetch(List.of(command));
        Outcome outcome = apply(command);
        collect(1);
        return outcome;
    }

    private Outcome apply(Command command) {
        Outcome outcome = engine.apply(engine.lastSeq() + 1, nowMicros, command, listener);
        if (outcome.kind() == Outcome.Kind.NEW) {
            outcome.result().balances().forEach(b -> touchedBalances.put(b.account() + " " + b.asset(), null));
        }
        if (outcome.kind() == Outcome.Kind.ASSET_CREATED) {
            Command.RegisterAsset registration = (Command.RegisterAsset) command;
            registered.put(registration.code(), registration.scale());
        }
        return outcome;
    }

    private ShardCommit collect(int commands) {
        engine.checkInvariants();
        List<BalanceView> balances = new ArrayList<>();
        for (String key : touchedBalances.keySet()) {
            int space = key.indexOf(' ');
            balances.add(engine.view().balance(key.substring(0, space), key.substring(space + 1)));
        }
        List<HoldView> holds = List.copyOf(touchedHolds.values());
        List<ShardStore.NewResult> newResults = List.copyOf(archive().newResults());
        newResults.forEach(r -> made.put(r.result().id(), new jango.engine.StoredResult(r.fingerprint(), r.result())));
        List<ShardStore.OutboxMessage> outbox = newResults.stream()
                .map(r -> new ShardStore.OutboxMessage(0, shard, "events", shard, r.result().id(), ResultCodec.encode(r.result())))
                .toList();
        nextOffset += commands;
        ShardCommit commit = new ShardCommit(shard, epoch, nextOffset, engine.lastSeq(), engine.lastAtMicros(),
                balances, holds, newResults, List.copyOf(changes), outbox, Map.copyOf(registered));
        touchedBalances.clear();
        touchedHolds.clear();
        changes.clear();
        registered.clear();
        archive().clear();
        return commit;
    }

    // ---- commands ------------------------------------------------------------------------------

    private Command command() {
        int roll = random.nextInt(100);
        if (roll < 25) {
            return remember(new Command.Deposit(id(), user(), asset(), credit()));
        }
        if (roll < 33) {
            String account = user();
            String asset = asset();
            return remember(new Command.Withdraw(id(), account, asset, debit(account, asset)));
        }
        if (roll < 48) {
            return remember(placeHold());
        }
        if (roll < 58) {
            return remember(release());
        }
        if (roll < 78) {
            return remember(transfer());
        }
        if (roll < 84) {
            return remember(adjust());
        }
        if (roll < 92) {
            return new Command.Tick();
        }
        if (roll < 96 && !issued.isEmpty()) {
            return pick(issued); // a retry: same id, same body
        }
        return remember(new Command.Deposit(id(), user(), "WEI", amount("WEI", HUGE.add(BigInteger.valueOf(random.nextInt(1000))))));
    }

    private Command placeHold() {
        String account = user();
        String asset = asset();
        long expiresAtMicros = random.nextInt(3) == 0 ? Command.NO_EXPIRY : nowMicros + random.nextInt(5_000);
        String holdId = "s" + shard + "h" + nextHold++;
        holdIds.add(holdId);
        return new Command.PlaceHold(id(), account, asset, debit(account, asset), holdId, expiresAtMicros);
    }

    private Command release() {
        HoldView hold = openHold();
        if (hold == null) {
            return new Command.Release(id(), "never-placed", null);
        }
        Decimal amount = random.nextBoolean() ? null : amount(hold.asset(), upTo(hold.remaining().toBigInteger()));
        return new Command.Release(id(), hold.holdId(), amount);
    }

    private Command transfer() {
        int count = 1 + random.nextInt(3);
        List<Leg> legs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int roll = random.nextInt(10);
            HoldView hold = roll < 3 ? openHold() : null;
            if (hold != null) {
                legs.add(new Leg(hold.account(), random.nextBoolean() ? "@fees" : other(hold.account()), hold.asset(),
                        amount(hold.asset(), upTo(hold.remaining().toBigInteger())), hold.holdId()));
            } else {
                String from = user();
                String asset = asset();
                legs.add(new Leg(from, roll == 9 ? "@clearing" : other(from), asset, debit(from, asset), null));
            }
        }
        return new Command.Transfer(id(), legs);
    }

    private Command adjust() {
        String account = user();
        String asset = asset();
        Decimal amount = random.nextBoolean() ? credit(asset)
                : negate(debit(account, asset));
        return new Command.Adjust(id(), account, asset, amount, "correction");
    }

    private HoldView openHold() {
        for (int tries = 0; tries < 5 && !holdIds.isEmpty(); tries++) {
            HoldView hold = engine.view().hold(pick(holdIds));
            if (hold != null && hold.state() == HoldState.OPEN) {
                return hold;
            }
        }
        return null;
    }

    // ---- amounts -------------------------------------------------------------------------------

    private Decimal credit() {
        return credit(asset());
    }

    private Decimal credit(String asset) {
        BigInteger minor = switch (asset) {
            case "WEI" -> new BigInteger(1 + random.nextInt(100), random).add(BigInteger.ONE);
            case "USD" -> BigInteger.valueOf(1 + random.nextInt(1_000_000));
            default -> BigInteger.valueOf(1 + random.nextInt(10_000));
        };
        return amount(asset, minor);
    }

    /** Mostly what the account has or less, sometimes more (a rejection). */
    private Decimal debit(String account, String asset) {
        BalanceView balance = engine.view().balance(account, asset);
        BigInteger available = balance == null ? BigInteger.ZERO : balance.available().toBigInteger();
        if (available.signum() > 0 && random.nextInt(10) < 8) {
            return amount(asset, upTo(available));
        }
        return credit(asset);
    }

    private static Decimal amount(String asset, BigInteger minor) {
        return Decimal.parse(new BigDecimal(minor.max(BigInteger.ONE), SCALES.get(asset)).toPlainString(), false);
    }

    private static Decimal negate(Decimal amount) {
        return new Decimal(Int128.ZERO.subtract(amount.unscaled()), amount.fractionDigits());
    }

    private BigInteger upTo(BigInteger max) {
        if (max.signum() <= 0) {
            return BigInteger.ONE;
        }
        BigInteger value;
        do {
            value = new BigInteger(max.bitLength(), random);
        } while (value.compareTo(max) > 0);
        return value.signum() == 0 ? BigInteger.ONE : value;
    }

    // ---- names ---------------------------------------------------------------------------------

    private String id() {
        return "s" + shard + "c" + nextCommand++;
    }

    private String user() {
        return pick(users);
    }

    private String other(String owner) {
        String other;
        do {
            other = user();
        } while (other.equals(owner));
        return other;
    }

    private String asset() {
        return pick(ASSETS);
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private Command remember(Command command) {
        issued.add(command);
        return command;
    }
}
