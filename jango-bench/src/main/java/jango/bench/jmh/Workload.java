package jango.bench.jmh;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Int128;
import jango.engine.Leg;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded, reproducible command streams (one instance is one stream; not thread-safe) for the JMH benchmarks: the funding of N users, two-account
 * transfers between random users, and an exchange's order flow (holds, four-leg settlements from the
 * holds with fees to {@code @fees}, releases of what the orders did not use). Ids are UUID strings, as
 * clients send them, so an encoded transfer is about 100 bytes.
 */
final class Workload {
    static final String BTC = "BTC";
    static final int BTC_SCALE = 8;
    static final String USDT = "USDT";
    static final int USDT_SCALE = 2;
    static final String FEES = "@fees";

    /** Every user starts with this much of each asset: far more than the random walk of a run moves. */
    static final long FUNDING_BTC_MINOR = 100L * 100_000_000L;
    static final long FUNDING_USDT_MINOR = 1_000_000L * 100L;

    /** Order pairs open at once in the exchange flow (holds placed, not yet settled). */
    static final int OPEN_ORDER_PAIRS = 1_000;
    /** Commands per order pair: two holds, one settlement, two releases. */
    static final int COMMANDS_PER_ORDER_PAIR = 5;

    private final SplittableRandom random;
    private final String[] users;
    private final ArrayDeque<OrderPair> openPairs = new ArrayDeque<>(OPEN_ORDER_PAIRS + 1);
    private final ArrayDeque<Command> pendingExchange = new ArrayDeque<>(COMMANDS_PER_ORDER_PAIR);
    private int orderPairs;

    Workload(long seed, int userCount) {
        if (userCount < 2) {
            throw new IllegalArgumentException("userCount: " + userCount + " (expected: >= 2)");
        }
        this.random = new SplittableRandom(seed);
        this.users = new String[userCount];
        for (int i = 0; i < userCount; i++) {
            users[i] = String.format("user-%07d", i);
        }
    }

    /**
     * The asset registrations, one deposit of each asset per user, and the fee accounts opened (one
     * minor unit of each asset paid to {@link #FEES}): every account the streams use exists before
     * they start, as in a service that has run for a day. Opened inside a measured batch instead,
     * the first fee account grew the forked engine's account table (a fork is copied at its exact
     * size): at 1,000,000 accounts a copy of 64 MB in every iteration, 5% of the exchange mix's time.
     */
    List<Command> funding() {
        List<Command> commands = new ArrayList<>(4 + 2 * users.length);
        commands.add(new Command.RegisterAsset(BTC, BTC_SCALE));
        commands.add(new Command.RegisterAsset(USDT, USDT_SCALE));
        for (String user : users) {
            commands.add(new Command.Deposit(nextId(), user, BTC, decimal(FUNDING_BTC_MINOR, BTC_SCALE)));
            commands.add(new Command.Deposit(nextId(), user, USDT, decimal(FUNDING_USDT_MINOR, USDT_SCALE)));
        }
        commands.add(new Command.Transfer(nextId(), List.of(new Leg(users[0], FEES, BTC, decimal(1, BTC_SCALE), null))));
        commands.add(new Command.Transfer(nextId(), List.of(new Leg(users[0], FEES, USDT, decimal(1, USDT_SCALE), null))));
        return commands;
    }

    /** The next two-account transfer between random users, in either asset. */
    Command nextTransfer() {
        int from = random.nextInt(users.length);
        int to = otherThan(from);
        boolean btc = random.nextBoolean();
        Decimal amount = btc
                ? decimal(random.nextLong(1, 1_000_000), BTC_SCALE)   // up to 0.01 BTC
                : decimal(random.nextLong(1, 1_000_000), USDT_SCALE); // up to 10,000 USDT
        return new Command.Transfer(nextId(), List.of(new Leg(parsed(users[from]), parsed(users[to]), parsed(btc ? BTC : USDT),
                amount, null)));
    }

    /**
     * The next command of an exchange's order flow: for each matched order pair, a hold on the buyer's
     * USDT and one on the seller's BTC; {@link #OPEN_ORDER_PAIRS} pairs later, the settlement from both
     * holds (base to the buyer, quote to the seller, a fee from each to {@code @fees}), then releases of
     * what is left of both holds. Every hold is larger than what the settlement takes, so every release
     * applies. In the steady state 2 of 5 commands place holds, 1 settles, 2 release.
     */
    Command nextExchangeCommand() {
        if (pendingExchange.isEmpty()) {
            OrderPair pair = orderPair(orderPairs++);
            openPairs.addLast(pair);
            pendingExchange.add(pair.buyerHold);
            pendingExchange.add(pair.sellerHold);
            if (openPairs.size() > OPEN_ORDER_PAIRS) {
                OrderPair due = openPairs.removeFirst();
                pendingExchange.add(due.settlement);
                pendingExchange.add(due.buyerRelease);
                pendingExchange.add(due.sellerRelease);
            }
        }
        return pendingExchange.removeFirst();
    }

    private record OrderPair(Command buyerHold, Command sellerHold, Command settlement, Command buyerRelease,
                             Command sellerRelease) {
    }

    private OrderPair orderPair(int number) {
        int buyer = random.nextInt(users.length);
        int seller = otherThan(buyer);
        long baseMinor = random.nextLong(1_000, 1_000_000);     // 0.00001 .. 0.01 BTC
        long quoteMinor = baseMinor * 6 / 100;                  // at 60,000 USDT per BTC, in cents
        long buyerFeeMinor = Math.max(1, quoteMinor / 1_000);   // 0.1 %
        long sellerFeeMinor = Math.max(1, baseMinor / 1_000);
        // The orders were larger than this fill: the rest of each hold is released afterwards.
        long buyerHoldMinor = quoteMinor + buyerFeeMinor + random.nextLong(1, quoteMinor + 1);
        long sellerHoldMinor = baseMinor + sellerFeeMinor + random.nextLong(1, baseMinor + 1);
        String buyerHoldId = "ord-" + number + "-b";
        String sellerHoldId = "ord-" + number + "-s";
        String buyerName = users[buyer];
        String sellerName = users[seller];
        Command buyerHold = new Command.PlaceHold(nextId(), parsed(buyerName), parsed(USDT), decimal(buyerHoldMinor, USDT_SCALE),
                parsed(buyerHoldId), Command.NO_EXPIRY);
        Command sellerHold = new Command.PlaceHold(nextId(), parsed(sellerName), parsed(BTC), decimal(sellerHoldMinor, BTC_SCALE),
                parsed(sellerHoldId), Command.NO_EXPIRY);
        Command settlement = new Command.Transfer(nextId(), List.of(
                new Leg(parsed(sellerName), parsed(buyerName), parsed(BTC), decimal(baseMinor, BTC_SCALE), parsed(sellerHoldId)),
                new Leg(parsed(buyerName), parsed(sellerName), parsed(USDT), decimal(quoteMinor, USDT_SCALE), parsed(buyerHoldId)),
                new Leg(parsed(buyerName), parsed(FEES), parsed(USDT), decimal(buyerFeeMinor, USDT_SCALE), parsed(buyerHoldId)),
                new Leg(parsed(sellerName), parsed(FEES), parsed(BTC), decimal(sellerFeeMinor, BTC_SCALE), parsed(sellerHoldId))));
        Command buyerRelease = new Command.Release(nextId(), parsed(buyerHoldId), null);
        Command sellerRelease = new Command.Release(nextId(), parsed(sellerHoldId), null);
        return new OrderPair(buyerHold, sellerHold, settlement, buyerRelease, sellerRelease);
    }

    /**
     * A name as a request's parser hands it over: an object of its own, equal to the engine's copy
     * but never the same one. With the very objects the funding used, every lookup of an owner, an
     * asset or a hold ended at the identity check before comparing characters, which no server's
     * commands do, and the names were few objects, always in the cache. Made this way, JMH measured
     * the exchange mix 37% lower at 10,000 accounts and 18% at 1,000,000, transfers 1-6% lower
     * (docs/performance.md, 2026-12-03, fifteenth session).
     */
    private static String parsed(String name) {
        // Its own bytes too: new String(String) would share the original's array.
        return new String(name.getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII);
    }

    private int otherThan(int user) {
        int other = random.nextInt(users.length - 1);
        return other >= user ? other + 1 : other;
    }

    private String nextId() {
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    /**
     * The amount as a client writes it: minor units at {@code scale} with trailing zeros dropped
     * ("0.5", not "0.50000000"), so the engine's scaling to minor units is part of the work.
     */
    static Decimal decimal(long minor, int scale) {
        if (minor <= 0) {
            throw new IllegalArgumentException("minor: " + minor + " (expected: > 0)");
        }
        long digits = minor;
        int fractionDigits = scale;
        while (fractionDigits > 0 && digits % 10 == 0) {
            digits /= 10;
            fractionDigits--;
        }
        return new Decimal(Int128.of(digits), fractionDigits);
    }
}
