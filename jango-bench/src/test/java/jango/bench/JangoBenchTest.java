package jango.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A short real run of the bench: an embedded Jango over HTTP, checks included. */
class JangoBenchTest {

    @Test
    void aShortRunMeasuresAndPassesItsChecks() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        JangoBench.Options options = new JangoBench.Options(null, 2, 1, 200, 3, 1.1, 2, 200, 11);
        JangoBench.JangoResult result = new JangoBench(options, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();
        assertThat(result.phases()).extracting(JangoBench.Phase::name).containsExactly("single", "batch");
        JangoBench.Phase batch = result.phases().get(1);
        assertThat(batch.commands()).isPositive();
        assertThat(batch.applied()).isLessThanOrEqualTo(batch.commands());
        assertThat(batch.balanceChanges()).isGreaterThan(batch.applied());
        assertThat(batch.latency().count()).isPositive();
        // Group commit: the server's journal wrote the phase in records of several entries each.
        assertThat(batch.journalRecords()).isPositive();
        assertThat(batch.entriesPerRecord()).isGreaterThan(1.0);
        assertThat(result.checks().passed()).as(result.checks().toString()).isTrue();
        assertThat(result.checks().verified()).isEqualTo(result.checks().acknowledged());
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("check:", "batch:");
    }
}
