package jango.bench.jmh;

import jango.engine.BalanceChange;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldView;
import jango.engine.Outcome;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The engine alone: no journal, no I/O, no threads. Each invocation applies one batch (one sequencer
 * timestamp, consecutive seqs) of pre-built commands to an engine holding {@code accounts} funded users,
 * exactly as the writer thread does after the fsync. Events go to a {@link Blackhole}, as they would go
 * to the read model.
 *
 * <p>Scores: the primary score counts batches per second; the secondary {@code commands} counter
 * counts commands per second, the figure to read. ({@code @OperationsPerInvocation} takes a
 * compile-time constant, so it cannot follow the {@code batchSize} parameter.)
 *
 * <p>Every command has a unique id, and the engine keeps every result forever, so state grows as the
 * benchmark runs. Each iteration therefore starts from a fresh, freshly funded engine and replays the
 * same pre-built command stream from its start. The stream is built before the first iteration for
 * {@code jango.bench.commandsPerSecond} (default {@value #DEFAULT_COMMANDS_PER_SECOND}) over the longest
 * iteration, and between iterations it is extended to three times what any iteration used, outside
 * the measurement, up to {@value #MAX_STREAM_LENGTH} commands. An iteration that still runs past its
 * end fails rather than measure replays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
// A fixed heap, so that heap resizing is no part of the score; prepended, so -jvmArgsAppend keeps it.
@Fork(value = 1, jvmArgsPrepend = {"-Xms4g", "-Xmx4g"})
public class EngineBench {
    /** The first iteration's stream is sized for this rate; {@code -Django.bench.commandsPerSecond} overrides it. */
    static final long DEFAULT_COMMANDS_PER_SECOND = 1_000_000;
    /** The stream never grows past this, so that it fits the benchmark's heap next to the engine. */
    static final int MAX_STREAM_LENGTH = 8_000_000;
    /** Share of the commands that must be APPLIED: rejections are cheap and would flatter the score. */
    static final double MIN_APPLIED_SHARE = 0.9;
    private static final long SEED = 20261126L;
    private static final long MICROS_PER_BATCH = 1_000;

    @Param({"10000", "100000"})
    public int accounts;

    @Param({"1", "100", "10000"})
    public int batchSize;

    /** {@code transfer}: two-account transfers; {@code exchange}: holds, four-leg settlements, releases. */
    @Param({"transfer", "exchange"})
    public String mix;

    private List<Command> funding;
    private Supplier<Command> source;
    private Command[] stream;
    private int streamLength;
    private long mostCommandsInAnIteration;
    private Engine engine;
    private int next;
    private long atMicros;
    private long appliedInIteration;
    private long commandsInIteration;
    private final BlackholeListener listener = new BlackholeListener();

    /** Commands per second, reported next to the primary (batches per second) score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long commands;

        @Setup(Level.Iteration)
        public void reset() {
            commands = 0;
        }
    }

    @Setup(Level.Trial)
    public void buildStream(BenchmarkParams params) {
        Workload workload = new Workload(SEED, accounts);
        funding = workload.funding();
        source = switch (mix) {
            case "transfer" -> workload::nextTransfer;
            case "exchange" -> workload::nextExchangeCommand;
            default -> throw new IllegalArgumentException("mix: " + mix + " (expected: transfer or exchange)");
        };
        long longestIterationSeconds = Math.max(1, Math.max(
                params.getWarmup().getTime().convertTo(TimeUnit.SECONDS),
                params.getMeasurement().getTime().convertTo(TimeUnit.SECONDS)));
        long commandsPerSecond = Long.getLong("jango.bench.commandsPerSecond", DEFAULT_COMMANDS_PER_SECOND);
        stream = new Command[0];
        extendStream(longestIterationSeconds * commandsPerSecond + batchSize);
        checkSampleApplies();
    }

    /** Appends commands until the stream holds {@code wanted}, or {@link #MAX_STREAM_LENGTH}; never shrinks it. */
    private void extendStream(long wanted) {
        int length = (int) Math.min(wanted, MAX_STREAM_LENGTH);
        if (length <= streamLength) {
            return;
        }
        stream = Arrays.copyOf(stream, length);
        while (streamLength < length) {
            stream[streamLength++] = source.get();
        }
    }

    /** Fails the trial unless nearly all of a sample applies, and the engine's full invariants hold. */
    private void checkSampleApplies() {
        Engine sample = fundedEngine();
        int sampleSize = Math.min(streamLength, 200_000);
        long seq = sample.lastSeq();
        int applied = 0;
        for (int i = 0; i < sampleSize; i++) {
            Outcome outcome = sample.apply(++seq, 1, stream[i], EngineListener.NONE);
            if (outcome.kind() == Outcome.Kind.NEW && outcome.result().applied()) {
                applied++;
            }
        }
        sample.checkInvariants();
        requireApplied("sample of the " + mix + " stream", applied, sampleSize);
    }

    @Setup(Level.Iteration)
    public void freshEngine() {
        extendStream(3 * mostCommandsInAnIteration);
        engine = null;
        // The last iteration's engine is garbage now: collect it here, not during the next measurement.
        System.gc();
        engine = fundedEngine();
        next = 0;
        atMicros = engine.lastAtMicros();
        appliedInIteration = 0;
        commandsInIteration = 0;
    }

    private Engine fundedEngine() {
        Engine fresh = new Engine();
        long seq = 0;
        for (Command command : funding) {
            Outcome outcome = fresh.apply(++seq, 0, command, EngineListener.NONE);
            if (outcome.result() != null && !outcome.result().applied()) {
                throw new IllegalStateException("funding command " + command.id() + " was rejected: " + outcome.result().message());
            }
        }
        return fresh;
    }

    @Benchmark
    public int applyBatch(Counters counters, Blackhole blackhole) {
        int end = next + batchSize;
        if (end > streamLength) {
            throw new IllegalStateException("the pre-built stream of " + streamLength + " commands ran out within one"
                    + " iteration: use shorter iterations (-w, -r) or -jvmArgsAppend -Django.bench.commandsPerSecond=<more than "
                    + Long.getLong("jango.bench.commandsPerSecond", DEFAULT_COMMANDS_PER_SECOND) + "> (the stream holds at most "
                    + MAX_STREAM_LENGTH + ")");
        }
        listener.blackhole = blackhole;
        atMicros += MICROS_PER_BATCH;
        long seq = engine.lastSeq();
        int applied = 0;
        for (int i = next; i < end; i++) {
            Outcome outcome = engine.apply(++seq, atMicros, stream[i], listener);
            if (outcome.result().applied()) {
                applied++;
            }
        }
        next = end;
        appliedInIteration += applied;
        commandsInIteration += batchSize;
        counters.commands += batchSize;
        return applied;
    }

    @TearDown(Level.Iteration)
    public void checkIterationApplied() {
        mostCommandsInAnIteration = Math.max(mostCommandsInAnIteration, commandsInIteration);
        requireApplied("iteration", appliedInIteration, commandsInIteration);
    }

    private void requireApplied(String what, long applied, long total) {
        if (total > 0 && applied < MIN_APPLIED_SHARE * total) {
            throw new IllegalStateException(what + ": only " + applied + " of " + total + " commands APPLIED (expected: at least "
                    + (int) (MIN_APPLIED_SHARE * 100) + " %); the benchmark would measure rejections, not work");
        }
    }

    /** Hands every event to the Blackhole, so the engine builds them as it does for the read model. */
    private static final class BlackholeListener implements EngineListener {
        Blackhole blackhole;

        @Override
        public void balanceChanged(BalanceChange change) {
            blackhole.consume(change);
        }

        @Override
        public void holdChanged(HoldView hold) {
            blackhole.consume(hold);
        }
    }
}
