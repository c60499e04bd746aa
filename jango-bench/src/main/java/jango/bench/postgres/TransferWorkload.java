package jango.bench.postgres;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;
import java.util.SplittableRandom;

/**
 * The workload of {@code jango bench}: accounts {@code acct0..acctN-1} funded with 1,000,000,000
 * BENCH (scale 2), and streams of two-account transfers of {@code 1..1000}.25 BENCH between random
 * distinct accounts. Streams are computed on demand from (seed, client, index), so a long stream
 * costs no memory and the same arguments give the same commands.
 */
public final class TransferWorkload {
    public static final String ASSET = "BENCH";
    public static final int SCALE = 2;
    public static final String FUNDING = "1000000000";

    private TransferWorkload() {
    }

    /** Registers BENCH and deposits {@link #FUNDING} into each account. */
    public static List<Command> setup(int accounts) {
        List<Command> setup = new ArrayList<>(accounts + 1);
        setup.add(new Command.RegisterAsset(ASSET, SCALE));
        Decimal funding = Decimal.parse(FUNDING, false);
        for (int a = 0; a < accounts; a++) {
            setup.add(new Command.Deposit("fund-" + a, account(a), ASSET, funding));
        }
        return setup;
    }

    /** {@code clients} streams of {@code commandsPerClient} transfers each, ids {@code t<client>-<index>}. */
    public static List<List<Command>> transfers(int clients, int commandsPerClient, int accounts, long seed) {
        if (accounts < 2 || clients < 1 || commandsPerClient < 0) {
            throw new IllegalArgumentException("accounts " + accounts + ", clients " + clients + ", commandsPerClient "
                    + commandsPerClient + " (expected: accounts >= 2, clients >= 1, commandsPerClient >= 0)");
        }
        List<List<Command>> streams = new ArrayList<>(clients);
        for (int c = 0; c < clients; c++) {
            streams.add(new Stream(c, commandsPerClient, accounts, seed));
        }
        return streams;
    }

    public static String account(int index) {
        return "acct" + index;
    }

    private static final class Stream extends AbstractList<Command> implements RandomAccess {
        private final int client;
        private final int size;
        private final int accounts;
        private final long seed;

        Stream(int client, int size, int accounts, long seed) {
            this.client = client;
            this.size = size;
            this.accounts = accounts;
            this.seed = seed;
        }

        @Override
        public Command get(int index) {
            if (index < 0 || index >= size) {
                throw new IndexOutOfBoundsException("index: " + index + " (expected: 0.." + (size - 1) + ")");
            }
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + (long) client * 0x9E3779B97F4A7C15L + index);
            int from = random.nextInt(accounts);
            int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
            Decimal amount = Decimal.parse((1 + random.nextInt(1000)) + ".25", false);
            return new Command.Transfer("t" + client + "-" + index, List.of(new Leg(account(from), account(to), ASSET, amount, null)));
        }

        @Override
        public int size() {
            return size;
        }
    }
}
