package jango.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jango.engine.Outcome;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerObserver;
import jango.engine.port.ShardStatus;

import java.util.concurrent.TimeUnit;

/** Prometheus metrics: commands by status, batch sizes, journal write and apply time, shard health. */
public final class JangoMetrics implements LedgerObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter applied = Counter.builder("jango.commands").tag("status", "APPLIED").register(registry);
    private final Counter rejected = Counter.builder("jango.commands").tag("status", "REJECTED").register(registry);
    private final Counter replayed = Counter.builder("jango.commands").tag("status", "REPLAYED").register(registry);
    private final Counter conflicts = Counter.builder("jango.commands").tag("status", "ID_CONFLICT").register(registry);
    private final Counter writeFailures = Counter.builder("jango.journal.write.failures").register(registry);
    private final DistributionSummary batchEntries = DistributionSummary.builder("jango.batch.entries")
            .description("log entries per journal record (one fsync)").publishPercentiles(0.5, 0.99).register(registry);
    private final Timer writeTime = Timer.builder("jango.batch.write").description("append + fsync of one batch")
            .publishPercentiles(0.5, 0.99, 0.999).register(registry);
    private final DistributionSummary httpCommands = requestCommands("http");
    private final DistributionSummary grpcCommands = requestCommands("grpc");
    private final Timer applyTime = Timer.builder("jango.batch.apply").description("engine apply of one batch")
            .publishPercentiles(0.5, 0.99).register(registry);

    public JangoMetrics() {
        // Heap, GC and threads: a soak reads the heap after a full collection here.
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        // The heap used right after the last collection, pool by pool. Heap used at a random moment is
        // mostly garbage not yet collected; after a full collection this is the live set, the figure a
        // soak watches for growth.
        Gauge.builder("jango.jvm.heap.after.gc", JangoMetrics::heapAfterLastCollection).baseUnit("bytes")
                .description("heap in use right after the last collection (the live set after a full one)").register(registry);
    }

    private static double heapAfterLastCollection() {
        long used = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            java.lang.management.MemoryUsage afterGc = pool.getType() == java.lang.management.MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (afterGc != null) {
                used += afterGc.getUsed();
            }
        }
        return used;
    }

    private DistributionSummary requestCommands(String protocol) {
        return DistributionSummary.builder("jango.request.commands").description("commands per submit request (client-side batching shows here)")
                .tag("protocol", protocol).publishPercentiles(0.5, 0.99).register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Shard gauges read the ledger when scraped. */
    public void bind(Ledger ledger) {
        Gauge.builder("jango.shards.halted", ledger, l -> l.shards().stream().filter(ShardStatus::halted).count())
                .description("shards halted after an infrastructure failure").register(registry);
        Gauge.builder("jango.shards.stalled", ledger, l -> l.shards().stream().filter(ShardStatus::stalled).count())
                .description("shards with work waiting and no progress for seconds (a stuck disk, a GC spiral)").register(registry);
        Gauge.builder("jango.log.applied.seq", ledger, l -> l.shards().stream().mapToLong(ShardStatus::appliedSeq).max().orElse(0))
                .description("last applied log position").register(registry);
        if (ledger.idFilterFalsePositivesPerMillion() >= 0) {
            Gauge.builder("jango.id.filter.false.positives", ledger, l -> l.idFilterFalsePositivesPerMillion() / 1e6)
                    .description("share of new ids the fixed-size id filter cannot rule out, each an index lookup;"
                            + " rises with every id used (measured at start and at each snapshot)").register(registry);
        }
        // Transfers between shards (distributed mode; zero in embedded mode), as of each shard's last commit.
        Gauge.builder("jango.transfers.in.flight", ledger, l -> l.transfersInFlight().coordinating()).tag("role", "coordinator")
                .description("transfers between shards this instance's shards coordinate now").register(registry);
        Gauge.builder("jango.transfers.in.flight", ledger, l -> l.transfersInFlight().participating()).tag("role", "participant")
                .description("transfers between shards this instance's shards hold a reservation for now").register(registry);
        Gauge.builder("jango.transfers.oldest.in.flight", ledger,
                        l -> oldestAgeSeconds(l.transfersInFlight().oldestStartMicros()))
                .baseUnit("seconds").description("age of the oldest transfer between shards still in flight here (0: none)")
                .register(registry);
        FunctionCounter.builder("jango.transfers.aborted", ledger, l -> l.transfersInFlight().abortedRefused()).tag("cause", "refused")
                .description("transfers between shards aborted because a leg was refused, since the shards were loaded")
                .register(registry);
        FunctionCounter.builder("jango.transfers.aborted", ledger, l -> l.transfersInFlight().abortedGaveUp()).tag("cause", "gave_up")
                .description("transfers between shards aborted because a shard did not vote in time (503, nothing applied)")
                .register(registry);
    }

    /** Seconds since {@code startMicros} (log time, epoch microseconds); 0 for none ({@link Long#MAX_VALUE}). */
    private static double oldestAgeSeconds(long startMicros) {
        if (startMicros == Long.MAX_VALUE) {
            return 0;
        }
        return Math.max(0, TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()) - startMicros) / 1e6;
    }

    public String scrape() {
        return registry.scrape();
    }

    void request(String protocol, int commands) {
        (protocol.equals("grpc") ? grpcCommands : httpCommands).record(commands);
    }

    void outcome(Outcome outcome) {
        switch (outcome.kind()) {
            case NEW -> (outcome.result().applied() ? applied : rejected).increment();
            case REPLAYED -> replayed.increment();
            case ID_CONFLICT -> conflicts.increment();
            default -> {
            }
        }
    }

    @Override
    public void batchWritten(int shard, int entries, int bytes, long writeNanos, long applyNanos) {
        batchEntries.record(entries);
        writeTime.record(writeNanos, TimeUnit.NANOSECONDS);
        applyTime.record(applyNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void writeFailed(int shard, String reason) {
        writeFailures.increment();
    }
}
