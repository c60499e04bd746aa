package jango.bench.jmh;

import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.EncodingArchive;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.MemoryArchive;
import jango.engine.Status;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * Two look-ahead settings ({@link Engine#lookAhead}) compared in one engine, batch after batch in
 * turn: on this shared machine JMH's one-fork scores move by a third from fork to fork, far more
 * than the effects measured here, while batches of 10 ms taken alternately see the same machine.
 * The same funded state, stream and encoding archive as {@link EngineBench}.
 *
 * <pre>java -Xms6g -Xmx6g -XX:+UseTransparentHugePages -cp "jango-cli/target/lib/*" \
 *     jango.bench.jmh.LookAheadComparison 10000 transfer 0 256 4</pre>
 *
 * Arguments: accounts, mix ({@code transfer} or {@code exchange}), look-ahead A, look-ahead B, rounds;
 * each round forks the funded engine and applies 4,000,000 commands (400 batches, A and B in turn).
 */
public final class LookAheadComparison {
    static final int BATCH = 10_000;

    private LookAheadComparison() {
    }

    public static void main(String[] args) {
        if (args.length != 5) {
            System.err.println("usage: LookAheadComparison <accounts> <transfer|exchange> <look-ahead A> <look-ahead B> <rounds>");
            System.exit(2);
        }
        run(Integer.parseInt(args[0]), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                4_000_000, System.out);
    }

    /** Prints one line per round: commands/s with A, with B, and B's speed over A's. */
    static double[] run(int accounts, String mix, int aheadA, int aheadB, int rounds, int commands, PrintStream out) {
        Workload workload = new Workload(20261126L, accounts);
        Engine funded = new Engine(EngineBench.ID_FILTER_BYTES, new MemoryArchive());
        long seq = 0;
        for (Command command : workload.funding()) {
            funded.apply(++seq, 0, command, EngineListener.NONE);
        }
        Supplier<Command> source = switch (mix) {
            case "transfer" -> workload::nextTransfer;
            case "exchange" -> workload::nextExchangeCommand;
            default -> throw new IllegalArgumentException("mix: " + mix + " (expected: transfer or exchange)");
        };
        int length = commands / (2 * BATCH) * (2 * BATCH);
        Command[] stream = new Command[length];
        byte[][] encoded = new byte[length][];
        for (int i = 0; i < length; i++) {
            stream[i] = source.get();
            encoded[i] = CommandCodec.encode(stream[i]);
        }
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            EncodingArchive archive = new EncodingArchive(1 << 22);
            Engine engine = funded.fork(archive);
            System.gc();
            long[] nanos = new long[2];
            long applied = 0;
            long atMicros = engine.lastAtMicros();
            for (int start = 0; start < length; start += BATCH) {
                int which = (start / BATCH) & 1;
                int ahead = which == 0 ? aheadA : aheadB;
                archive.startBatch();
                atMicros += 1_000;
                long began = System.nanoTime();
                int lookedAheadTo = start;
                for (int i = start; i < start + BATCH; i++) {
                    if (ahead > 0 && i >= lookedAheadTo) {
                        lookedAheadTo = Math.min(start + BATCH, i + ahead);
                        engine.lookAhead(stream, i, lookedAheadTo);
                    }
                    engine.execute(engine.lastSeq() + 1, atMicros, stream[i], encoded[i], 0, encoded[i].length);
                    if (engine.applied().status() == Status.APPLIED) {
                        applied++;
                    }
                }
                nanos[which] += System.nanoTime() - began;
            }
            long half = length / 2;
            ratios[round] = (double) nanos[0] / nanos[1];
            out.printf("round %d, %s, %,d accounts: look-ahead %d %,d commands/s, look-ahead %d %,d commands/s, ratio %.3f (%d%% applied)%n",
                    round, mix, accounts, aheadA, half * 1_000_000_000L / nanos[0], aheadB, half * 1_000_000_000L / nanos[1],
                    ratios[round], applied * 100 / length);
        }
        return ratios;
    }
}
