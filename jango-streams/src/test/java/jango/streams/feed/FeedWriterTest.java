package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class FeedWriterTest {

    /**
     * The log stops taking changes: the writer queues at most {@link FeedWriter#MAX_QUEUED_CHANGES}
     * and records the batches past that as lost ranges once each has waited its time, rather than
     * holding them all in memory. (It queued 256 batches whatever their size: ten of 50,000 here
     * would all have waited in memory.) When the log takes changes again, what was queued is stored.
     */
    @Test
    void aLogThatFallsBehindCostsBoundedMemoryAndTheRestIsRecordedLost() throws Exception {
        CountDownLatch logBlocked = new CountDownLatch(1);
        AtomicLong stored = new AtomicLong();
        List<long[]> lost = new CopyOnWriteArrayList<>();
        FeedWriter writer = new FeedWriter(changes -> {
            try {
                logBlocked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stored.addAndGet(changes.size());
        }, (from, to) -> lost.add(new long[] {from, to}), 100);

        int batches = 10;
        int perBatch = 50_000;
        for (int b = 0; b < batches; b++) {
            writer.changes(batch(b * perBatch + 1L, perBatch));
            assertThat(writer.queuedChanges()).isLessThanOrEqualTo(FeedWriter.MAX_QUEUED_CHANGES);
        }
        int kept = FeedWriter.MAX_QUEUED_CHANGES / perBatch;
        assertThat(lost).as("batches past the bound, recorded as lost").hasSize(batches - kept);
        assertThat(lost.get(0)).containsExactly(kept * (long) perBatch + 1, (kept + 1) * (long) perBatch);

        logBlocked.countDown();
        writer.close();
        assertThat(stored.get()).isEqualTo(kept * (long) perBatch);
        assertThat(writer.queuedChanges()).isZero();
    }

    private static List<BalanceChange> batch(long firstSeq, int size) {
        List<BalanceChange> changes = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            changes.add(new BalanceChange(firstSeq + i, 1, "c" + (firstSeq + i), "deposit", "u1", "KRW",
                    Int128.ONE, Int128.ZERO, Int128.ONE, Int128.ZERO, firstSeq + i));
        }
        return Collections.unmodifiableList(changes);
    }
}
