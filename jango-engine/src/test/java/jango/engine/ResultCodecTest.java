package jango.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's result encoding ({@link ResultCodec#write(Applied, ByteWriter)}, straight from the
 * account table, which the archives store) gives exactly the bytes of the {@link Result} the engine
 * answers ({@link ResultCodec#encode(Result)}), for every new result of a stream with rejections
 * (whose new owners and accounts are taken back) and owners made after them.
 */
class ResultCodecTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void theEnginesEncodingIsTheAnswersEncoding(long seed) {
        Comparing archive = new Comparing();
        Engine engine = new Engine(1 << 16, archive);
        List<CommandStream.Entry> entries = CommandStream.recorded(seed, 3_000);
        for (CommandStream.Entry entry : entries) {
            engine.apply(engine.lastSeq() + 1, entry.atMicros(), entry.command(), EngineListener.NONE);
        }
        assertThat(archive.compared).as("new results compared").isGreaterThan(1_000);
        assertThat(archive.withBalances).as("results listing balances").isGreaterThan(500);
    }

    /** Encodes every new result both ways and compares, then keeps it as the memory archive does. */
    private static final class Comparing implements Archive {
        private final MemoryArchive kept = new MemoryArchive();
        private final ByteWriter out = new ByteWriter(256);
        int compared;
        int withBalances;

        @Override
        public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
            out.reset();
            ResultCodec.write(applied, out);
            byte[] written = out.toByteArray();
            Result result = applied.result();
            assertThat(written).as("result of %s", applied.commandId()).isEqualTo(ResultCodec.encode(result));
            compared++;
            if (!result.balances().isEmpty()) {
                withBalances++;
            }
            kept.resultStored(applied, fingerprint, offset, length);
        }

        @Override
        public StoredResult result(String commandId, long beforeSeq) {
            return kept.result(commandId, beforeSeq);
        }

        @Override
        public HoldView hold(String holdId, long beforeSeq) {
            return kept.hold(holdId, beforeSeq);
        }

        @Override
        public void holdClosed(Applied applied, int index) {
            kept.holdClosed(applied, index);
        }

        @Override
        public void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
            kept.resultPending(commandId, seq, fingerprint, attempt);
        }

        @Override
        public void resultStored(long seq, byte[] fingerprint, Result result) {
            kept.resultStored(seq, fingerprint, result);
        }
    }
}
