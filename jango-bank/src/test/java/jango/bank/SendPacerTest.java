package jango.bank;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SendPacerTest {
    /** Writes released together (as after one batched fsync) still go out at most tps to any 1.05 s. */
    @Test
    void noWindowHoldsMoreThanTpsWrites() throws Exception {
        SendPacer pacer = new SendPacer(5);
        long[] at = new long[12];
        for (int i = 0; i < at.length; i++) {
            at[i] = pacer.awaitTurn();
        }
        assertThat(at[4] - at[0]).as("the first 5 go at once").isLessThan(TimeUnit.MILLISECONDS.toNanos(1_050));
        for (int i = 5; i < at.length; i++) {
            assertThat(at[i] - at[i - 5]).as("write %d against write %d", i, i - 5).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1_050));
        }
    }
}
