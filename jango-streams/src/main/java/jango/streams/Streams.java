package jango.streams;

import com.linecorp.armeria.server.ServerBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jango.engine.BalanceChange;
import jango.engine.port.Ledger;
import jango.engine.port.ShardStatus;
import jango.streams.feed.ChangeFeed;
import jango.streams.feed.ChangeHub;
import jango.streams.feed.ChangeLog;
import jango.streams.feed.FeedRoutes;
import jango.streams.feed.FeedWriter;
import jango.streams.graphql.GraphqlContribution;
import jango.streams.graphql.GraphqlEndpoint;
import jango.streams.live.LiveStreams;
import jango.streams.live.StreamMetrics;
import jango.streams.webhook.Webhooks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel side inside the ledger's process, assembled: one subscription to the ledger's
 * changes feeds the in-memory {@link ChangeHub} and, through the {@link FeedWriter}'s own thread,
 * the durable {@link ChangeLog}; live streams and long-polls read the hub, webhooks and the admin
 * feed read the log. Its routes go into the ledger's server
 * through {@link #routes()}.
 *
 * <p>Open it before the server takes traffic and close it after the ledger: then the log has every
 * change the ledger published, and its next start records no hole.
 */
public final class Streams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Streams.class);
    /** How long the ledger's history thread may wait for the feed log before a batch becomes a hole. */
    static final long FEED_MAX_WAIT_MS = 10_000;

    private final StreamsDb db;
    private final ChangeFeed changeFeed;
    private final FeedWriter feedWriter;
    private final ChangeHub hub;
    private final LiveStreams live;
    private final FeedRoutes feedRoutes;
    private final StreamMetrics metrics;
    private final Webhooks webhooks;
    private final GraphqlEndpoint graphql;
    private final AutoCloseable subscription;

    private Streams(StreamsDb db, ChangeFeed changeFeed, FeedWriter feedWriter, ChangeHub hub, LiveStreams live,
                    FeedRoutes feedRoutes, StreamMetrics metrics, Webhooks webhooks, GraphqlEndpoint graphql, AutoCloseable subscription) {
        this.db = db;
        this.changeFeed = changeFeed;
        this.feedWriter = feedWriter;
        this.hub = hub;
        this.live = live;
        this.feedRoutes = feedRoutes;
        this.metrics = metrics;
        this.webhooks = webhooks;
        this.graphql = graphql;
        this.subscription = subscription;
    }

    /**
     * @throws UnsupportedOperationException where the ledger does not publish its changes in process
     *                                       (distributed mode, until the change-events topic feeds it)
     */
    public static Streams open(Ledger ledger, MeterRegistry registry, StreamsConfig config) throws IOException {
        return open(ledger, registry, config, List.of());
    }

    /** @param views other modules' GraphQL views (withdrawals, once they exist) */
    public static Streams open(Ledger ledger, MeterRegistry registry, StreamsConfig config, List<GraphqlContribution> views)
            throws IOException {
        return open(ledger, registry, config, views, () -> StreamsDb.open(config.dataDir()));
    }

    /**
     * As {@link #open(Ledger, MeterRegistry, StreamsConfig, List)}, over the store {@link #openAhead}
     * began opening, which this takes over (closed here if the streams cannot open).
     */
    public static Streams open(Ledger ledger, MeterRegistry registry, StreamsConfig config, List<GraphqlContribution> views,
                               Opening opening) throws IOException {
        return open(ledger, registry, config, views, opening::take);
    }

    /** Opens the store on a thread of its own, while the caller goes on; see {@link Opening}. */
    public static Opening openAhead(StreamsConfig config) {
        CompletableFuture<StreamsDb> db = new CompletableFuture<>();
        Thread opener = new Thread(() -> {
            try {
                db.complete(StreamsDb.open(config.dataDir()));
            } catch (IOException | RuntimeException e) {
                db.completeExceptionally(e);
            }
        }, "jango-streams-open");
        opener.setDaemon(true);
        opener.start();
        return new Opening(db);
    }

    /**
     * The store being opened ahead: a start opens it while the ledger recovers, on the second core.
     * Alone it takes a fraction of a second, but after a kill at 100 million commands it replays its
     * write-ahead log, and beside the index's compactions it took 3 to 5 s of a restart that must be
     * healthy within 10 s. Hand it to {@link #open(Ledger, MeterRegistry, StreamsConfig, List, Opening)},
     * or {@link #close} it when the start fails first.
     */
    public static final class Opening implements AutoCloseable {
        private final CompletableFuture<StreamsDb> db;
        private boolean taken;

        private Opening(CompletableFuture<StreamsDb> db) {
            this.db = db;
        }

        private synchronized StreamsDb take() throws IOException {
            taken = true;
            try {
                return db.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
            }
        }

        /** Waits for the open to end and closes the store, unless {@code Streams.open} took it. */
        @Override
        public synchronized void close() {
            if (!taken) {
                taken = true;
                try {
                    db.join().close();
                } catch (CompletionException e) {
                    // it did not open: nothing to close
                }
            }
        }
    }

    /** Opens a store (RocksDB: may fail with an {@link IOException}). */
    private interface StoreOpener {
        StreamsDb open() throws IOException;
    }

    private static Streams open(Ledger ledger, MeterRegistry registry, StreamsConfig config, List<GraphqlContribution> views,
                                StoreOpener opener) throws IOException {
        StartBuffer buffer = new StartBuffer();
        AutoCloseable subscription = ledger.subscribe(buffer);
        StreamsDb db = null;
        try {
            db = opener.open();
            long ledgerSeq = ledger.shards().stream().mapToLong(ShardStatus::appliedSeq).max().orElse(0);
            ChangeLog changeLog = ChangeLog.open(db, config.feedRetainSeqs(), ledgerSeq);
            ChangeHub hub = new ChangeHub();
            StreamMetrics metrics = new StreamMetrics(registry);
            LiveStreams live = new LiveStreams(ledger, hub, config, metrics);
            Json json = new Json(ledger.assets());
            FeedRoutes feedRoutes = new FeedRoutes(changeLog, config, json);
            Gauge.builder("jango.feed.seq", changeLog, ChangeLog::lastSeq).description("last log position in the change feed").register(registry);
            Gauge.builder("jango.feed.write.failures", changeLog, ChangeLog::failedWrites)
                    .description("change batches the feed failed to store (followers see a hole)").register(registry);
            FeedWriter feedWriter = new FeedWriter(changeLog, FEED_MAX_WAIT_MS);
            buffer.start(changes -> {
                hub.changes(changes);
                feedWriter.changes(changes);
            });
            GraphqlEndpoint graphql = new GraphqlEndpoint(ledger, json, views);
            Webhooks webhooks = Webhooks.open(changeLog, db, config, json, registry);
            log.info("event=streams_open data_dir={} feed_seq={}", config.dataDir(), changeLog.lastSeq());
            return new Streams(db, changeLog, feedWriter, hub, live, feedRoutes, metrics, webhooks, graphql, subscription);
        } catch (IOException | RuntimeException e) {
            closeQuietly(subscription);
            if (db != null) {
                db.close();
            }
            throw e;
        }
    }

    /**
     * The channel side over a durable feed the ledger does not write in process: distributed mode's
     * change-events topic ({@link jango.streams.feed.TopicChangeFeed}). The hub (live streams,
     * long-polls) follows {@code Ledger.subscribe}, which reads the same topic; webhooks and the admin
     * feed read {@code feed}, woken by each published batch. {@code config.dataDir()} holds only this
     * instance's webhook subscriptions and deliveries. The feed is closed with the streams.
     */
    public static Streams openOver(ChangeFeed feed, Ledger ledger, MeterRegistry registry, StreamsConfig config,
                                   List<GraphqlContribution> views) throws IOException {
        StreamsDb db = StreamsDb.open(config.dataDir());
        AutoCloseable subscription = null;
        try {
            ChangeHub hub = new ChangeHub();
            StreamMetrics metrics = new StreamMetrics(registry);
            LiveStreams live = new LiveStreams(ledger, hub, config, metrics);
            Json json = new Json(ledger.assets());
            FeedRoutes feedRoutes = new FeedRoutes(feed, config, json);
            subscription = ledger.subscribe(changes -> {
                hub.changes(changes);
                feed.published();
            });
            GraphqlEndpoint graphql = new GraphqlEndpoint(ledger, json, views);
            Webhooks webhooks = Webhooks.open(feed, db, config, json, registry);
            log.info("event=streams_open data_dir={} feed={}", config.dataDir(), feed.getClass().getSimpleName());
            return new Streams(db, feed, null, hub, live, feedRoutes, metrics, webhooks, graphql, subscription);
        } catch (RuntimeException e) {
            if (subscription != null) {
                closeQuietly(subscription);
            }
            db.close();
            throw e;
        }
    }

    /** Adds the channel side's routes to the ledger's server (see {@code JangoServer}'s extensions). */
    public Consumer<ServerBuilder> routes() {
        return server -> {
            live.addRoutes(server);
            feedRoutes.addRoutes(server);
            webhooks.addRoutes(server);
            graphql.addRoutes(server);
        };
    }

    /** The durable feed webhooks and the admin feed read: the {@link ChangeLog}, or the topic's. */
    public ChangeFeed feed() {
        return changeFeed;
    }

    public ChangeHub hub() {
        return hub;
    }

    public StreamMetrics metrics() {
        return metrics;
    }

    public LiveStreams live() {
        return live;
    }

    @Override
    public void close() {
        closeQuietly(subscription);
        if (feedWriter != null) {
            feedWriter.close();
        }
        live.close();
        webhooks.close();
        if (changeFeed instanceof AutoCloseable closeable) {
            closeQuietly(closeable);
        }
        db.close();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("event=close_failed error=\"{}\"", e.toString());
        }
    }

    /**
     * Holds what the ledger publishes while the log opens: subscribing first and reading the ledger's
     * position after means no change can slip between the two.
     */
    private static final class StartBuffer implements jango.engine.port.ChangeSubscriber {
        private List<BalanceChange> early = new ArrayList<>();
        private Consumer<List<BalanceChange>> target;

        @Override
        public synchronized void changes(List<BalanceChange> changes) {
            if (target != null) {
                target.accept(changes);
            } else {
                early.addAll(changes);
            }
        }

        synchronized void start(Consumer<List<BalanceChange>> consumer) {
            if (!early.isEmpty()) {
                consumer.accept(early);
            }
            early = null;
            target = consumer;
        }
    }
}
