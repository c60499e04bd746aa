package jango.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Looking at commands ahead ({@link Engine#lookAhead}) changes nothing but speed: the same stream
 * (replays and id conflicts within one look-ahead included) gives the same outcomes and state as
 * without it, also when what was looked at is not what is applied next.
 */
class LookAheadTest {
    private static final int ENTRIES = 3_000;

    @ParameterizedTest(name = "seed {0}, {1} ahead, looking {2} commands off")
    @CsvSource({"31, 1, 0", "32, 7, 0", "33, 256, 0", "34, 256, 3", "35, 64, 1"})
    void lookingAheadGivesTheSameOutcomesAndState(long seed, int ahead, int off) {
        List<CommandStream.Entry> entries = CommandStream.recorded(seed, ENTRIES);
        Command[] commands = entries.stream().map(CommandStream.Entry::command).toArray(Command[]::new);

        Engine plain = new Engine();
        Engine looking = new Engine();
        int replays = 0;
        int lookedAheadTo = 0;
        for (int i = 0; i < ENTRIES; i++) {
            if (i >= lookedAheadTo) {
                lookedAheadTo = Math.min(ENTRIES, i + ahead);
                looking.lookAhead(commands, Math.min(ENTRIES, i + off), Math.min(ENTRIES, lookedAheadTo + off));
            }
            CommandStream.Entry entry = entries.get(i);
            Outcome expected = plain.apply(plain.lastSeq() + 1, entry.atMicros(), entry.command(), EngineListener.NONE);
            Outcome actual = looking.apply(looking.lastSeq() + 1, entry.atMicros(), entry.command(), EngineListener.NONE);
            assertThat(actual).as("entry %d: %s", i, entry.command()).isEqualTo(expected);
            if (expected.kind() == Outcome.Kind.REPLAYED || expected.kind() == Outcome.Kind.ID_CONFLICT) {
                replays++;
            }
        }
        looking.checkInvariants();
        assertThat(SnapshotCodec.stateHash(looking)).isEqualTo(SnapshotCodec.stateHash(plain));
        assertThat(replays).as("the stream repeats ids, so a wrong hash would show").isGreaterThan(50);
        if (off == 0) {
            assertThat(looking.lookAhead.handedOver).as("ids hashed ahead and used").isGreaterThan(ENTRIES / 2);
            assertThat(looking.lookAhead.slotsHandedOver).as("accounts looked up ahead and used").isGreaterThan(ENTRIES / 2);
        }
    }
}
