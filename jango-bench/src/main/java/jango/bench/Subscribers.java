package jango.bench;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import jango.streams.client.SseReader;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Live SSE subscribers for the bench, one per account: they count the balance events they receive
 * and the delay from each event's log time ({@code at}, stamped by the sequencer before the fsync)
 * to its arrival here. Non-blocking (Armeria), so a thousand connections cost a few threads.
 */
final class Subscribers implements AutoCloseable {
    private static final String AT = "\"at\":\"";

    private final ClientFactory factory = ClientFactory.builder().idleTimeout(Duration.ZERO).build();
    private final List<SseReader> readers = new ArrayList<>();
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger endedBeforeStart = new AtomicInteger();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final Histogram delay = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
    private volatile boolean counting;

    private Subscribers() {
    }

    static Subscribers open(String url, int count, IntFunction<String> account) {
        Subscribers subscribers = new Subscribers();
        WebClient client = WebClient.builder(url.replaceFirst("^http:", "h1c:")).factory(subscribers.factory)
                .responseTimeout(Duration.ZERO).maxResponseLength(0).build();
        for (int i = 0; i < count; i++) {
            AtomicBoolean readerStarted = new AtomicBoolean();
            SseReader reader = new SseReader(event -> subscribers.onEvent(event, readerStarted));
            // The server may close a stream before its snapshot (SLOW_CONSUMER when the client's
            // loop was starved while its account's changes queued): it will never start, and the
            // bench must not wait for it (a packaged-launcher run on a busy machine waited 60 s and failed).
            reader.ended().whenComplete((ignored, error) -> {
                if (!readerStarted.get()) {
                    subscribers.endedBeforeStart.incrementAndGet();
                }
            });
            subscribers.readers.add(reader);
            client.execute(RequestHeaders.of(HttpMethod.GET, "/v1/accounts/" + account.apply(i) + "/stream")).subscribe(reader);
        }
        return subscribers;
    }

    private void onEvent(SseReader.Event event, AtomicBoolean readerStarted) {
        if ("snapshot".equals(event.event())) {
            readerStarted.set(true);
            started.incrementAndGet();
        } else if ("balance".equals(event.event()) && counting) {
            long nowMicros = micros(Instant.now());
            int at = event.data().indexOf(AT);
            long atMicros = micros(Instant.parse(event.data().substring(at + AT.length(), event.data().indexOf('"', at + AT.length()))));
            synchronized (delay) {
                delay.recordValue(Math.max(0, Math.min(nowMicros - atMicros, delay.getHighestTrackableValue())));
            }
            events.incrementAndGet();
        } else if ("closed".equals(event.event())) {
            closedByServer.incrementAndGet();
        }
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
    }

    void awaitStarted(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (started.get() + endedBeforeStart.get() < readers.size()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + started.get() + " of " + readers.size() + " subscribers started in " + timeoutMs + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    void startCounting() {
        counting = true;
    }

    long events() {
        return events.get();
    }

    /** Streams that ended before their snapshot (closed by the server as too slow, or failed). */
    int endedBeforeStart() {
        return endedBeforeStart.get();
    }

    long closedByServer() {
        return closedByServer.get();
    }

    Histogram delay() {
        synchronized (delay) {
            return delay.copy();
        }
    }

    @Override
    public void close() {
        readers.forEach(SseReader::cancel);
        factory.close();
    }
}
