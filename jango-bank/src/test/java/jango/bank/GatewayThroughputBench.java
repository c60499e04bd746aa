package jango.bank;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import jango.bank.sim.FaultPlan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The figure of issue 12: withdrawals per second through the gateway to the simulator with limits
 * off, and the gateway's added latency (accepted to completed, less the bank's round trip) at p50
 * and p99. Not part of the default suite:
 * {@code mvn -pl jango-bank -am -Dtest=GatewayThroughputBench -Django.bank.bench=true -Dsurefire.failIfNoSpecifiedTests=false test}
 * (-Django.bank.bench.withdrawals=N, -Django.bank.bench.concurrency=N).
 */
class GatewayThroughputBench {
    @TempDir
    Path dir;

    @Test
    void withdrawalsPerSecondWithLimitsOff() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("jango.bank.bench"), "a benchmark: run with -Django.bank.bench=true");
        int count = Integer.getInteger("jango.bank.bench.withdrawals", 20_000);
        int concurrency = Integer.getInteger("jango.bank.bench.concurrency", 256);
        try (BankRig rig = BankRig.start(dir, List.of("004", "088", "020"), FaultPlan.NONE,
                b -> new BankConfig(b.code(), b.name(), b.address(), b.companyAccount(), 0, BankConfig.MAX_CONCURRENCY, 1_000_000,
                        Duration.ofSeconds(5), b.calendar(), b.breaker()), GatewayClock.SYSTEM)) {
            rig.config = rig.config.withLanes(Integer.getInteger("jango.bank.bench.lanes", 8));
            rig.restartGateway();
            for (int u = 0; u < 100; u++) {
                rig.fund("u" + u, 1_000_000_000L);
            }
            run(rig, "warm-", Math.min(count, 5_000), concurrency);
            rig.registry.clear();
            long started = System.nanoTime();
            run(rig, "w", count, concurrency);
            long nanos = System.nanoTime() - started;
            double perSecond = count / (nanos / 1e9);
            System.out.printf("bank bench: %d withdrawals, %d in flight at most, 3 banks, limits off: %.0f withdrawals/s (accepted to COMPLETED)%n",
                    count, concurrency, perSecond);
            for (String bank : List.of("004", "088", "020")) {
                Timer added = rig.registry.find("jango.bank.gateway.latency").tag("bank", bank).timer();
                Timer roundTrip = rig.registry.find("jango.bank.roundtrip").tag("bank", bank).timer();
                System.out.printf("bank bench: bank %s: gateway added latency %s; bank round trip %s%n", bank, percentiles(added),
                        percentiles(roundTrip));
            }
        }
    }

    /** Submits {@code count} withdrawals with at most {@code concurrency} not yet completed, and waits for all. */
    private static void run(BankRig rig, String prefix, int count, int concurrency) throws Exception {
        Semaphore window = new Semaphore(concurrency);
        java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger completed = new java.util.concurrent.atomic.AtomicInteger();
        // One thread watches every withdrawal in flight (no thread per withdrawal).
        Thread watcher = Thread.ofPlatform().start(() -> {
            while (completed.get() < count) {
                for (String id : inFlight) {
                    Withdrawal w = rig.gateway.find(id);
                    if (w != null && w.status().ended()) {
                        assertThat(w.status()).isEqualTo(WithdrawalStatus.COMPLETED);
                        inFlight.remove(id);
                        completed.incrementAndGet();
                        window.release();
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        });
        String[] banks = {"004", "088", "020"};
        for (int i = 0; i < count; i++) {
            window.acquire();
            String id = prefix + i;
            inFlight.add(id);
            rig.gateway.accept(new WithdrawalRequest(id, "u" + (i % 100), 1 + i % 50_000, banks[i % 3], "110-" + i, "홍길동"));
        }
        watcher.join(TimeUnit.MINUTES.toMillis(5));
        assertThat(completed.get()).isEqualTo(count);
        assertThat(rig.gateway.banks().stream().mapToInt(BankGateway.BankView::open).sum()).isZero();
    }

    private static String percentiles(Timer timer) {
        if (timer == null) {
            return "-";
        }
        HistogramSnapshot snapshot = timer.takeSnapshot();
        StringBuilder out = new StringBuilder();
        for (ValueAtPercentile p : snapshot.percentileValues()) {
            out.append(String.format("p%.0f %.2f ms ", p.percentile() * 100, p.value(TimeUnit.MILLISECONDS)));
        }
        return out.append(String.format("(n=%d, mean %.2f ms)", snapshot.count(), snapshot.mean(TimeUnit.MILLISECONDS))).toString().trim();
    }
}
