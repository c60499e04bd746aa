package jango.embedded.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints how many forced 1 KiB appends per second this disk gives one journal, with and without
 * preallocation, interleaved so both see the same (shared, noisy) disk. A figure for the record, not a gate:
 * timing is never asserted. One record per append: the rate without group commit.
 */
class JournalAppendRateTest {
    private static final int PAYLOAD_BYTES = 1024;
    private static final int WARMUP_APPENDS = 100;
    private static final int MEASURED_APPENDS = 1500;
    private static final int ROUNDS = 2;

    @TempDir
    Path dir;

    @Test
    void printsForcedAppendsPerSecondFor1KiBRecords() throws IOException {
        for (int round = 0; round < ROUNDS; round++) {
            for (int preallocateBytes : new int[] {JournalConfig.DEFAULT_PREALLOCATE_BYTES, 0}) {
                measure(dir.resolve("round" + round + "-prealloc" + preallocateBytes), preallocateBytes);
            }
        }
    }

    private static void measure(Path journalDir, int preallocateBytes) throws IOException {
        byte[] payload = new byte[PAYLOAD_BYTES];
        Arrays.fill(payload, (byte) 7);
        long[] latencyNanos = new long[MEASURED_APPENDS];
        long elapsedNanos;
        try (Journal journal = Journal.open(journalDir, JournalConfig.defaults().withPreallocateBytes(preallocateBytes))) {
            for (int i = 0; i < WARMUP_APPENDS; i++) {
                journal.append(journal.nextSeq(), 1, payload, 0, PAYLOAD_BYTES);
            }
            long start = System.nanoTime();
            for (int i = 0; i < MEASURED_APPENDS; i++) {
                long before = System.nanoTime();
                journal.append(journal.nextSeq(), 1, payload, 0, PAYLOAD_BYTES);
                latencyNanos[i] = System.nanoTime() - before;
            }
            elapsedNanos = System.nanoTime() - start;
            assertThat(journal.nextSeq()).isEqualTo(WARMUP_APPENDS + MEASURED_APPENDS + 1);
        }
        Arrays.sort(latencyNanos);
        System.out.printf("journal append+force rate: preallocateBytes=%d records=%d payloadBytes=%d"
                        + " appendsPerSec=%.0f p50Us=%d p99Us=%d maxUs=%d%n",
                preallocateBytes, MEASURED_APPENDS, PAYLOAD_BYTES, MEASURED_APPENDS * 1e9 / elapsedNanos,
                latencyNanos[MEASURED_APPENDS / 2] / 1000, latencyNanos[MEASURED_APPENDS * 99 / 100] / 1000,
                latencyNanos[MEASURED_APPENDS - 1] / 1000);
    }
}
