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
import jango.engine.SnapshotCodec;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.LoadedShard;
import jango.engine.port.ShardStore.ShardCommit;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One shard's writer as distributed mode drives it, minus Kafka: a seeded random stream of
 * commands over the shard's own users (and the shared system accounts) applied to an engine, then
 * collected into one {@link ShardCommit} per batch: the final state of every touched account and
 * hold, the new results, every balance change and one outbox message per new result.
 */
final class ShardDriver {
    static final Map<String, Integer> SCALES = Map.of("USD", 2, "WEI", 18, "PTS", 0);
    private static final List<String> ASSETS = List.of("USD", "WEI", "PTS");
    private static final BigInteger HUGE = BigInteger.ONE.shiftLeft(120);

    final int shard;
    private final Random random;
    private final List<String> users;
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
    private final List<ShardStore.NewResult> newResults = new ArrayList<>();
    private final List<BalanceChange> changes = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void balanceChanged(BalanceChange change) {
            changes.add(change);
            touchedBalances.put(change.account() + " " + change.asset(), null);
        }

        @Override
        public void holdChanged(HoldView hold) {
            touchedHolds.put(hold.holdId(), null);
        }
    };

    ShardDriver(int shard, long seed) {
        this.shard = shard;
        this.random = new Random(seed);
        this.users = List.of("s" + shard + "u1", "s" + shard + "u2", "s" + shard + "u3", "s" + shard + "u4");
    }

    /** Continues from what the store loaded (after acquire or reload). */
    ShardDriver take(LoadedShard loaded) {
        this.engine = loaded.engine();
        this.epoch = loaded.epoch();
        this.nextOffset = loaded.nextOffset();
        this.nowMicros = Math.max(nowMicros, engine.lastAtMicros());
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
        for (String asset : ASSETS) {
            store.registerAsset(asset, SCALES.get(asset));
            apply(new Command.RegisterAsset(asset, SCALES.get(asset)));
        }
        return collect(ASSETS.size());
    }

    /** Applies {@code commands} random commands and returns the batch's commit (the driver moves on as if it succeeded). */
    ShardCommit batch(int commands) {
        for (int i = 0; i < commands; i++) {
            if (random.nextInt(3) > 0) {
                nowMicros += random.nextInt(300);
            }
            apply(command());
        }
        return collect(commands);
    }

    /** Applies exactly these commands as one batch. */
    ShardCommit batch(List<Command> commands) {
        commands.forEach(this::apply);
        return collect(commands.size());
    }

    Outcome apply(Command command) {
        Outcome outcome = engine.apply(engine.lastSeq() + 1, nowMicros, command, listener);
        if (outcome.kind() == Outcome.Kind.NEW) {
            Result result = outcome.result();
            newResults.add(new ShardStore.NewResult(engine.storedResult(result.id()).fingerprint(), result));
            result.balances().forEach(b -> touchedBalances.put(b.account() + " " + b.asset(), null));
        }
        return outcome;
    }

    private ShardCommit collect(int commands) {
        engine.checkInvariants();
        List<BalanceView> balances = new ArrayList<>();
        for (String key : touchedBalances.keySet()) {
            int space = key.indexOf(' ');
            balances.add(engine.balance(key.substring(0, space), key.substring(space + 1)));
        }
        List<HoldView> holds = touchedHolds.keySet().stream().map(engine::hold).toList();
        List<ShardStore.OutboxMessage> outbox = newResults.stream()
                .map(r -> new ShardStore.OutboxMessage(0, shard, "events", shard, r.result().id(),
                        SnapshotCodec.encodeResult(r.result())))
                .toList();
        nextOffset += commands;
        ShardCommit commit = new ShardCommit(shard, epoch, nextOffset, engine.lastSeq(), engine.lastAtMicros(),
                balances, holds, List.copyOf(newResults), List.copyOf(changes), outbox);
        touchedBalances.clear();
        touchedHolds.clear();
        newResults.clear();
        changes.clear();
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
            HoldView hold = engine.hold(pick(holdIds));
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
        BalanceView balance = engine.balance(account, asset);
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
