package jango.kafka;

import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.Status;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Who waits for a transfer between shards: only what committed batches did counts, and each caller is answered once. */
class TransferCallersTest {
    private static final Outcome APPLIED = new Outcome(Outcome.Kind.NEW,
            new Result("t1", Status.APPLIED, null, null, 7, 1_000, List.of()), null, -1);

    @Test
    void theFirstCallerGetsTheNewResultAndARetryThatJoinedGetsItReplayed() {
        TransferCallers callers = new TransferCallers();
        assertThat(callers.wait("t1", "inst-a", 1, false)).isNull();
        callers.committed();
        assertThat(callers.wait("t1", "inst-b", 9, true)).isNull();
        assertThat(callers.wait("t1", "inst-b", 9, true)).as("the same caller again (a batch applied twice)").isNull();
        List<TransferCallers.Answer> answers = callers.finished("t1", APPLIED);
        assertThat(answers).extracting(TransferCallers.Answer::replyTo).containsExactly("inst-a", "inst-b");
        assertThat(answers.get(0).outcome().kind()).isEqualTo(Outcome.Kind.NEW);
        assertThat(answers.get(1).outcome().kind()).isEqualTo(Outcome.Kind.REPLAYED);
        assertThat(answers.get(1).outcome().result()).isEqualTo(APPLIED.result());
        callers.committed();
        assertThat(callers.transfersWaitedFor()).isZero();
    }

    @Test
    void aBatchThatDidNotCommitLeavesNoWaitAndNoAnswerBehind() {
        TransferCallers callers = new TransferCallers();
        callers.wait("t1", "inst-a", 1, false);
        callers.committed();
        callers.wait("t2", "inst-a", 2, false);
        callers.finished("t1", APPLIED);
        callers.uncommitted();
        // The batch comes again after the reload: t1 still has its caller, t2 has none from the lost batch.
        assertThat(callers.transfersWaitedFor()).isEqualTo(1);
        assertThat(callers.finished("t2", APPLIED)).isEmpty();
        assertThat(callers.finished("t1", APPLIED)).hasSize(1);
    }

    @Test
    void pastTheBoundARetryIsToldToComeBack() {
        TransferCallers callers = new TransferCallers();
        for (int i = 0; i < TransferCallers.MAX_CALLERS; i++) {
            assertThat(callers.wait("t1", "inst", i, i > 0)).isNull();
        }
        Outcome refused = callers.wait("t1", "inst", 99, true);
        assertThat(refused.kind()).isEqualTo(Outcome.Kind.UNAVAILABLE);
        assertThat(refused.message()).contains("retry with the same id");
        assertThat(callers.finished("t1", APPLIED)).hasSize(TransferCallers.MAX_CALLERS);
    }
}
