package jango.bank;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/**
 * Per-bank metrics on the server's registry (so they appear on {@code /metrics}), all tagged
 * {@code bank}: withdrawals by status reached, queue depth, in flight, open, line up and
 * reconnects, breaker state, answers and failed calls by kind, the bank's round trip, and the
 * gateway's own added latency (accept to completed, less the bank's round trip).
 */
final class BankMetrics {
    private final MeterRegistry registry;

    BankMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void bind(BankChannel channel) {
        String bank = channel.code();
        Gauge.builder("jango.bank.queue.ready", channel, BankChannel::readyCount).tag("bank", bank)
                .description("withdrawals ready to send, waiting for flow control").register(registry);
        Gauge.builder("jango.bank.open", channel, BankChannel::open).tag("bank", bank)
                .description("withdrawals open at this bank (bounded by its queue capacity)").register(registry);
        Gauge.builder("jango.bank.inflight", channel, BankChannel::inFlight).tag("bank", bank)
                .description("telegrams waiting for their answer").register(registry);
        Gauge.builder("jango.bank.timer.entries", channel, c -> c.timer().size()).tag("bank", bank).register(registry);
        Gauge.builder("jango.bank.link.up", channel, c -> c.link().up() ? 1 : 0).tag("bank", bank).register(registry);
        Gauge.builder("jango.bank.link.reconnects", channel, c -> c.link().reconnects()).tag("bank", bank).register(registry);
        Gauge.builder("jango.bank.breaker.state", channel, c -> breakerLevel(c.breaker().getState())).tag("bank", bank)
                .description("0 closed, 1 half-open, 2 open, 3 forced open, 4 disabled").register(registry);
        Gauge.builder("jango.bank.breaker.failure.rate", channel, c -> c.breaker().getMetrics().getFailureRate()).tag("bank", bank)
                .description("percent of recent calls that failed or timed out (-1 until enough calls)").register(registry);
    }

    private static int breakerLevel(CircuitBreaker.State state) {
        return switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
            case FORCED_OPEN -> 3;
            default -> 4;
        };
    }

    void status(String bank, WithdrawalStatus status) {
        Counter.builder("jango.bank.withdrawals").tag("bank", bank).tag("status", status.name())
                .description("withdrawals that reached each status").register(registry).increment();
    }

    void answer(String bank, String meaning) {
        Counter.builder("jango.bank.answers").tag("bank", bank).tag("meaning", meaning).register(registry).increment();
    }

    void callFailed(String bank, String kind) {
        Counter.builder("jango.bank.calls.failed").tag("bank", bank).tag("kind", kind).register(registry).increment();
    }

    void deposit(String bank, String outcome) {
        Counter.builder("jango.bank.deposits").tag("bank", bank).tag("outcome", outcome).register(registry).increment();
    }

    void roundTrip(String bank, long nanos) {
        Timer.builder("jango.bank.roundtrip").tag("bank", bank).description("telegram sent to answer received")
                .publishPercentiles(0.5, 0.99).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    void addedLatency(String bank, long nanos) {
        Timer.builder("jango.bank.gateway.latency").tag("bank", bank)
                .description("accepted to completed, less the bank's round trip: the gateway's own time")
                .publishPercentiles(0.5, 0.99).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    Timer addedLatencyTimer(String bank) {
        return registry.find("jango.bank.gateway.latency").tag("bank", bank).timer();
    }
}
