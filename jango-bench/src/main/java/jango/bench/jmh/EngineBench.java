package jango.bench.jmh;

import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.EncodingArchive;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.MemoryArchive;
import jango.engine.Outcome;
import jango.engine.Status;
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

import java.util.Arrays;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;

/**
 * The engine alone: no journal, no I/O, no threads. Each invocation applies one batch (one sequencer
 * timestamp, consecutive seqs) of pre-built commands, exactly as the writer does after the fsync:
 * {@link Engine#execute} with the command's encoding as its fingerprint (the writer slices it out of
 * the journal record), the next {@link Engine#LOOK_AHEAD} commands looked at ahead as the writer does,
 * and every new result and closed hold encoded into a reusable buffer by the archive, as the embedded
 * archive does before the index writes them. Nothing is materialised as objects: that is the writer's
 * hot path.
 *
 * <p>Scores: the primary score counts batches per second; the secondary {@code commands} counter
 * counts commands per second, the figure to read. ({@code @OperationsPerInvocation} takes a
 * compile-time constant, so it cannot follow the {@code batchSize} parameter.) Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} divided by {@code batchSize} is the allocation per
 * command.
 *
 * <p>Every iteration starts from the same funded state ({@link Engine#fork}) and applies the same
 * pre-built stream from its start, so every id is new to the engine, as in production. The stream is
 * built before the first iteration for {@code jango.bench.commandsPerSecond} (default
 * {@value #DEFAULT_COMMANDS_PER_SECOND}) over the longest iteration, and between iterations it is
 * extended to three times what any iteration used, outside the measurement, up to
 * {@value #MAX_STREAM_LENGTH} commands. An iteration that still runs past its end fails rather than
 * measure replays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed heap, so that heap resizing is no part of the score; prepended, so -jvmArgsAppend keeps it.
@Fork(value = 1, jvmArgsPrepend = {"-Xms6g", "-Xmx6g"})
public class EngineBench {
    /** The first iteration's stream is sized for this rate; {@code -Django.bench.commandsPerSecond} overrides it. */
    static final long DEFAULT_COMMANDS_PER_SECOND = 4_000_000;
    /** The stream never grows past this, so that it fits the benchmark's heap next to the engine. */
    static final int MAX_STREAM_LENGTH = 10_000_000;
    /** Share of the commands that must be APPLIED: rejections are cheap and would flatter the score. */
    static final double MIN_APPLIED_SHARE = 0.9;
    /** The production id filter (EmbeddedConfig's default). */
    static final int ID_FILTER_BYTES = 64 << 20;
    private static final long SEED = 20261126L;
    private static final long MICROS_PER_BATCH = 1_000;

    @Param({"10000", "1000000"})
    public int accounts;

    @Param({"10000"})
    public int batchSize;

    /** {@code transfer}: two-account transfers; {@code exchange}: holds, four-leg settlements, releases. */
    @Param({"transfer", "exchange"})
    public String mix;

    /** Commands looked at ahead ({@link Engine#lookAhead}), as the writer does; 0 to measure without. */
    @Param({"256"})
    public int lookAhead;

    private Supplier<Command> source;
    private Command[] stream;
    private byte[][] encoded;
    private int streamLength;
    private long mostCommandsInAnIteration;
    private Engine funded;
    private Engine engine;
    private final EncodingArchive archive = new EncodingArchive(1 << 22);
    private int next;
    private long atMicros;
    private long appliedInIteration;
    private long commandsInIteration;

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
        funded = fund(workload);
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
        encoded = new byte[0][];
        extendStream(longestIterationSeconds * commandsPerSecond + batchSize);
        checkSampleApplies();
    }

    /** The funding (asset registrations, one deposit per user and asset) applied once, in memory. */
    private static Engine fund(Workload workload) {
        Engine engine = new Engine(ID_FILTER_BYTES, new MemoryArchive());
        long seq = 0;
        for (Command command : workload.funding()) {
            Outcome outcome = engine.apply(++seq, 0, command, EngineListener.NONE);
            if (outcome.result() != null && !outcome.result().applied()) {
                throw new IllegalStateException("funding command " + command.id() + " was rejected: " + outcome.result().message());
            }
        }
        return engine;
    }

    /** Appends commands until the stream holds {@code wanted}, or {@link #MAX_STREAM_LENGTH}; never shrinks it. */
    private void extendStream(long wanted) {
        int length = (int) Math.min(wanted, MAX_STREAM_LENGTH);
        if (length <= streamLength) {
            return;
        }
        stream = Arrays.copyOf(stream, length);
        encoded = Arrays.copyOf(encoded, length);
        while (streamLength < length) {
            Command command = source.get();
            stream[streamLength] = command;
            encoded[streamLength] = CommandCodec.encode(command);
            streamLength++;
        }
    }

    /** Fails the trial unless nearly all of a sample applies, and the engine's full invariants hold. */
    private void checkSampleApplies() {
        Engine sample = funded.fork(new EncodingArchive(1 << 22));
        int sampleSize = Math.min(streamLength, 200_000);
        long seq = sample.lastSeq();
        int applied = 0;
        for (int i = 0; i < sampleSize; i++) {
            sample.execute(++seq, 1, stream[i], encoded[i], 0, encoded[i].length);
            if (sample.applied().kind() == Outcome.Kind.NEW && sample.applied().status() == Status.APPLIED) {
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
        engine = funded.fork(archive);
        next = 0;
        atMicros = engine.lastAtMicros();
        appliedInIteration = 0;
        commandsInIteration = 0;
    }

    @Benchmark
    public int applyBatch(Counters counters) {
        int end = next + batchSize;
        if (end > streamLength) {
            throw new IllegalStateException("the pre-built stream of " + streamLength + " commands ran out within one"
                    + " iteration: use shorter iterations (-w, -r) or -jvmArgsAppend -Django.bench.commandsPerSecond=<more than "
                    + Long.getLong("jango.bench.commandsPerSecond", DEFAULT_COMMANDS_PER_SECOND) + "> (the stream holds at most "
                    + MAX_STREAM_LENGTH + ")");
        }
        archive.startBatch();
        atMicros += MICROS_PER_BATCH;
        long seq = engine.lastSeq();
        int applied = 0;
        int lookedAheadTo = next;
        for (int i = next; i < end; i++) {
            if (i >= lookedAheadTo && lookAhead > 0) {
                lookedAheadTo = Math.min(end, i + lookAhead);
                engine.lookAhead(stream, i, lookedAheadTo);
            }
            byte[] bytes = encoded[i];
            engine.execute(++seq, atMicros, stream[i], bytes, 0, bytes.length);
            if (engine.applied().status() == Status.APPLIED) {
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
}
