package jango.bench.postgres;

import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Leg;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random command list over a few users, system accounts and assets (scale 0, 2, 18, and
 * BIG at the edge of the 128-bit range), mixing every client command type with replays, id
 * conflicts, a late asset registration and every rejection reason. Amounts are aimed with a hint
 * engine's balances, so most commands apply and the rest fail for a reason worth comparing.
 */
final class RandomCommands {
    private static final List<String> USERS = List.of("u1", "u2", "u3", "u4", "u5");
    private static final List<String> SYSTEMS = List.of("@external", "@fees", "@adjustments");
    private static final Map<String, Integer> SCALES = Map.of("PTS", 0, "USD", 2, "WEI", 18, "BIG", 0, "LATE", 6);
    private static final List<String> ASSETS = List.of("PTS", "USD", "WEI", "PTS", "USD", "WEI", "BIG", "LATE");
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);

    private final Random random;
    private final Engine hints = new Engine();
    private final List<Command> commands = new ArrayList<>();
    private final List<Command> issued = new ArrayList<>();
    private final List<String> holdIds = new ArrayList<>();
    private long seq;
    private int nextId;
    private int nextHold;

    private RandomCommands(long seed) {
        this.random = new Random(seed);
    }

    /** Asset registrations first, then {@code count} commands. */
    static List<Command> generate(long seed, int count) {
        RandomCommands generator = new RandomCommands(seed);
        for (String asset : List.of("PTS", "USD", "WEI", "BIG")) {
            generator.add(new Command.RegisterAsset(asset, SCALES.get(asset)));
        }
        for (int i = 0; i < count; i++) {
            generator.add(generator.next(i, count));
        }
        return generator.commands;
    }

    private void add(Command command) {
        seq++;
        hints.apply(seq, seq, command, EngineListener.NONE);
        commands.add(command);
    }

    private Command next(int index, int count) {
        if (index == count / 3) {
            return new Command.RegisterAsset("LATE", SCALES.get("LATE"));
        }
        int roll = random.nextInt(100);
        if (roll < 18) {
            return remember(new Command.Deposit(id(), user(), asset(), credit()));
        }
        if (roll < 26) {
            String account = user();
            String asset = asset();
            return remember(new Command.Withdraw(id(), account, asset, debit(account, asset)));
        }
        if (roll < 37) {
            return remember(placeHold());
        }
        if (roll < 45) {
            return remember(release());
        }
        if (roll < 70) {
            return remember(transfer());
        }
        if (roll < 76) {
            return remember(adjust());
        }
        if (roll < 82 && !issued.isEmpty()) {
            return pick(issued); // a retry: same id, same body
        }
        if (roll < 86 && !issued.isEmpty()) {
            return new Command.Deposit(pick(issued).id(), user(), "PTS", amount("PTS", BigInteger.valueOf(1 + random.nextInt(3))));
        }
        if (roll < 88) {
            // Again with the same scale (exists), or with any scale (usually a conflict).
            return random.nextBoolean() ? new Command.RegisterAsset("USD", 2) : new Command.RegisterAsset("WEI", random.nextInt(19));
        }
        if (roll < 93) {
            return remember(systemAccountMisuse());
        }
        return remember(new Command.Deposit(id(), user(), asset(), credit()));
    }

    private Command placeHold() {
        String account = user();
        String asset = asset();
        String holdId = !holdIds.isEmpty() && random.nextInt(8) == 0 ? pick(holdIds) : "h" + nextHold++;
        holdIds.add(holdId);
        return new Command.PlaceHold(id(), account, asset, debit(account, asset), holdId, Command.NO_EXPIRY);
    }

    private Command release() {
        List<HoldView> open = openHolds();
        if (!open.isEmpty() && random.nextInt(4) > 0) {
            HoldView hold = pick(open);
            BigInteger remaining = hold.remaining().toBigInteger();
            Decimal amount = switch (random.nextInt(5)) {
                case 0, 1 -> null;
                case 2 -> amount(hold.asset(), remaining);
                case 3 -> amount(hold.asset(), remaining.add(BigInteger.ONE));
                default -> amount(hold.asset(), upTo(remaining));
            };
            return new Command.Release(id(), hold.holdId(), amount);
        }
        String holdId = holdIds.isEmpty() || random.nextInt(4) == 0 ? "never-placed" : pick(holdIds);
        return new Command.Release(id(), holdId, random.nextBoolean() ? null : amount("USD", BigInteger.valueOf(1 + random.nextInt(100))));
    }

    private Command transfer() {
        int count = random.nextInt(4) == 0 ? 2 + random.nextInt(4) : 1;
        List<Leg> legs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            legs.add(leg());
        }
        return new Command.Transfer(id(), legs);
    }

    private Leg leg() {
        int roll = random.nextInt(100);
        String asset = asset();
        if (roll < 45) {
            String from = user();
            return new Leg(from, other(from), asset, debit(from, asset), null);
        }
        if (roll < 65) {
            return holdLeg();
        }
        if (roll < 75) {
            String from = user();
            BigInteger fee = upTo(available(from, asset).divide(BigInteger.valueOf(100)).add(BigInteger.ONE));
            return new Leg(from, "@fees", asset, amount(asset, fee), null);
        }
        if (roll < 85) {
            return new Leg(pick(SYSTEMS), user(), asset, credit(asset), null);
        }
        if (roll < 93) {
            String owner = random.nextBoolean() ? user() : pick(SYSTEMS);
            return new Leg(owner, owner, asset, credit(asset), null);
        }
        return new Leg(user(), user(), "DOGE", amount("DOGE", BigInteger.TEN), null);
    }

    /** A leg from a hold: usually the right account and asset, sometimes not, sometimes more than is left. */
    private Leg holdLeg() {
        List<HoldView> open = openHolds();
        if (open.isEmpty() || random.nextInt(10) == 0) {
            String from = user();
            String holdId = holdIds.isEmpty() ? "never-placed" : pick(holdIds);
            return new Leg(from, other(from), "USD", amount("USD", BigInteger.valueOf(1 + random.nextInt(100))), holdId);
        }
        HoldView hold = pick(open);
        String from = random.nextInt(10) == 0 ? user() : hold.account();
        String asset = random.nextInt(10) == 0 ? asset() : hold.asset();
        String to = random.nextInt(4) == 0 ? "@fees" : other(from);
        BigInteger remaining = hold.remaining().toBigInteger();
        BigInteger minor = switch (random.nextInt(6)) {
            case 0, 1 -> remaining;
            case 2 -> remaining.add(BigInteger.ONE);
            default -> upTo(remaining);
        };
        return new Leg(from, to, asset, amount(asset, minor), hold.holdId());
    }

    private Command adjust() {
        String account = user();
        String asset = asset();
        Decimal amount;
        if (random.nextBoolean()) {
            amount = credit(asset);
        } else {
            Decimal magnitude = debit(account, asset);
            amount = magnitude.overflowed() ? magnitude : new Decimal(magnitude.unscaled().negate(), magnitude.fractionDigits());
        }
        return new Command.Adjust(id(), account, asset, amount, "correction");
    }

    private Command systemAccountMisuse() {
        String account = pick(SYSTEMS);
        String asset = asset();
        return switch (random.nextInt(4)) {
            case 0 -> new Command.Deposit(id(), account, asset, credit(asset));
            case 1 -> new Command.Withdraw(id(), account, asset, credit(asset));
            case 2 -> new Command.PlaceHold(id(), account, asset, credit(asset), "h" + nextHold++, Command.NO_EXPIRY);
            default -> new Command.Adjust(id(), account, asset, credit(asset), "correction");
        };
    }

    // ---- amounts ----------------------------------------------------------------------------------

    private Decimal credit() {
        return credit(asset());
    }

    /** A fresh amount to put into an account; BIG lives near 2^127, where overflow is decided. */
    private Decimal credit(String asset) {
        if (random.nextInt(asset.equals("BIG") ? 2 : 60) == 0) {
            return amount(asset, nearMax());
        }
        BigInteger minor = switch (SCALES.getOrDefault(asset, 3)) {
            case 0 -> BigInteger.valueOf(1 + random.nextInt(10_000));
            case 2 -> BigInteger.valueOf(1 + random.nextInt(1_000_000));
            case 18 -> new BigInteger(1 + random.nextInt(100), random).add(BigInteger.ONE);
            default -> BigInteger.valueOf(1 + random.nextInt(1_000_000_000));
        };
        return amount(asset, minor);
    }

    /** An amount to take from an account: mostly what it has or less, sometimes more. */
    private Decimal debit(String account, String asset) {
        BigInteger available = available(account, asset);
        int roll = random.nextInt(10);
        if (available.signum() > 0 && roll < 6) {
            return amount(asset, upTo(available));
        }
        if (available.signum() > 0 && roll < 8) {
            return amount(asset, available);
        }
        return credit(asset);
    }

    private BigInteger nearMax() {
        return switch (random.nextInt(3)) {
            case 0 -> MAX.subtract(BigInteger.valueOf(random.nextInt(1_000)));
            case 1 -> MAX.shiftRight(1 + random.nextInt(2)).add(BigInteger.valueOf(random.nextInt(1_000)));
            default -> new BigInteger(120 + random.nextInt(7), random).add(BigInteger.ONE);
        };
    }

    /** {@code minor} units as a client might type them; now and then too many fraction digits or past 128 bits. */
    private Decimal amount(String asset, BigInteger minor) {
        int scale = SCALES.getOrDefault(asset, 3);
        if (minor.signum() <= 0) {
            minor = BigInteger.ONE;
        }
        int roll = random.nextInt(100);
        String text;
        if (roll < 3) {
            text = new BigDecimal(minor.multiply(BigInteger.TEN).add(BigInteger.valueOf(1 + random.nextInt(9))), scale + 1).toPlainString();
        } else if (roll < 4) {
            text = "1" + "0".repeat(38 + random.nextInt(10));
        } else if (roll < 5 && scale > 0) {
            text = MAX.divide(BigInteger.TEN.pow(random.nextInt(scale))).toString(); // fits until scaled
        } else {
            BigDecimal exact = new BigDecimal(minor, scale).stripTrailingZeros();
            text = (exact.scale() < 0 ? exact.setScale(0) : exact).toPlainString();
        }
        return Decimal.parse(text, false);
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

    // ---- hints and names --------------------------------------------------------------------------

    private BigInteger available(String account, String asset) {
        BalanceView balance = hints.view().balance(account, asset);
        return balance == null ? BigInteger.ZERO : balance.available().toBigInteger();
    }

    private List<HoldView> openHolds() {
        List<HoldView> open = new ArrayList<>();
        hints.view().forEachOpenHold(hold -> {
            if (hold.state() == HoldState.OPEN) {
                open.add(hold);
            }
        });
        open.sort(java.util.Comparator.comparing(HoldView::holdId)); // HashMap order is not part of the seed
        return open;
    }

    private String id() {
        return "c" + nextId++;
    }

    private String user() {
        return pick(USERS);
    }

    private String other(String owner) {
        String other;
        do {
            other = pick(USERS);
        } while (other.equals(owner));
        return other;
    }

    private String asset() {
        return random.nextInt(40) == 0 ? "DOGE" : pick(ASSETS);
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private Command remember(Command command) {
        issued.add(command);
        return command;
    }
}
