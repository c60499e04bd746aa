package jango.channel;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jango channel} assembled: a follower thread applies the feed's batches to the copy (one
 * transaction each, the position with them), a repairer thread rewrites from the ledger each
 * (account, asset) found with a gap (and compares every account after a hole in the feed), and
 * {@link ChannelServer} serves the copy.
 */
public final class Channel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Channel.class);
    private static final int REPAIRS_PER_ROUND = 100;

    private final ChannelConfig config;
    private final ChannelDb db;
    private final ChannelStore store;
    private final LedgerClient ledger;
    private final ChangeSource source;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter applied = Counter.builder("jango.channel.entries").description("history entries copied from the feed").register(registry);
    private final Counter gaps = Counter.builder("jango.channel.gaps").description("account assets found with a missing revision").register(registry);
    private final Counter duplicates = Counter.builder("jango.channel.duplicates").description("transfers flagged as likely duplicates").register(registry);
    private final Counter repaired = Counter.builder("jango.channel.repairs").description("repairs done from the ledger").register(registry);
    private final Counter holes = Counter.builder("jango.channel.feed.holes").description("holes in the feed (each starts a full compare)").register(registry);
    private final Object repairWake = new Object();
    private final Thread follower;
    private final Thread repairer;
    private final ChannelServer server;
    private volatile boolean running = true;
    private volatile String position;
    private volatile String feedState = "CONNECTING";
    private volatile int repairsPending;

    private Channel(ChannelConfig config, ChangeSource source) throws SQLException {
        this.config = config;
        this.db = ChannelDb.open(config.postgres());
        this.store = new ChannelStore(db, config.duplicateWindowMs() * 1_000L);
        this.ledger = new LedgerClient(config.ledgerUrl(), config.ledgerTimeoutMs());
        this.source = source != null ? source
                : new HttpFeedSource(config.ledgerUrl(), ledger, config.feedReadTimeoutMs(), config.feedMaxBackoffMs());
        String stored = store.position();
        this.position = stored != null ? stored : "0";
        this.repairsPending = store.repairsPending();
        Gauge.builder("jango.channel.repairs.pending", this, c -> c.repairsPending).description("repairs queued").register(registry);
        Gauge.builder("jango.channel.feed.connected", this, c -> "CONNECTED".equals(c.feedState) ? 1 : 0)
                .description("1 while the feed is connected").register(registry);
        this.follower = new Thread(this::follow, "jango-channel-follower");
        this.repairer = new Thread(this::repairLoop, "jango-channel-repairer");
        this.server = new ChannelServer(this, store, registry, config.host(), config.port());
    }

    /** Opens the store (migrating it), starts following the feed and serving; {@code source} null for the ledger's HTTP feed. */
    public static Channel start(ChannelConfig config, ChangeSource source) throws SQLException {
        Channel channel = new Channel(config, source);
        channel.server.start();
        channel.follower.start();
        channel.repairer.start();
        log.info("event=channel_started ledger={} position={} port={}", config.ledgerUrl(), channel.position, channel.port());
        return channel;
    }

    public int port() {
        return server.port();
    }

    public ChannelStore store() {
        return store;
    }

    public String position() {
        return position;
    }

    String feedState() {
        return feedState;
    }

    int repairsPending() {
        return repairsPending;
    }

    String scrape() {
        return registry.scrape();
    }

    private void follow() {
        try {
            source.run(position, this::apply, new ChangeSource.Status() {
                @Override
                public void connected() {
                    feedState = "CONNECTED";
                }

                @Override
                public void disconnected(String why) {
                    feedState = "DISCONNECTED: " + why;
                }

                @Override
                public void truncated(String why, String resumeFrom) {
                    log.error("event=feed_truncated position={} resume_from={} why=\"{}\"", position, resumeFrom, why);
                    holes.increment();
                    try {
                        store.queueRepair(ChannelStore.ALL, ChannelStore.ALL, "the feed was truncated: " + why);
                    } catch (SQLException e) {
                        log.error("event=repair_not_queued error=\"{}\"", e.getMessage());
                    }
                    wakeRepairer();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("event=follower_failed", e);
            feedState = "FAILED: " + e;
        }
    }

    private void apply(FeedBatch batch) throws SQLException {
        ChannelStore.Applied result = store.apply(batch);
        position = batch.next();
        applied.increment(result.newEntries());
        duplicates.increment(result.duplicates());
        holes.increment(batch.holes().size());
        if (!result.gaps().isEmpty() || !batch.holes().isEmpty()) {
            gaps.increment(result.gaps().size());
            log.warn("event=gaps_found gaps={} holes={}", result.gaps().size() > 10 ? result.gaps().subList(0, 10) + "..." : result.gaps(),
                    batch.holes());
            wakeRepairer();
        }
    }

    private void wakeRepairer() {
        synchronized (repairWake) {
            repairWake.notifyAll();
        }
    }

    private void repairLoop() {
        long backoffMs = config.repairPollMs();
        while (running) {
            try {
                List<ChannelStore.Repair> repairs = store.repairs(REPAIRS_PER_ROUND);
                repairsPending = repairs.size() < REPAIRS_PER_ROUND ? repairs.size() : store.repairsPending();
                for (ChannelStore.Repair repair : repairs) {
                    if (!running) {
                        return;
                    }
                    repair(repair);
                }
                backoffMs = config.repairPollMs();
                if (repairs.isEmpty()) {
                    synchronized (repairWake) {
                        repairWake.wait(config.repairPollMs());
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | SQLException | RuntimeException e) {
                log.warn("event=repair_failed retry_ms={} error=\"{}\"", backoffMs, e.toString());
                try {
                    TimeUnit.MILLISECONDS.sleep(backoffMs);
                } catch (InterruptedException stop) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, 60_000);
            }
        }
    }

    private void repair(ChannelStore.Repair repair) throws IOException, SQLException {
        if (ChannelStore.ALL.equals(repair.account())) {
            Resync.Result result = new Resync(ledger, store).run(false);
            log.info("event=repaired_all reason=\"{}\" accounts={} differing={} rows={}", repair.reason(), result.accounts(),
                    result.differing(), result.rowsRewritten());
        } else {
            List<ChangeRecord> truth = ledger.fullHistory(repair.account(), repair.asset());
            int rows = store.rewrite(repair.account(), repair.asset(), truth);
            log.info("event=repaired account={} asset={} reason=\"{}\" rows={}", repair.account(), repair.asset(), repair.reason(), rows);
        }
        store.repairDone(repair.account(), repair.asset());
        repaired.increment();
    }

    @Override
    public void close() {
        running = false;
        source.close();
        follower.interrupt();
        repairer.interrupt();
        try {
            follower.join(10_000);
            repairer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        db.close();
    }
}
