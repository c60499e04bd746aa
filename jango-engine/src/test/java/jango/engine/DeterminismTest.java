package jango.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static jango.engine.Harness.amount;
import static jango.engine.Harness.signed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Same log, same state: state hash, snapshot round trip, and the log codec. */
class DeterminismTest {
    private static final int ENTRIES = 2_000;

    private static List<CommandStream.Entry> stream(long seed, int count) {
        return CommandStream.recorded(seed, count);
    }

    private static List<Outcome> feed(Engine engine, List<CommandStream.Entry> entries) {
        List<Outcome> outcomes = new ArrayList<>(entries.size());
        for (CommandStream.Entry entry : entries) {
            outcomes.add(engine.apply(engine.lastSeq() + 1, entry.atMicros(), entry.command(), EngineListener.NONE));
        }
        engine.checkInvariants();
        return outcomes;
    }

    private static byte[] snapshot(Engine engine) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            SnapshotCodec.write(engine, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The snapshot's engine, going on with a copy of {@code archive}: results live there, not in the snapshot. */
    private static Engine restore(byte[] snapshot, Engine from) throws IOException {
        return SnapshotCodec.read(new ByteArrayInputStream(snapshot), ((MemoryArchive) from.archive()).copy());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void theSameStreamGivesTheSameStateHash(long seed) {
        List<CommandStream.Entry> entries = stream(seed, ENTRIES);
        Engine first = new Engine();
        Engine second = new Engine();
        List<Outcome> firstOutcomes = feed(first, entries);
        List<Outcome> secondOutcomes = feed(second, entries);
        assertThat(secondOutcomes).as("seed %d", seed).isEqualTo(firstOutcomes);
        String hash = SnapshotCodec.stateHash(first);
        assertThat(hash).as("seed %d", seed).matches("[0-9a-f]{64}").isEqualTo(SnapshotCodec.stateHash(second));
        assertThat(snapshot(second)).as("seed %d", seed).isEqualTo(snapshot(first));

        // Reads leave the state as it was.
        first.nextExpiryMicros();
        first.checkInvariants();
        assertThat(SnapshotCodec.stateHash(first)).isEqualTo(hash);

        // And the hash does see a change: one more command makes another state.
        second.apply(second.lastSeq() + 1, second.lastAtMicros(), new Command.Tick(), EngineListener.NONE);
        assertThat(SnapshotCodec.stateHash(second)).as("a tick moves the log position").isNotEqualTo(hash);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23})
    void aRestoredSnapshotContinuesExactlyLikeTheOriginal(long seed) throws IOException {
        List<CommandStream.Entry> entries = stream(seed, ENTRIES);
        List<CommandStream.Entry> before = entries.subList(0, ENTRIES / 2);
        List<CommandStream.Entry> after = entries.subList(ENTRIES / 2, ENTRIES);

        Engine original = new Engine();
        feed(original, before);
        assertThat(original.nextExpiryMicros()).as("open holds with an expiry cross the snapshot").isNotEqualTo(Command.NO_EXPIRY);
        byte[] snapshot = snapshot(original);
        Engine restored = restore(snapshot, original);
        restored.checkInvariants();
        assertThat(SnapshotCodec.stateHash(restored)).as("seed %d", seed).isEqualTo(SnapshotCodec.stateHash(original));
        assertThat(snapshot(restored)).isEqualTo(snapshot);
        assertThat(restored.lastSeq()).isEqualTo(original.lastSeq());
        assertThat(restored.lastAtMicros()).isEqualTo(original.lastAtMicros());
        assertThat(restored.assetScales()).isEqualTo(original.assetScales());
        assertThat(restored.nextExpiryMicros()).isEqualTo(original.nextExpiryMicros());

        // Replays of ids from before the snapshot, expiries of holds from before it: all the same.
        List<Outcome> originalOutcomes = feed(original, after);
        List<Outcome> restoredOutcomes = feed(restored, after);
        assertThat(restoredOutcomes).as("seed %d", seed).isEqualTo(originalOutcomes);
        assertThat(originalOutcomes).extracting(Outcome::kind).contains(Outcome.Kind.REPLAYED, Outcome.Kind.ID_CONFLICT);
        assertThat(SnapshotCodec.stateHash(restored)).as("seed %d", seed).isEqualTo(SnapshotCodec.stateHash(original));
    }

    /**
     * The id filter is written and read a chunk at a time; the bytes are still each word big-endian
     * in order (snapshots written before read the same), whatever the filter's size against a chunk.
     */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {32, 1 << 16, 1 << 20})
    void theIdFilterRoundTripsAsBigEndianWords(int filterBytes) throws IOException {
        Engine original = new Engine(filterBytes, new MemoryArchive());
        feed(original, stream(24, 500));
        byte[] snapshot = snapshot(original);

        int[] words = original.filter.words();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(expected);
        for (int word : words) {
            out.writeInt(word);
        }
        out.writeInt(0x4A4E4753); // the trailer
        byte[] tail = Arrays.copyOfRange(snapshot, snapshot.length - expected.size(), snapshot.length);
        assertThat(tail).isEqualTo(expected.toByteArray());
        assertThat(Arrays.stream(words).filter(word -> word != 0).count()).as("ids were put in the filter").isPositive();

        Engine restored = restore(snapshot, original);
        assertThat(restored.filter.words()).isEqualTo(words);
    }

    @Test
    void anEmptyEngineRoundTrips() throws IOException {
        Engine empty = new Engine();
        Engine restored = restore(snapshot(empty), empty);
        assertThat(SnapshotCodec.stateHash(restored)).isEqualTo(SnapshotCodec.stateHash(empty));
        assertThat(restored.lastSeq()).isZero();
    }

    @Test
    void aDamagedSnapshotIsRefused() {
        Engine engine = new Engine();
        feed(engine, stream(31, 300));
        byte[] snapshot = snapshot(engine);
        assertThatThrownBy(() -> restore(Arrays.copyOf(snapshot, snapshot.length - 1), engine)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> restore(Arrays.copyOf(snapshot, snapshot.length / 2), engine)).isInstanceOf(IOException.class);
        byte[] badMagic = snapshot.clone();
        badMagic[0] ^= 1;
        assertThatThrownBy(() -> restore(badMagic, engine)).isInstanceOf(IOException.class).hasMessageContaining("magic");
        byte[] badVersion = snapshot.clone();
        badVersion[7] = 9;
        assertThatThrownBy(() -> restore(badVersion, engine)).isInstanceOf(IOException.class).hasMessageContaining("version");
    }

    // ---- the log codec ------------------------------------------------------------------------

    private static List<Command> everyCommandShape() {
        Decimal overflowed = Decimal.parse("9".repeat(60), false);
        Leg plain = new Leg("u1", "u2", "USD", amount("1.5"), null);
        Leg fromHold = new Leg("u1", "@fees", "BTC", amount("0.00000001"), "order-7");
        List<Leg> sixteen = new ArrayList<>(Collections.nCopies(Names.MAX_LEGS - 1, plain));
        sixteen.add(fromHold);
        return List.of(
                new Command.Deposit("d-1", "u1", "USD", amount("1000")),
                new Command.Deposit("d-2", "user.name:with-all_chars", "ABCDEFGHIJKLMNOP", overflowed),
                new Command.Withdraw("w-1", "u1", "WEI", amount("0.000000000000000001")),
                new Command.PlaceHold("h-1", "u1", "BTC", amount("2.5"), "order-1", Command.NO_EXPIRY),
                new Command.PlaceHold("h-2", "u1", "BTC", amount("2.5"), "order-2", 1_700_000_000_123_456L),
                new Command.PlaceHold("h-3", "u1", "BTC", amount("2.5"), "order-3", -1),
                new Command.Release("r-1", "order-1", null),
                new Command.Release("r-2", "order-1", amount("0.5")),
                new Command.Release("r-3", "order-1", overflowed),
                new Command.Transfer("t-1", List.of(plain)),
                new Command.Transfer("t-2", List.of(plain, fromHold, new Leg("@clearing", "u3", "PTS", overflowed, null))),
                new Command.Transfer("t-3", sixteen),
                new Command.Adjust("a-1", "u1", "USD", signed("-12.34"), "refund of a double charge"),
                new Command.Adjust("a-2", "u1", "USD", signed(Int128.MAX.toString()), "r".repeat(Names.MAX_REASON_LENGTH)),
                new Command.Adjust("a-3", "u1", "USD", new Decimal(Int128.MIN, 0), "ünïcödé reason"),
                new Command.RegisterAsset("BTC", 8),
                new Command.RegisterAsset("P", 0),
                new Command.RegisterAsset("WEI", 18),
                new Command.Tick());
    }

    @Test
    void everyCommandTypeRoundTripsThroughTheLogCodec() {
        List<Command> commands = everyCommandShape();
        assertThat(commands).extracting(Command::type).contains("deposit", "withdraw", "hold", "release", "transfer", "adjust",
                "registerAsset", "expire");
        ByteWriter reused = new ByteWriter(8);
        for (Command command : commands) {
            byte[] bytes = CommandCodec.encode(command);
            ByteReader reader = new ByteReader(bytes);
            Command decoded = CommandCodec.decode(reader);
            assertThat(decoded).as("%s", command).isEqualTo(command);
            assertThat(reader.remaining()).as("bytes left after %s", command).isZero();
            assertThat(CommandCodec.encode(decoded)).isEqualTo(bytes);

            reused.reset();
            CommandCodec.encode(command, reused);
            assertThat(Arrays.copyOf(reused.array(), reused.size())).isEqualTo(bytes);
        }
    }

    @Test
    void severalCommandsReadBackFromOneBuffer() {
        List<Command> commands = everyCommandShape();
        ByteWriter out = new ByteWriter(16);
        commands.forEach(command -> CommandCodec.encode(command, out));
        byte[] framed = new byte[out.size() + 3];
        System.arraycopy(out.array(), 0, framed, 3, out.size());
        ByteReader in = new ByteReader(framed, 3, out.size());
        List<Command> decoded = new ArrayList<>();
        while (in.remaining() > 0) {
            decoded.add(CommandCodec.decode(in));
        }
        assertThat(decoded).isEqualTo(commands);
    }

    @Test
    void everyStreamCommandRoundTrips() {
        for (CommandStream.Entry entry : stream(41, 5_000)) {
            byte[] bytes = CommandCodec.encode(entry.command());
            assertThat(CommandCodec.decode(new ByteReader(bytes))).isEqualTo(entry.command());
        }
    }

    @Test
    void theCodecRefusesWhatItDidNotWrite() {
        byte[] deposit = CommandCodec.encode(new Command.Deposit("d-1", "u1", "USD", amount("1")));
        assertThatThrownBy(() -> CommandCodec.decode(new ByteReader(new byte[] {99}))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CommandCodec.decode(new ByteReader(new byte[0]))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CommandCodec.decode(new ByteReader(Arrays.copyOf(deposit, deposit.length - 1))))
                .isInstanceOf(IllegalArgumentException.class);
        // A well-framed record with a bad name fails the command's own checks.
        byte[] badAccount = CommandCodec.encode(new Command.Deposit("d-1", "u1", "USD", amount("1")));
        int accountAt = 1 + 4 + "d-1".length() + 4;
        badAccount[accountAt] = ' ';
        assertThatThrownBy(() -> CommandCodec.decode(new ByteReader(badAccount))).isInstanceOf(IllegalArgumentException.class);
    }
}
