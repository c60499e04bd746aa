package jango.bench;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Int128;
import jango.engine.Leg;
import jango.engine.ShardMap;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An exchange's day as commands: owners drawn from a Zipf distribution (a few market makers are
 * very hot), each trade a hold on the buyer's quote and the seller's base, a three-leg settlement
 * from those holds with a fee leg to {@code @fees}, and a release of the buyer's slack; between
 * trades some deposits and withdrawals, a few of them too large (INSUFFICIENT_FUNDS). Seeded, so
 * Jango and the PostgreSQL baseline get the very same commands.
 */
public final class ExchangeDay {
    public static final String QUOTE = "USDT";
    public static final int QUOTE_SCALE = 2;
    public static final int BASE_SCALE = 8;
    private static final String[] BASE_NAMES = {"BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK", "TRX"};

    /** Funding per account: enough that hot accounts keep trading for a long run. */
    private static final long FUND_QUOTE_UNITS = 1_000_000_000L;
    private static final long FUND_BASE_UNITS = 10_000_000L;

    private final int accounts;
    private final List<String> bases;
    private final double[] zipfCdf;
    private final long seed;
    /** Each account's shard in distributed mode with {@code shards} shards (all 0 with one). */
    private final int[] shardOf;
    /** The share of trades whose seller is on another shard than the buyer; negative: as the draw falls. */
    private final double crossShard;

    /**
     * @param accounts number of user accounts
     * @param assets   number of assets including the quote asset (2..11)
     * @param zipfExponent skew of owner popularity (1.0-1.2 is typical; 0 is uniform)
     */
    public ExchangeDay(int accounts, int assets, double zipfExponent, long seed) {
        this(accounts, assets, zipfExponent, seed, 1, -1);
    }

    /**
     * The day for a ledger of {@code shards} shards (distributed mode), where the share
     * {@code crossShard} of the trades has its buyer and seller on different shards, so the trade's
     * settlement is a transfer between shards; with a negative share the seller is drawn as with one
     * shard (with 4 shards, about three in four trades then cross).
     */
    public ExchangeDay(int accounts, int assets, double zipfExponent, long seed, int shards, double crossShard) {
        if (accounts < 2) {
            throw new IllegalArgumentException("accounts: " + accounts + " (expected: >= 2)");
        }
        if (assets < 2 || assets > BASE_NAMES.length + 1) {
            throw new IllegalArgumentException("assets: " + assets + " (expected: 2.." + (BASE_NAMES.length + 1) + ")");
        }
        this.accounts = accounts;
        this.bases = List.of(BASE_NAMES).subList(0, assets - 1);
        this.zipfCdf = zipfCdf(accounts, zipfExponent);
        this.seed = seed;
        if (shards < 1 || crossShard > 1 || (crossShard > 0 && shards < 2)) {
            throw new IllegalArgumentException("shards " + shards + ", cross-shard share " + crossShard
                    + " (expected: 1 or more shards; a share up to 1, above 0 only with 2 or more shards)");
        }
        this.shardOf = new int[accounts];
        ShardMap map = new ShardMap(0, shards);
        for (int a = 0; a < accounts; a++) {
            shardOf[a] = map.of(owner(a));
        }
        this.crossShard = crossShard;
    }

    private static double[] zipfCdf(int n, double exponent) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int rank = 1; rank <= n; rank++) {
            sum += 1.0 / Math.pow(rank, exponent);
            cdf[rank - 1] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    public static String owner(int index) {
        return "acct" + index;
    }

    /** Asset registrations, then one deposit per account and asset (not timed). */
    public List<Command> setup() {
        List<Command> setup = new ArrayList<>();
        setup.add(new Command.RegisterAsset(QUOTE, QUOTE_SCALE));
        for (String base : bases) {
            setup.add(new Command.RegisterAsset(base, BASE_SCALE));
        }
        for (int a = 0; a < accounts; a++) {
            setup.add(new Command.Deposit("fund-" + a + "-" + QUOTE, owner(a), QUOTE, units(FUND_QUOTE_UNITS)));
            for (String base : bases) {
                setup.add(new Command.Deposit("fund-" + a + "-" + base, owner(a), base, units(FUND_BASE_UNITS)));
            }
        }
        return setup;
    }

    public Client client(int index, String runId) {
        return new Client(index, runId);
    }

    /** One client's stream of commands; not thread-safe (one client, one thread). */
    public final class Client {
        private final SplittableRandom random;
        private final String prefix;
        private long n;

        private Client(int index, String runId) {
            this.random = new SplittableRandom(seed * 1_000_003L + index);
            this.prefix = runId + "-c" + index + "-";
        }

        /** The next {@code count} commands, continuing the stream (a trade may span two calls). */
        public List<Command> next(int count) {
            List<Command> commands = new ArrayList<>(count);
            while (commands.size() < count) {
                if (pending.isEmpty()) {
                    generate();
                }
                commands.add(pending.remove(pending.size() - 1));
            }
            return commands;
        }

        private final ArrayList<Command> pending = new ArrayList<>();

        private void generate() {
            List<Command> step = new ArrayList<>(4);
            int kind = random.nextInt(100);
            if (kind < 4) {
                step.add(new Command.Deposit(id(), owner(zipf()), randomAsset(), units(1 + random.nextInt(10_000))));
            } else if (kind < 7) {
                // One in three withdrawals asks for far more than anyone holds: a recorded rejection.
                long amount = random.nextInt(3) == 0 ? FUND_QUOTE_UNITS * 1_000 : 1 + random.nextInt(1_000);
                step.add(new Command.Withdraw(id(), owner(zipf()), randomAsset(), units(amount)));
            } else {
                trade(step);
            }
            for (int i = step.size() - 1; i >= 0; i--) {
                pending.add(step.get(i));
            }
        }

        /** hold quote (buyer) + hold base (seller) + settle 3 legs from the holds + release the slack. */
        private void trade(List<Command> step) {
            int buyer = zipf();
            int seller = crossShard < 0 ? zipf() : seller(buyer, random.nextDouble() < crossShard);
            while (seller == buyer) {
                seller = random.nextInt(accounts);
            }
            String base = bases.get(random.nextInt(bases.size()));
            long sizeMinor = 1 + random.nextInt(1_000_000);          // base, scale 8: up to 0.01
            long costMinor = 1 + random.nextInt(100_000);            // quote, scale 2: up to 1,000.00
            long feeMinor = Math.max(1, costMinor / 1_000);          // 0.1%
            long slackMinor = random.nextInt(1_000);
            String buyHold = id() + "-b";
            String sellHold = id() + "-s";
            step.add(new Command.PlaceHold(id(), owner(buyer), QUOTE, minor(costMinor + feeMinor + slackMinor, QUOTE_SCALE),
                    buyHold, Command.NO_EXPIRY));
            step.add(new Command.PlaceHold(id(), owner(seller), base, minor(sizeMinor, BASE_SCALE), sellHold, Command.NO_EXPIRY));
            step.add(new Command.Transfer(id(), List.of(
                    new Leg(owner(seller), owner(buyer), base, minor(sizeMinor, BASE_SCALE), sellHold),
                    new Leg(owner(buyer), owner(seller), QUOTE, minor(costMinor, QUOTE_SCALE), buyHold),
                    new Leg(owner(buyer), "@fees", QUOTE, minor(feeMinor, QUOTE_SCALE), buyHold))));
            if (slackMinor > 0) {
                step.add(new Command.Release(id(), buyHold, null));
            }
        }

        /**
         * A popular seller on another shard than the buyer's ({@code cross}) or on the same one:
         * Zipf draws until one fits, then the first account that fits after a uniform start.
         */
        private int seller(int buyer, boolean cross) {
            for (int tries = 0; tries < 64; tries++) {
                int candidate = zipf();
                if (candidate != buyer && (shardOf[candidate] != shardOf[buyer]) == cross) {
                    return candidate;
                }
            }
            int start = random.nextInt(accounts);
            for (int i = 0; i < accounts; i++) {
                int candidate = (start + i) % accounts;
                if (candidate != buyer && (shardOf[candidate] != shardOf[buyer]) == cross) {
                    return candidate;
                }
            }
            return cross ? zipf() : buyer; // no account fits (every account on one shard): as it falls
        }

        private String id() {
            return prefix + n++;
        }

        private int zipf() {
            double u = random.nextDouble();
            int low = 0;
            int high = zipfCdf.length - 1;
            while (low < high) {
                int mid = (low + high) >>> 1;
                if (zipfCdf[mid] < u) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            return low;
        }

        private String randomAsset() {
            int pick = random.nextInt(bases.size() + 1);
            return pick == bases.size() ? QUOTE : bases.get(pick);
        }
    }

    private static Decimal units(long whole) {
        return new Decimal(Int128.of(whole), 0);
    }

    private static Decimal minor(long minorUnits, int scale) {
        return new Decimal(Int128.of(minorUnits), scale);
    }
}
