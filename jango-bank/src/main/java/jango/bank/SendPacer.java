package jango.bank;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Holds the writes to one bank's line to at most {@code tps} in any window of a second and 5%, at
 * the moment each telegram is written. The rate limiter before it spaces the permits, but between a
 * permit and its write lies the batched fsync of the SENT records, which releases several writes at
 * once: a bank measuring arrivals saw 52 in one second with a limit of 50. The 5% absorbs the
 * jitter between our write and the bank's read. Writers wait here in turn (the line is serial
 * anyway); the wait is at most a second.
 */
final class SendPacer {
    private static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1_050);
    private static final long NEVER = Long.MIN_VALUE;

    /** Write times of the last {@code tps} writes, as a ring: {@code next} is the oldest. */
    private final long[] written;
    private int next;

    SendPacer(int tps) {
        if (tps < 1) {
            throw new IllegalArgumentException("tps: " + tps + " (expected: >= 1)");
        }
        written = new long[tps];
        Arrays.fill(written, NEVER);
    }

    /**
     * Waits until one more write keeps the window within {@code tps}, and counts it as written now.
     * @return the time it counted ({@link System#nanoTime})
     */
    synchronized long awaitTurn() throws InterruptedException {
        long oldest = written[next];
        long now = System.nanoTime();
        if (oldest != NEVER && now - oldest < WINDOW_NANOS) {
            TimeUnit.NANOSECONDS.sleep(WINDOW_NANOS - (now - oldest));
            now = System.nanoTime();
        }
        written[next] = now;
        next = (next + 1) % written.length;
        return now;
    }
}
