package jango.engine;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random stream of log entries over a handful of users, system accounts and assets of
 * scale 0, 2 and 18 (where 128 bits matter), mixing every command type: holds with expiry and
 * ticks, multi-leg transfers with fee legs and legs from holds, replays and id conflicts, and
 * bad input (too many fraction digits, amounts past 128 bits, unknown assets and holds, system
 * accounts where users belong). Amounts are aimed with the reference model's balances, so most
 * commands apply and the rest fail for a reason worth checking.
 */
final class CommandStream {
    static final List<String> USERS = List.of("u1", "u2", "u3", "u4", "u5");
    static final List<String> SYSTEMS = List.of("@external", "@fees", "@adjustments", "@clearing");
    /**
     * Scales of the assets the stream uses. BIG (scale 0) lives at the edge of the range, where
     * overflow is decided; LATE is registered by the stream itself, part way through.
     */
    static final Map<String, Integer> SCALES = Map.of("PTS", 0, "USD", 2, "WEI", 18, "BIG", 0, "LATE", 6);
    private static final List<String> ASSETS = List.of("PTS", "USD", "WEI", "PTS", "USD", "WEI", "BIG", "LATE");
    private static final List<String> REGISTERED_FIRST = List.of("PTS", "USD", "WEI", "BIG");
    private static final String UNKNOWN_ASSET = "DOGE";

    record Entry(long atMicros, Command command) {
    }

    private final Random random;
    private final ReferenceLedger hints;
    private final List<Command> issued = new ArrayList<>();
    private final List<String> holdIds = new ArrayList<>();
    private long nowMicros = 1_700_000_000_000_000L;
    private int nextCommand;
    private int nextHold;
    private int setup;

    CommandStream(long seed, ReferenceLedger hints) {
        this.random = new Random(seed);
        this.hints = hints;
    }

    /** A recorded stream of {@code count} entries, so that several engines can be fed exactly the same ones. */
    static List<Entry> recorded(long seed, int count) {
        ReferenceLedger hints = new ReferenceLedger();
        CommandStream stream = new CommandStream(seed, hints);
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Entry entry = stream.next();
            hints.apply(entry.atMicros(), entry.command());
            entries.add(entry);
        }
        return entries;
    }

    Entry next() {
        if (setup < REGISTERED_FIRST.size()) {
            String code = REGISTERED_FIRST.get(setup++);
            return new Entry(nowMicros, new Command.RegisterAsset(code, SCALES.get(code)));
        }
        if (random.nextInt(3) > 0) {
            nowMicros += random.nextInt(400);
        }
        if (random.nextInt(300) == 0) {
            nowMicros += 20_000; // a quiet spell: many holds fall due at once
        }
        Command command = command();
        return new Entry(nowMicros, command);
    }

    private Command command() {
        int roll = random.nextInt(100);
        if (roll < 22) {
            return remember(new Command.Deposit(id(), user(), asset(), amount(credit())));
        }
        if (roll < 30) {
            String account = user();
            String asset = asset();
            return remember(new Command.Withdraw(id(), account, asset, amount(asset, debit(account, asset))));
        }
        if (roll < 42) {
            return remember(placeHold());
        }
        if (roll < 49) {
            return remember(release());
        }
        if (roll < 68) {
            return remember(transfer());
        }
        if (roll < 73) {
            return remember(adjust());
        }
        if (roll < 80) {
            return new Command.Tick();
        }
        if (roll < 85 && !issued.isEmpty()) {
            return pick(issued); // a retry: same id, same body
        }
        if (roll < 88 && !issued.isEmpty()) {
            return conflict(pick(issued));
        }
        if (roll < 90) {
            return registerAsset();
        }
        if (roll < 94) {
            return systemAccountMisuse();
        }
        return remember(new Command.Deposit(id(), user(), asset(), amount(credit())));
    }

    // ---- commands ------------------------------------------------------------------------------

    private Command placeHold() {
        String account = user();
        String asset = asset();
        String holdId = !holdIds.isEmpty() && random.nextInt(8) == 0 ? pick(holdIds) : "h" + nextHold++;
        holdIds.add(holdId);
        long expiresAtMicros = switch (random.nextInt(10)) {
            case 0, 1, 2 -> Command.NO_EXPIRY;
            case 3 -> nowMicros - random.nextInt(100); // already due
            default -> nowMicros + random.nextInt(6_000);
        };
        return new Command.PlaceHold(id(), account, asset, amount(asset, debit(account, asset)), holdId, expiresAtMicros);
    }

    private Command release() {
        List<ReferenceLedger.Hold> open = hints.openHolds();
        if (!open.isEmpty() && random.nextInt(4) > 0) {
            ReferenceLedger.Hold hold = pick(open);
            Decimal amount = switch (random.nextInt(5)) {
                case 0, 1 -> null;
                case 2 -> amount(hold.asset, hold.remaining);
                case 3 -> amount(hold.asset, hold.remaining.add(BigInteger.ONE));
                default -> amount(hold.asset, upTo(hold.remaining));
            };
            return new Command.Release(id(), hold.id, amount);
        }
        String holdId = holdIds.isEmpty() || random.nextInt(5) == 0 ? "never-placed" : pick(holdIds);
        return new Command.Release(id(), holdId, random.nextBoolean() ? null : amount(credit()));
    }

    private Command transfer() {
        int count = switch (random.nextInt(20)) {
            case 0 -> 5 + random.nextInt(Names.MAX_LEGS - 4);
            case 1, 2, 3, 4, 5 -> 2 + random.nextInt(3);
            default -> 1;
        };
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
            return new Leg(from, other(from), asset, amount(asset, debit(from, asset)), null);
        }
        if (roll < 62) {
            return holdLeg();
        }
        if (roll < 74) {
            String from = user();
            BigInteger fee = upTo(hints.available(from, asset).divide(BigInteger.valueOf(100)).add(BigInteger.ONE));
            return new Leg(from, "@fees", asset, amount(asset, fee), null);
        }
        if (roll < 84) {
            return new Leg(pick(SYSTEMS), user(), asset, amount(asset, credit(asset)), null);
        }
        if (roll < 92) {
            String from = user();
            return new Leg(from, pick(SYSTEMS), asset, amount(asset, debit(from, asset)), null);
        }
        if (roll < 96) {
            String owner = random.nextBoolean() ? user() : pick(SYSTEMS);
            return new Leg(owner, owner, asset, amount(asset, credit(asset)), null);
        }
        return new Leg(user(), user(), UNKNOWN_ASSET, amount(UNKNOWN_ASSET, credit(UNKNOWN_ASSET)), null);
    }

    /** A leg from a hold: usually the right account and asset, sometimes not, sometimes more than is left. */
    private Leg holdLeg() {
        List<ReferenceLedger.Hold> open = hints.openHolds();
        if (open.isEmpty() || random.nextInt(10) == 0) {
            String from = user();
            String holdId = holdIds.isEmpty() ? "never-placed" : pick(holdIds);
            return new Leg(from, other(from), "USD", amount("USD", credit("USD")), holdId);
        }
        ReferenceLedger.Hold hold = pick(open);
        String from = random.nextInt(12) == 0 ? user() : hold.account;
        String asset = random.nextInt(12) == 0 ? asset() : hold.asset;
        String to = random.nextInt(4) == 0 ? "@fees" : other(from);
        BigInteger minor = switch (random.nextInt(6)) {
            case 0, 1 -> hold.remaining;
            case 2 -> hold.remaining.add(BigInteger.ONE);
            default -> upTo(hold.remaining);
        };
        return new Leg(from, to, asset, amount(asset, minor), hold.id);
    }

    private Command adjust() {
        String account = random.nextInt(20) == 0 ? pick(SYSTEMS) : user();
        String asset = asset();
        Decimal amount;
        if (random.nextBoolean()) {
            amount = amount(asset, credit(asset));
        } else {
            Decimal magnitude = amount(asset, debit(account, asset));
            amount = magnitude.overflowed() ? magnitude : new Decimal(magnitude.unscaled().negate(), magnitude.fractionDigits());
        }
        return new Command.Adjust(id(), account, asset, amount, "correction " + random.nextInt(3));
    }

    private Command conflict(Command original) {
        // Usually another body; when it happens to be the same body it is a replay, which is fine too.
        return new Command.Deposit(original.id(), user(), "PTS", amount("PTS", BigInteger.valueOf(1 + random.nextInt(3))));
    }

    private Command registerAsset() {
        return switch (random.nextInt(3)) {
            case 0 -> new Command.RegisterAsset("LATE", SCALES.get("LATE"));
            case 1 -> new Command.RegisterAsset("USD", 2);
            default -> new Command.RegisterAsset("WEI", random.nextInt(18));
        };
    }

    private Command systemAccountMisuse() {
        String account = pick(SYSTEMS);
        String asset = asset();
        return remember(switch (random.nextInt(4)) {
            case 0 -> new Command.Deposit(id(), account, asset, amount(credit()));
            case 1 -> new Command.Withdraw(id(), account, asset, amount(asset, credit(asset)));
            case 2 -> new Command.PlaceHold(id(), account, asset, amount(asset, credit(asset)), "h" + nextHold++, Command.NO_EXPIRY);
            default -> new Command.Adjust(id(), account, asset, amount(asset, credit(asset)), "correction");
        });
    }

    // ---- amounts -------------------------------------------------------------------------------

    private record Aimed(String asset, BigInteger minor) {
    }

    private Aimed credit() {
        String asset = asset();
        return new Aimed(asset, credit(asset));
    }

    /** A fresh amount of minor units to put into an account. */
    private BigInteger credit(String asset) {
        if (random.nextInt(asset.equals("BIG") ? 2 : 60) == 0) {
            return nearMax();
        }
        int scale = SCALES.getOrDefault(asset, 3);
        return switch (scale) {
            case 0 -> BigInteger.valueOf(1 + random.nextInt(10_000));
            case 2 -> BigInteger.valueOf(1 + random.nextInt(1_000_000));
            // Up to ~10^30 minor units (10^12 whole tokens): far past 64 bits.
            case 18 -> new BigInteger(1 + random.nextInt(100), random).add(BigInteger.ONE);
            default -> BigInteger.valueOf(1 + random.nextInt(1_000_000_000));
        };
    }

    /** An amount to take from an account: mostly what it has or less, sometimes more. */
    private BigInteger debit(String account, String asset) {
        BigInteger available = hints.available(account, asset);
        int roll = random.nextInt(10);
        if (available.signum() > 0 && roll < 6) {
            return upTo(available);
        }
        if (available.signum() > 0 && roll < 8) {
            return available;
        }
        return credit(asset);
    }

    private BigInteger nearMax() {
        return switch (random.nextInt(4)) {
            case 0 -> ReferenceLedger.MAX.subtract(BigInteger.valueOf(random.nextInt(1_000)));
            case 1 -> ReferenceLedger.MAX.shiftRight(1 + random.nextInt(3)).add(BigInteger.valueOf(random.nextInt(1_000)));
            case 2 -> BigInteger.TEN.pow(36 + random.nextInt(3));
            default -> new BigInteger(120 + random.nextInt(7), random).add(BigInteger.ONE);
        };
    }

    private Decimal amount(Aimed aimed) {
        return amount(aimed.asset(), aimed.minor());
    }

    /**
     * {@code minor} units of {@code asset} as a client might type them, or now and then a bad
     * amount: more fraction digits than the scale, or more digits than 128 bits hold.
     */
    private Decimal amount(String asset, BigInteger minor) {
        int scale = SCALES.getOrDefault(asset, 3);
        if (minor.signum() <= 0) {
            minor = BigInteger.ONE;
        }
        int roll = random.nextInt(100);
        String text;
        if (roll < 3) {
            // One fraction digit too many, the last one not zero.
            text = new BigDecimal(minor.multiply(BigInteger.TEN).add(BigInteger.valueOf(1 + random.nextInt(9))), scale + 1).toPlainString();
        } else if (roll < 4) {
            // Too many fraction digits as typed, though they are zeros.
            text = new BigDecimal(minor, scale).setScale(scale + 1 + random.nextInt(2)).toPlainString();
        } else if (roll < 5) {
            text = "1" + "0".repeat(38 + random.nextInt(20)); // past 2^127-1 before any scaling
        } else if (roll < 6 && scale > 0) {
            text = ReferenceLedger.MAX.divide(BigInteger.TEN.pow(random.nextInt(scale))).toString(); // fits until scaled
        } else {
            BigDecimal exact = new BigDecimal(minor, scale).stripTrailingZeros();
            if (exact.scale() < 0) {
                exact = exact.setScale(0);
            }
            if (random.nextInt(4) == 0 && exact.scale() < scale) {
                exact = exact.setScale(exact.scale() + 1 + random.nextInt(scale - exact.scale())); // trailing zeros, still in scale
            }
            text = exact.toPlainString();
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

    // ---- names ---------------------------------------------------------------------------------

    private String id() {
        return "c" + nextCommand++;
    }

    private String user() {
        return pick(USERS);
    }

    private String other(String owner) {
        String other;
        do {
            other = user();
        } while (other.equals(owner));
        return other;
    }

    private String asset() {
        return random.nextInt(40) == 0 ? UNKNOWN_ASSET : pick(ASSETS);
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private Command remember(Command command) {
        issued.add(command);
        return command;
    }
}
