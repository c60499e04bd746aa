package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldState;
import jango.engine.Outcome;
import jango.engine.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedArchiveTest {
    @TempDir
    Path dir;

    /**
     * The archive numbers the chunks it hands to the index, one per batch. Started 3 batches before
     * the number wraps (2^32 batches: days of uptime), a recent result and a recent closed hold are
     * answered from each chunk on both sides of the wrap, and every id leaves memory once the index
     * has it. Before the fix, lookups past the wrap threw and nothing was ever forgotten.
     */
    @Test
    void recentResultsAndHoldsAreFoundAndForgottenAcrossTheWrapOfTheChunkNumber() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir.resolve("index"))) {
            EmbeddedArchive archive = new EmbeddedArchive(index, -3);
            Engine engine = new Engine(1 << 16, archive);
            long seq = 0;
            engine.apply(++seq, seq, new Command.RegisterAsset("BTC", 8), EngineListener.NONE);
            List<LedgerIndex.Chunk> chunks = new ArrayList<>();
            List<Command> commands = new ArrayList<>();
            for (int batch = 0; batch < 6; batch++) {
                Command deposit = new Command.Deposit("d-" + batch, "u" + batch, "BTC", Decimal.parse("5", false));
                Command hold = new Command.PlaceHold("h-" + batch, "u" + batch, "BTC", Decimal.parse("2", false),
                        "order-" + batch, Long.MAX_VALUE);
                Command release = new Command.Release("r-" + batch, "order-" + batch, null);
                for (Command command : List.of(deposit, hold, release)) {
                    assertThat(engine.apply(++seq, seq, command, EngineListener.NONE).kind()).isEqualTo(Outcome.Kind.NEW);
                    commands.add(command);
                }
                chunks.add(archive.seal(List.of(), seq));
            }
            assertThat(archive.inFlightChunks()).isEqualTo(6);

            for (Command command : commands) { // every chunk in flight: answered from memory
                assertThat(engine.apply(++seq, seq, command, EngineListener.NONE).kind()).as(command.id()).isEqualTo(Outcome.Kind.REPLAYED);
            }
            for (int batch = 0; batch < 6; batch++) { // a closed hold is found: releasing it again is refused, not applied
                Outcome again = engine.apply(++seq, seq, new Command.Release("again-" + batch, "order-" + batch, null), EngineListener.NONE);
                assertThat(again.result().reason()).as("order-%d", batch).isEqualTo(Reason.UNKNOWN_HOLD);
                assertThat(again.result().message()).as("order-%d", batch).contains(HoldState.RELEASED.name());
            }

            chunks.add(archive.seal(List.of(), seq));
            for (LedgerIndex.Chunk chunk : chunks) {
                index.append(chunk);
            }
            archive.evict(index.indexedSeq());
            assertThat(archive.inFlightChunks()).isZero();
            assertThat(archive.recentIds()).as("ids left in memory after the index has them").isZero();
            for (Command command : commands) { // now answered from the index
                assertThat(engine.apply(++seq, seq, command, EngineListener.NONE).kind()).as(command.id()).isEqualTo(Outcome.Kind.REPLAYED);
            }
        }
    }
}
