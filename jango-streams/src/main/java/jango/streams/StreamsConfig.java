package jango.streams;

import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * Settings of the channel side inside the ledger's process, built once and passed in. Every buffer,
 * wait and retry has its limit here: an unbounded one is a bug.
 *
 * @param dataDir               the feed log and the webhook deliveries live here (RocksDB)
 * @param subscriberBufferEvents changes queued for one stream connection; a subscriber that falls this far behind is closed
 * @param heartbeatMs           a stream with nothing to say sends a heartbeat this often
 * @param stallTimeoutMs        a write not taken by the client within this long closes the stream (it stopped reading)
 * @param maxStreamMs           a stream is closed (reason MAX_AGE) after this long; the client resumes
 * @param closeGraceMs          after the closing event, a client that does not take it is disconnected this much later
 * @param maxResumeEntries      most history entries one resume replays; further behind is 409 RESUME_TOO_FAR
 * @param maxStreams            SSE streams and WebSockets open at once; past it a new one is 503
 * @param maxAccountsPerSocket  accounts one WebSocket may follow at once
 * @param maxWaitSeconds        the longest {@code Prefer: wait=N} honoured on GET balances
 * @param maxWaiters            long-polls waiting at once; past it a long-poll answers at once
 * @param revisionCacheAccounts accounts whose revisions the long-poll keeps in memory
 * @param feedRetainSeqs        log positions the feed keeps; a follower further behind must resync
 * @param webhooks              webhook delivery settings
 * @param clockMillis           wall clock for webhook schedules and signatures (tests inject one)
 */
public record StreamsConfig(Path dataDir, int subscriberBufferEvents, long heartbeatMs, long stallTimeoutMs, long maxStreamMs,
                            long closeGraceMs, int maxResumeEntries, int maxStreams, int maxAccountsPerSocket, int maxWaitSeconds, int maxWaiters,
                            int revisionCacheAccounts, long feedRetainSeqs, WebhookSettings webhooks, LongSupplier clockMillis) {

    public StreamsConfig {
        check(subscriberBufferEvents >= 1 && subscriberBufferEvents <= 1_000_000, "subscriberBufferEvents", subscriberBufferEvents, "1..1000000");
        check(heartbeatMs >= 10, "heartbeatMs", heartbeatMs, ">= 10");
        check(stallTimeoutMs >= heartbeatMs, "stallTimeoutMs", stallTimeoutMs, ">= heartbeatMs");
        check(maxStreamMs >= heartbeatMs, "maxStreamMs", maxStreamMs, ">= heartbeatMs");
        check(closeGraceMs >= 1, "closeGraceMs", closeGraceMs, ">= 1");
        check(maxResumeEntries >= 1 && maxResumeEntries <= 100_000, "maxResumeEntries", maxResumeEntries, "1..100000");
        check(maxStreams >= 1, "maxStreams", maxStreams, ">= 1");
        check(maxAccountsPerSocket >= 1 && maxAccountsPerSocket <= 10_000, "maxAccountsPerSocket", maxAccountsPerSocket, "1..10000");
        check(maxWaitSeconds >= 1 && maxWaitSeconds <= 300, "maxWaitSeconds", maxWaitSeconds, "1..300");
        check(maxWaiters >= 0, "maxWaiters", maxWaiters, ">= 0");
        check(revisionCacheAccounts >= 1, "revisionCacheAccounts", revisionCacheAccounts, ">= 1");
        check(feedRetainSeqs >= 1, "feedRetainSeqs", feedRetainSeqs, ">= 1");
    }

    public static StreamsConfig defaults(Path dataDir) {
        return new StreamsConfig(dataDir, 1_024, 15_000, 60_000, 3_600_000, 5_000, 1_000, 10_000, 100, 60, 10_000, 100_000,
                10_000_000, WebhookSettings.DEFAULTS, System::currentTimeMillis);
    }

    public StreamsConfig withBuffer(int events) {
        return new StreamsConfig(dataDir, events, heartbeatMs, stallTimeoutMs, maxStreamMs, closeGraceMs, maxResumeEntries,
                maxStreams, maxAccountsPerSocket, maxWaitSeconds, maxWaiters, revisionCacheAccounts, feedRetainSeqs, webhooks, clockMillis);
    }

    public StreamsConfig withTimes(long newHeartbeatMs, long newStallTimeoutMs, long newMaxStreamMs, long newCloseGraceMs) {
        return new StreamsConfig(dataDir, subscriberBufferEvents, newHeartbeatMs, newStallTimeoutMs, newMaxStreamMs, newCloseGraceMs,
                maxResumeEntries, maxStreams, maxAccountsPerSocket, maxWaitSeconds, maxWaiters, revisionCacheAccounts, feedRetainSeqs, webhooks, clockMillis);
    }

    public StreamsConfig withWebhooks(WebhookSettings settings) {
        return new StreamsConfig(dataDir, subscriberBufferEvents, heartbeatMs, stallTimeoutMs, maxStreamMs, closeGraceMs,
                maxResumeEntries, maxStreams, maxAccountsPerSocket, maxWaitSeconds, maxWaiters, revisionCacheAccounts, feedRetainSeqs, settings, clockMillis);
    }

    public StreamsConfig withFeedRetainSeqs(long seqs) {
        return new StreamsConfig(dataDir, subscriberBufferEvents, heartbeatMs, stallTimeoutMs, maxStreamMs, closeGraceMs,
                maxResumeEntries, maxStreams, maxAccountsPerSocket, maxWaitSeconds, maxWaiters, revisionCacheAccounts, seqs, webhooks, clockMillis);
    }

    /**
     * @param maxAttempts      deliveries of one event before it is DEAD (the first one included)
     * @param firstBackoffMs   wait after the first failure, doubled after each further one
     * @param maxBackoffMs     the longest wait between two attempts
     * @param timeoutMs        an attempt that has no answer within this long failed
     * @param maxPending       events waiting for one endpoint; past it new events for it are DEAD at once (QUEUE_FULL)
     * @param maxSubscriptions webhook subscriptions in all
     * @param maxInFlight      attempts under way to one endpoint at once
     */
    public record WebhookSettings(int maxAttempts, long firstBackoffMs, long maxBackoffMs, long timeoutMs, int maxPending,
                                  int maxSubscriptions, int maxInFlight) {
        public static final WebhookSettings DEFAULTS = new WebhookSettings(8, 1_000, 300_000, 10_000, 10_000, 1_000, 4);

        public WebhookSettings {
            check(maxAttempts >= 1 && maxAttempts <= 50, "maxAttempts", maxAttempts, "1..50");
            check(firstBackoffMs >= 1, "firstBackoffMs", firstBackoffMs, ">= 1");
            check(maxBackoffMs >= firstBackoffMs, "maxBackoffMs", maxBackoffMs, ">= firstBackoffMs");
            check(timeoutMs >= 1, "timeoutMs", timeoutMs, ">= 1");
            check(maxPending >= 1 && maxPending <= 1_000_000, "maxPending", maxPending, "1..1000000");
            check(maxSubscriptions >= 1 && maxSubscriptions <= 100_000, "maxSubscriptions", maxSubscriptions, "1..100000");
            check(maxInFlight >= 1 && maxInFlight <= 64, "maxInFlight", maxInFlight, "1..64");
        }
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
