package jango.streams.webhook;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.server.ServerBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jango.engine.BalanceChange;
import jango.streams.Json;
import jango.streams.StreamsConfig;
import jango.streams.StreamsDb;
import jango.streams.feed.ChangeFeed;
import jango.streams.feed.FeedChunk;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks: subscriptions (URL, event filter, secret), fed from the durable {@link ChangeFeed}.
 * One ingest thread reads the feed from its stored position and turns every matching change into a
 * stored delivery of each subscription, atomically with the new position, so nothing is lost or
 * ingested twice across a restart; each subscription's {@link Endpoint} then sends them, signed,
 * with bounded retries. The ingest never waits for an endpoint: one whose queue is full gets its
 * new events as DEAD (QUEUE_FULL), to replay once it is back.
 */
public final class Webhooks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final int INGEST_CHUNK = 1_000;
    private static final long INGEST_IDLE_MS = 500;

    private final ChangeFeed feed;
    private final WebhookStore store;
    private final StreamsConfig.WebhookSettings settings;
    private final java.util.function.LongSupplier clockMillis;
    private final Json json;
    private final WebhookMetrics metrics;
    private final ClientFactory clientFactory;
    private final WebClient client;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Object appended = new Object();
    private final Thread ingest;
    private final AutoCloseable listening;
    private final SecureRandom random = new SecureRandom();
    private volatile boolean running = true;
    private volatile String cursor;

    private Webhooks(ChangeFeed feed, StreamsDb db, StreamsConfig config, Json json, MeterRegistry registry) {
        this.feed = feed;
        this.store = new WebhookStore(db);
        this.settings = config.webhooks();
        this.clockMillis = config.clockMillis();
        this.json = json;
        this.metrics = new WebhookMetrics(registry);
        this.clientFactory = ClientFactory.builder().connectTimeout(Duration.ofMillis(Math.min(settings.timeoutMs(), 10_000)))
                .idleTimeout(Duration.ofSeconds(30)).build();
        this.client = WebClient.builder().factory(clientFactory).build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "jango-webhooks");
            thread.setDaemon(true);
            return thread;
        });
        String stored = store.cursor();
        // A first start follows from now: subscriptions only see changes after they are made.
        this.cursor = stored != null ? stored : feed.end();
        for (Subscription subscription : store.subscriptions()) {
            endpoints.put(subscription.id(), newEndpoint(subscription));
        }
        store.forEachDelivery(delivery -> {
            Endpoint endpoint = endpoints.get(delivery.subscriptionId());
            if (endpoint != null) {
                endpoint.add(delivery);
            }
        });
        Gauge.builder("jango.webhook.pending", this, w -> w.endpoints.values().stream().mapToLong(Endpoint::pending).sum())
                .description("webhook deliveries waiting to be sent or retried").register(registry);
        Gauge.builder("jango.webhook.dead", this, w -> w.endpoints.values().stream().mapToLong(Endpoint::dead).sum())
                .description("webhook deliveries DEAD (replay with POST /v1/admin/webhooks/{id}/replay)").register(registry);
        this.listening = feed.onAppend(() -> {
            synchronized (appended) {
                appended.notifyAll();
            }
        });
        this.ingest = new Thread(this::runIngest, "jango-webhook-ingest");
        ingest.setDaemon(true);
    }

    public static Webhooks open(ChangeFeed feed, StreamsDb db, StreamsConfig config, Json json, MeterRegistry registry) {
        Webhooks webhooks = new Webhooks(feed, db, config, json, registry);
        webhooks.ingest.start();
        log.info("event=webhooks_open subscriptions={} cursor={}", webhooks.endpoints.size(), webhooks.cursor);
        return webhooks;
    }

    public void addRoutes(ServerBuilder server) {
        new WebhookRoutes(this).addRoutes(server);
    }

    private Endpoint newEndpoint(Subscription subscription) {
        return new Endpoint(subscription, store, settings, client, scheduler, clockMillis, metrics);
    }

    // ---- subscriptions ------------------------------------------------------------------------

    /** @throws IllegalStateException past {@code maxSubscriptions} */
    Subscription create(String url, String secret, Subscription.Filter filter) {
        synchronized (endpoints) {
            if (endpoints.size() >= settings.maxSubscriptions()) {
                throw new IllegalStateException("there are " + endpoints.size() + " webhook subscriptions, the most allowed");
            }
            byte[] id = new byte[8];
            random.nextBytes(id);
            Subscription subscription = new Subscription("wh_" + HexFormat.of().formatHex(id), url, secret, filter,
                    clockMillis.getAsLong());
            store.putSubscription(subscription);
            endpoints.put(subscription.id(), newEndpoint(subscription));
            log.info("event=webhook_created subscription={} url_host={}", subscription.id(), java.net.URI.create(url).getHost());
            return subscription;
        }
    }

    Endpoint endpoint(String id) {
        return endpoints.get(id);
    }

    List<Endpoint> endpoints() {
        return new ArrayList<>(endpoints.values());
    }

    boolean delete(String id) {
        synchronized (endpoints) {
            Endpoint endpoint = endpoints.remove(id);
            if (endpoint == null) {
                return false;
            }
            endpoint.close();
            store.deleteSubscription(id);
            log.info("event=webhook_deleted subscription={}", id);
            return true;
        }
    }

    List<Delivery> deliveries(String id, Delivery.State state, byte[] after, int limit) {
        return store.deliveries(id, after, limit, d -> state == null || d.state() == state);
    }

    /** Makes DEAD deliveries PENDING again (all of the subscription's, or those of {@code eventIds}), as far as its queue has room. */
    int replay(String id, java.util.Set<String> eventIds) {
        Endpoint endpoint = endpoints.get(id);
        if (endpoint == null) {
            return -1;
        }
        int replayed = 0;
        byte[] from = null;
        while (true) {
            List<Delivery> dead = store.deliveries(id, from, 1_000, d -> d.state() == Delivery.State.DEAD
                    && (eventIds == null || eventIds.contains(d.eventId())));
            for (Delivery delivery : dead) {
                if (!endpoint.hasRoom()) {
                    return replayed;
                }
                Delivery again = delivery.replayed(clockMillis.getAsLong());
                store.put(again);
                endpoint.replayed(1);
                endpoint.add(again);
                replayed++;
            }
            if (dead.size() < 1_000) {
                return replayed;
            }
            byte[] last = dead.get(dead.size() - 1).key();
            from = java.util.Arrays.copyOf(last, last.length + 1);
        }
    }

    // ---- ingest -------------------------------------------------------------------------------

    private void runIngest() {
        while (running) {
            try {
                if (followEndWhileNoSubscription()) {
                    continue;
                }
                FeedChunk chunk = feed.read(cursor, INGEST_CHUNK);
                if (chunk.isEmpty()) {
                    cursor = chunk.next();
                    synchronized (appended) {
                        appended.wait(INGEST_IDLE_MS);
                    }
                    continue;
                }
                ingest(chunk);
            } catch (ChangeFeed.FeedTruncatedException e) {
                metrics.hole();
                log.error("event=webhook_feed_truncated cursor={} error=\"{}\"", cursor, e.getMessage());
                cursor = feed.end();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("event=webhook_ingest_failed cursor={} error=\"{}\"", cursor, e.toString());
                try {
                    Thread.sleep(INGEST_IDLE_MS); // the store failed; try the same chunk again
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    /**
     * With no subscription there is nothing to deliver, and reading every change to find that out
     * cost a tenth of a busy distributed instance's CPU (and RocksDB writes of the cursor). The
     * ingest then only moves its cursor to the feed's end, twice a second, and stores it (so a
     * restart does not go back over what nobody subscribed to). The end is taken before the
     * subscriptions are looked at: a subscription not seen yet was made after that end, so the
     * changes after it are read once it is seen.
     *
     * @return true when there was no subscription (the caller loops again)
     */
    private boolean followEndWhileNoSubscription() throws InterruptedException {
        String end = feed.end();
        if (!endpoints.isEmpty()) {
            return false;
        }
        if (!end.equals(cursor)) {
            store.ingest(List.of(), end);
            cursor = end;
        }
        Thread.sleep(INGEST_IDLE_MS); // not woken by appends: nothing is read until there is a subscription
        return true;
    }

    private void ingest(FeedChunk chunk) {
        for (FeedChunk.Hole hole : chunk.holes()) {
            metrics.hole();
            log.warn("event=webhook_feed_hole from={} to={}", hole.fromSeq(), hole.toSeq());
        }
        List<Endpoint> targets = endpoints();
        Map<Endpoint, Integer> added = new java.util.HashMap<>();
        List<Delivery> deliveries = new ArrayList<>();
        long seq = -1;
        int index = 0;
        long now = clockMillis.getAsLong();
        List<BalanceChange> changes = chunk.changes();
        for (int i = 0; i < changes.size(); i++) {
            BalanceChange change = changes.get(i);
            index = change.seq() == seq ? index + 1 : 0;
            seq = change.seq();
            // With several shards, a seq names an entry of one shard, and the feed tells each change's place in it.
            FeedChunk.Origin origin = chunk.origins().isEmpty() ? null : chunk.origins().get(i);
            int shard = origin == null ? -1 : origin.shard();
            int place = origin == null ? index : origin.index();
            byte[] body = null;
            for (Endpoint endpoint : targets) {
                Subscription subscription = endpoint.subscription();
                if (!subscription.wants(change)) {
                    continue;
                }
                String eventId = eventId(shard, change.seq(), place);
                if (body == null) {
                    body = body(eventId, change, shard);
                }
                int queued = added.merge(endpoint, 1, Integer::sum);
                boolean room = endpoint.pending() + queued <= settings.maxPending();
                deliveries.add(new Delivery(WebhookStore.deliveryKey(subscription.id(), shard, change.seq(), place), subscription.id(),
                        eventId, room ? Delivery.State.PENDING : Delivery.State.DEAD, 0, now,
                        room ? null : "QUEUE_FULL: " + settings.maxPending() + " deliveries were pending", body));
            }
        }
        store.ingest(deliveries, chunk.next());
        cursor = chunk.next();
        for (Delivery delivery : deliveries) {
            Endpoint endpoint = endpoints.get(delivery.subscriptionId());
            if (endpoint != null) {
                endpoint.add(delivery);
            }
        }
    }

    /**
     * {@code evt_<seq>_<index>} with one shard; {@code evt_<shard>_<seq>_<index>} with several, where
     * each shard counts its own seqs. Either names one change, however often it is delivered.
     */
    static String eventId(int shard, long seq, int index) {
        return shard < 0 ? "evt_" + seq + "_" + index : "evt_" + shard + "_" + seq + "_" + index;
    }

    private byte[] body(String eventId, BalanceChange change, int shard) {
        return Json.bytes(out -> {
            out.writeStartObject();
            out.writeStringField("id", eventId);
            out.writeStringField("type", "balance.changed");
            out.writeStringField("createdAt", Json.time(change.atMicros()));
            out.writeFieldName("data");
            json.change(out, change, shard);
            out.writeEndObject();
        });
    }

    String cursor() {
        return cursor;
    }

    @Override
    public void close() {
        running = false;
        ingest.interrupt();
        try {
            ingest.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            listening.close();
        } catch (Exception e) {
            // a listener handle does not fail
        }
        endpoints.values().forEach(Endpoint::close);
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clientFactory.close();
    }
}
