package jango.engine;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine allocates nothing per command once it is warm (issue 10: at most 16 bytes a command
 * in steady state): transfers, holds and settlements from them and releases, applied as the writer
 * applies them ({@link Engine#lookAhead} then {@link Engine#execute}, results encoded into a
 * reused buffer as the archives do), measured with the thread's allocation counter. The counter is
 * exact, not a timing; rounds are repeated so that a round run before the JIT compiler finished
 * (whose interpreted code allocates iterators) does not decide, and the best round must be under
 * the bound.
 */
class EngineAllocationTest {
    private static final int USERS = 1_000;
    private static final int ROUND = 100_000;
    private static final int BATCH = 1_000;
    private static final long BOUND_BYTES_PER_COMMAND = 16;

    @Test
    void aWarmEngineAllocatesNothingPerCommand() {
        EncodingArchive archive = new EncodingArchive(1 << 20);
        Engine engine = new Engine(1 << 20, archive);
        long seq = 0;
        engine.apply(++seq, 0, new Command.RegisterAsset("BTC", 8), EngineListener.NONE);
        String[] users = new String[USERS];
        for (int u = 0; u < USERS; u++) {
            users[u] = "user-" + u;
            engine.apply(++seq, 0, new Command.Deposit("fund-" + u, users[u], "BTC", Decimal.parse("1000000", false)),
                    EngineListener.NONE);
        }
        Random random = new Random(7);
        long best = Long.MAX_VALUE;
        List<Long> rounds = new ArrayList<>();
        String firstRefused = null;
        for (int round = 0; round < 12; round++) {
            Command[] commands = commands(round, users, random);
            byte[][] encoded = new byte[commands.length][];
            for (int i = 0; i < commands.length; i++) {
                encoded[i] = CommandCodec.encode(commands[i]);
            }
            long allocated = allocatedBytes();
            for (int start = 0; start < commands.length; start += BATCH) {
                archive.startBatch();
                for (int i = start; i < start + BATCH; i++) {
                    if ((i - start) % Engine.LOOK_AHEAD == 0) {
                        engine.lookAhead(commands, i, Math.min(start + BATCH, i + Engine.LOOK_AHEAD));
                    }
                    engine.execute(engine.lastSeq() + 1, engine.lastAtMicros() + 1, commands[i], encoded[i], 0, encoded[i].length);
                    if (engine.applied().status() != Status.APPLIED && firstRefused == null) {
                        firstRefused = commands[i] + ": " + engine.applied().message();
                    }
                }
            }
            long perCommand = (allocatedBytes() - allocated) / commands.length;
            assertThat(firstRefused).as("every command applies (a refusal allocates its message)").isNull();
            rounds.add(perCommand);
            best = Math.min(best, perCommand);
            if (round >= 3 && perCommand <= BOUND_BYTES_PER_COMMAND) {
                break;
            }
        }
        engine.checkInvariants();
        assertThat(best).as("bytes per command, by round: %s", rounds).isLessThanOrEqualTo(BOUND_BYTES_PER_COMMAND);
    }

    /** A round of the exchange's shapes: a transfer, a hold, a settlement from it with a fee leg, and a hold released. */
    private static Command[] commands(int round, String[] users, Random random) {
        Command[] commands = new Command[ROUND];
        Decimal small = Decimal.parse("0.001", false);
        Decimal fee = Decimal.parse("0.0001", false);
        for (int i = 0; i < ROUND; i += 5) {
            int from = random.nextInt(USERS);
            String a = users[from];
            String b = users[(from + 1 + random.nextInt(USERS - 1)) % USERS];
            String id = "r" + round + "-" + i;
            String settled = id + "-h1";
            String released = id + "-h2";
            commands[i] = new Command.Transfer(id + "-t", List.of(new Leg(a, b, "BTC", small, null)));
            commands[i + 1] = new Command.PlaceHold(id + "-p1", a, "BTC", small, settled, Command.NO_EXPIRY);
            commands[i + 2] = new Command.Transfer(id + "-s", List.of(new Leg(a, b, "BTC", Decimal.parse("0.0009", false), settled),
                    new Leg(a, "@fees", "BTC", fee, settled)));
            commands[i + 3] = new Command.PlaceHold(id + "-p2", b, "BTC", small, released, Command.NO_EXPIRY);
            commands[i + 4] = new Command.Release(id + "-r", released, null);
        }
        return commands;
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
