package jango.streams.webhook;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.MediaType;
import jango.streams.StreamsConfig.WebhookSettings;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deliveries of one subscription: its own queue and its own attempts in flight, so a slow or
 * failing endpoint only ever waits on itself. The queue holds store keys, not bodies, and is bounded
 * by {@code maxPending} (the ingest marks events DEAD past it). A failed attempt is retried after an
 * exponential backoff with jitter, at most {@code maxAttempts} attempts, then the delivery is DEAD.
 * Other deliveries of the endpoint go on meanwhile, so order is not kept: receivers order by
 * revision and drop duplicates by event id.
 */
final class Endpoint {
    private static final Logger log = LoggerFactory.getLogger(Endpoint.class);
    static final String EVENT_ID_HEADER = "jango-event-id";
    static final String TIMESTAMP_HEADER = "jango-timestamp";
    static final String SIGNATURE_HEADER = "jango-signature";
    private static final long MAX_ANSWER_BYTES = 64 * 1024;

    private final Subscription subscription;
    private final WebhookStore store;
    private final WebhookSettings settings;
    private final WebClient client;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier clockMillis;
    private final WebhookMetrics metrics;

    // Guarded by this.
    private final ArrayDeque<byte[]> ready = new ArrayDeque<>();
    private int pending;
    private int dead;
    private long delivered;
    private int inFlight;
    private boolean closed;

    Endpoint(Subscription subscription, WebhookStore store, WebhookSettings settings, WebClient client,
             ScheduledExecutorService scheduler, LongSupplier clockMillis, WebhookMetrics metrics) {
        this.subscription = subscription;
        this.store = store;
        this.settings = settings;
        this.client = client;
        this.scheduler = scheduler;
        this.clockMillis = clockMillis;
        this.metrics = metrics;
    }

    Subscription subscription() {
        return subscription;
    }

    synchronized int pending() {
        return pending;
    }

    synchronized int dead() {
        return dead;
    }

    synchronized long delivered() {
        return delivered;
    }

    /** Room for one more PENDING delivery (the ingest asks before it stores one). */
    synchronized boolean hasRoom() {
        return pending < settings.maxPending();
    }

    /** A stored delivery to send: now, or when its next attempt is due. */
    void add(Delivery delivery) {
        synchronized (this) {
            if (delivery.state() == Delivery.State.DEAD) {
                dead++;
                return;
            }
            pending++;
        }
        schedule(delivery.key(), delivery.nextAttemptMillis() - clockMillis.getAsLong());
    }

    synchronized void replayed(int count) {
        dead -= count;
    }

    private void schedule(byte[] key, long delayMs) {
        if (delayMs <= 0) {
            synchronized (this) {
                ready.add(key);
            }
            scheduler.execute(this::pump);
        } else {
            scheduler.schedule(() -> {
                synchronized (this) {
                    ready.add(key);
                }
                pump();
            }, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    private void pump() {
        while (true) {
            byte[] key;
            synchronized (this) {
                if (closed || inFlight >= settings.maxInFlight() || ready.isEmpty()) {
                    return;
                }
                key = ready.poll();
                inFlight++;
            }
            Delivery delivery = store.get(key);
            if (delivery == null || delivery.state() != Delivery.State.PENDING) {
                synchronized (this) {
                    inFlight--; // deleted with its subscription, or already settled
                }
                continue;
            }
            send(delivery);
        }
    }

    private void send(Delivery delivery) {
        long timestampSeconds = Math.floorDiv(clockMillis.getAsLong(), 1_000L);
        client.prepare().post(subscription.url())
                .header(EVENT_ID_HEADER, delivery.eventId())
                .header(TIMESTAMP_HEADER, Long.toString(timestampSeconds))
                .header(SIGNATURE_HEADER, Signature.sign(subscription.secret(), timestampSeconds, delivery.body()))
                .content(MediaType.JSON_UTF_8, new String(delivery.body(), java.nio.charset.StandardCharsets.UTF_8))
                .responseTimeout(Duration.ofMillis(settings.timeoutMs()))
                .maxResponseLength(MAX_ANSWER_BYTES)
                .execute().aggregate()
                .handleAsync((answer, error) -> {
                    settle(delivery, answer, error);
                    return null;
                }, scheduler);
    }

    private void settle(Delivery delivery, AggregatedHttpResponse answer, Throwable error) {
        boolean ok = error == null && answer.status().isSuccess();
        try {
            if (ok) {
                store.delete(delivery.key());
                metrics.delivered();
                synchronized (this) {
                    pending--;
                    delivered++;
                }
            } else {
                String why = error != null ? describe(error) : "HTTP " + answer.status().code();
                boolean dead = delivery.attempts() + 1 >= settings.maxAttempts();
                long delayMs = dead ? 0 : backoffMs(delivery.attempts() + 1);
                Delivery failed = delivery.failed(why, clockMillis.getAsLong() + delayMs, dead);
                store.put(failed);
                if (dead) {
                    metrics.dead();
                    synchronized (this) {
                        pending--;
                        this.dead++;
                    }
                    log.warn("event=webhook_dead subscription={} event_id={} attempts={} last_error=\"{}\"",
                            subscription.id(), delivery.eventId(), failed.attempts(), why);
                } else {
                    metrics.retried();
                    schedule(delivery.key(), delayMs);
                }
            }
        } catch (RuntimeException e) {
            // The store failed: the delivery stays as stored and is retried after a restart.
            log.error("event=webhook_settle_failed subscription={} event_id={} error=\"{}\"", subscription.id(), delivery.eventId(), e.toString());
        } finally {
            synchronized (this) {
                inFlight--;
            }
        }
        pump();
    }

    /** After the n-th failure: first x 2^(n-1), at most the maximum, with +-20% jitter so retries spread. */
    long backoffMs(int failures) {
        long base = settings.firstBackoffMs() << Math.min(failures - 1, 30);
        long capped = base <= 0 || base > settings.maxBackoffMs() ? settings.maxBackoffMs() : base;
        return Math.max(1, (long) (capped * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
    }

    private static String describe(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        String name = cause.getClass().getSimpleName();
        return cause.getMessage() == null ? name : name + ": " + abbreviate(cause.getMessage());
    }

    private static String abbreviate(String value) {
        return value.length() <= 200 ? value : value.substring(0, 200) + "...";
    }

    void close() {
        synchronized (this) {
            closed = true;
            ready.clear();
        }
    }
}
