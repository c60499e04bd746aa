package jango.cli;

import jango.bench.BenchReport;
import jango.bench.JangoBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jango bench}: see {@link BenchReport} for what runs and what is printed. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"An exchange's day end to end over HTTP or gRPC (Zipf-hot owners; holds, 3-leg settlements with fees,",
                "releases, deposits, withdrawals, some rejections), journal fsynced per batch; then the checks",
                "(every acknowledged result stored, invariants) and the PostgreSQL baselines in the same run."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--duration", defaultValue = "40", description = "seconds of batch load on Jango (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--singles-duration", defaultValue = "10", description = "seconds of single commands one at a time, for latency (default: ${DEFAULT-VALUE})")
    int singlesSeconds;

    @Option(names = "--accounts", defaultValue = "10000", description = "user accounts (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--assets", defaultValue = "3", description = "assets including the quote asset, 2..11 (default: ${DEFAULT-VALUE})")
    int assets;

    @Option(names = "--zipf", defaultValue = "1.1", description = "skew of owner popularity, 0 = uniform (default: ${DEFAULT-VALUE})")
    double zipf;

    @Option(names = "--concurrency", defaultValue = "4", description = "clients sending batches (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--batch", defaultValue = "1000", description = "commands per batch request (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--seed", defaultValue = "1", description = "workload seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--protocol", defaultValue = "http",
            description = "http: JSON batch requests; grpc: the Java client (jango-client), which batches the threads' commands itself (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--callers", defaultValue = "0",
            description = "also a phase of this many threads each sending single commands, for --singles-duration seconds (default: ${DEFAULT-VALUE}: none)")
    int callers;

    @Option(names = "--mode", defaultValue = "embedded",
            description = "embedded (default: the bench starts one); for distributed mode start it yourself and pass --url")
    String mode;

    @Option(names = "--url", description = "measure a running Jango instead of starting one")
    String url;

    @Option(names = "--baseline-duration", defaultValue = "10", description = "seconds per PostgreSQL baseline, 0 to skip (default: ${DEFAULT-VALUE})")
    int baselineSeconds;

    @Option(names = "--subscribers", defaultValue = "0",
            description = "live SSE subscribers (one per account, busiest first) during a second batch phase; 0 for none (default: ${DEFAULT-VALUE})")
    int subscribers;

    @Option(names = "--no-streams", description = "run the embedded Jango without the channel side (feed log, webhooks, streams)")
    boolean noStreams;

    @Option(names = "--shards", defaultValue = "1",
            description = "the shard count of the distributed ledger under --url, for --cross-shard (default: ${DEFAULT-VALUE})")
    int shards;

    @Option(names = "--cross-shard", paramLabel = "SHARE",
            description = "share of the trades (0..1) whose buyer and seller are on different shards, with --shards;"
                    + " default: as the owners fall")
    Double crossShard;

    @Option(names = "--json", description = "write the machine-readable report here")
    Path json;

    @Option(names = "--sweep", description = "instead: short runs over batch sizes and concurrencies, written as an SVG chart to this file")
    Path sweepChart;

    @Override
    public Integer call() throws Exception {
        if (!mode.equals("embedded")) {
            System.err.println("bench: --mode " + mode + ": the bench starts embedded mode only; start distributed mode"
                    + " (see README) and measure it with --url http://HOST:PORT");
            return 2;
        }
        JangoBench.Options options;
        try {
            options = new JangoBench.Options(url, durationSeconds, singlesSeconds, accounts, assets, zipf, concurrency, batchSize, seed,
                    protocol, callers, subscribers, !noStreams, shards, crossShard == null ? -1 : crossShard);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return 2;
        }
        return BenchReport.run(options, baselineSeconds, json, sweepChart, System.out) ? 0 : 1;
    }
}
