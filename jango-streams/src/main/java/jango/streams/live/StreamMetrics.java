package jango.streams.live;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Live streams on /metrics: open streams by kind, events sent, streams closed by reason, long-polls waiting. */
public final class StreamMetrics {
    private final AtomicInteger sse = new AtomicInteger();
    private final AtomicInteger sockets = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final Counter events;
    private final Map<CloseReason, Counter> closes = new EnumMap<>(CloseReason.class);

    public StreamMetrics(MeterRegistry registry) {
        Gauge.builder("jango.streams.open", sse, AtomicInteger::get).tag("kind", "sse")
                .description("live SSE streams open").register(registry);
        Gauge.builder("jango.streams.open", sockets, AtomicInteger::get).tag("kind", "websocket")
                .description("live WebSockets open").register(registry);
        Gauge.builder("jango.streams.longpolls.waiting", waiting, AtomicInteger::get)
                .description("GET balances waiting for a change (Prefer: wait)").register(registry);
        events = Counter.builder("jango.streams.events").description("balance changes sent to stream clients").register(registry);
        for (CloseReason reason : CloseReason.values()) {
            closes.put(reason, Counter.builder("jango.streams.closed").tag("reason", reason.name())
                    .description("live streams ended, by reason").register(registry));
        }
    }

    AtomicInteger open(boolean socket) {
        return socket ? sockets : sse;
    }

    AtomicInteger waiting() {
        return waiting;
    }

    void sent(int count) {
        events.increment(count);
    }

    void closed(CloseReason reason) {
        closes.get(reason).increment();
    }

    public double closedCount(CloseReason reason) {
        return closes.get(reason).count();
    }

    public double eventsSent() {
        return events.count();
    }

    public int openStreams() {
        return sse.get() + sockets.get();
    }
}
