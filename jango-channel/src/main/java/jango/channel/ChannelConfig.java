package jango.channel;

import jango.postgres.PgConfig;

import java.util.Objects;

/**
 * Settings of {@code jango channel}, built once and passed in.
 *
 * @param ledgerUrl             the ledger's base URL (its admin feed, history and accounts)
 * @param postgres              the channel's own PostgreSQL
 * @param host                  where the channel's API listens
 * @param port                  its port, 0 for any free one
 * @param duplicateWindowMs     transfers with the same payer, payee, asset and amount this close together are flagged
 * @param feedReadTimeoutMs     silence from the feed longer than this is a dead connection (the ledger heartbeats every 15 s)
 * @param feedMaxBackoffMs      the longest wait between two reconnects to the feed
 * @param ledgerTimeoutMs       bound on each history or accounts read from the ledger
 * @param repairPollMs          how often the repairer looks for queued repairs when nothing wakes it
 */
public record ChannelConfig(String ledgerUrl, PgConfig postgres, String host, int port, long duplicateWindowMs,
                            long feedReadTimeoutMs, long feedMaxBackoffMs, long ledgerTimeoutMs, long repairPollMs) {
    public ChannelConfig {
        Objects.requireNonNull(ledgerUrl, "ledgerUrl");
        Objects.requireNonNull(postgres, "postgres");
        check(ledgerUrl.startsWith("http://") || ledgerUrl.startsWith("https://"), "ledgerUrl", ledgerUrl, "http://HOST:PORT");
        check(port >= 0 && port <= 65_535, "port", port, "0..65535");
        check(duplicateWindowMs >= 0, "duplicateWindowMs", duplicateWindowMs, ">= 0");
        check(feedReadTimeoutMs >= 100, "feedReadTimeoutMs", feedReadTimeoutMs, ">= 100");
        check(feedMaxBackoffMs >= 100, "feedMaxBackoffMs", feedMaxBackoffMs, ">= 100");
        check(ledgerTimeoutMs >= 100, "ledgerTimeoutMs", ledgerTimeoutMs, ">= 100");
        check(repairPollMs >= 10, "repairPollMs", repairPollMs, ">= 10");
    }

    public static ChannelConfig defaults(String ledgerUrl, PgConfig postgres) {
        return new ChannelConfig(ledgerUrl, postgres, "127.0.0.1", 8090, 600_000, 45_000, 10_000, 30_000, 1_000);
    }

    public ChannelConfig withListen(String newHost, int newPort) {
        return new ChannelConfig(ledgerUrl, postgres, newHost, newPort, duplicateWindowMs, feedReadTimeoutMs, feedMaxBackoffMs,
                ledgerTimeoutMs, repairPollMs);
    }

    public ChannelConfig withDuplicateWindowMs(long windowMs) {
        return new ChannelConfig(ledgerUrl, postgres, host, port, windowMs, feedReadTimeoutMs, feedMaxBackoffMs, ledgerTimeoutMs, repairPollMs);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
