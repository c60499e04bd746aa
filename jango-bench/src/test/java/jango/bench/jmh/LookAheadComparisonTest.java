package jango.bench.jmh;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class LookAheadComparisonTest {
    @Test
    void comparesTwoLookAheadsBatchByBatchAndSaysWhatApplied() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        double[] ratios = LookAheadComparison.run(100, "exchange", 0, 256, 2, 4 * LookAheadComparison.BATCH,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(ratios).hasSize(2);
        assertThat(Math.min(ratios[0], ratios[1])).isPositive();
        assertThat(printed.lines()).hasSize(2).allSatisfy(line -> assertThat(line)
                .matches("round \\d, exchange, 100 accounts: look-ahead 0 [\\d,]+ commands/s, look-ahead 256 [\\d,]+ commands/s, "
                        + "ratio \\d+\\.\\d{3} \\((9\\d|100)% applied\\)"));
    }
}
