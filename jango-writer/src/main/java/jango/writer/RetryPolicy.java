package jango.writer;

/**
 * How a writer meets infrastructure failures (disk, database, broker): {@code retries} more
 * attempts after the first failure, waiting {@code firstBackoffMs} doubled each time, then the
 * shard halts. Never a skip, never a dead-letter queue: the order of balance changes matters.
 */
public record RetryPolicy(int retries, long firstBackoffMs) {
    public RetryPolicy {
        if (retries < 0 || retries > 20) {
            throw new IllegalArgumentException("retries: " + retries + " (expected: 0..20)");
        }
        if (firstBackoffMs < 0 || firstBackoffMs > 60_000) {
            throw new IllegalArgumentException("firstBackoffMs: " + firstBackoffMs + " (expected: 0..60000)");
        }
    }

    /** The wait before attempt {@code failures + 1}, after {@code failures} failures in a row. */
    public long backoffMs(int failures) {
        return firstBackoffMs << Math.min(Math.max(0, failures - 1), 16);
    }

    /** Whether failures in a row use up the retries. */
    public boolean spent(int failures) {
        return failures > retries;
    }
}
