package jango.cli;

import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.port.Ledger;
import jango.engine.port.ShardStore;
import jango.kafka.DistributedLedger;
import jango.server.JangoMetrics;
import jango.server.JangoServer;
import jango.streams.Streams;
import jango.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start the service.",
                "embedded (default): journal and state under --data-dir, nothing else to install.",
                "distributed: the log is a Kafka topic and the state is in PostgreSQL; run as many instances as you like (see jango init)."})
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data-dir", defaultValue = "./data",
            description = "where the journal, snapshots, history and the channel side's feed and webhooks live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on, 0 for any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--mode", defaultValue = "embedded", description = "embedded (default) or distributed")
    String mode;

    @Mixin
    DistributedOptions distributed;

    @Override
    public Integer call() throws Exception {
        JangoMetrics metrics = new JangoMetrics();
        Ledger ledger;
        String where;
        switch (mode) {
            case "embedded" -> {
                try {
                    ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(dataDir.toAbsolutePath()), metrics);
                } catch (java.io.IOException e) {
                    // Corruption, a lock held by another process, a full or read-only disk: say which, plainly.
                    log.error("event=start_failed data_dir={}", dataDir.toAbsolutePath(), e);
                    System.err.println("jango: cannot open the data directory " + dataDir.toAbsolutePath() + ": " + e.getMessage());
                    return 1;
                }
                where = "data-dir=" + dataDir.toAbsolutePath();
            }
            case "distributed" -> {
                ShardStore store = null;
                try {
                    store = distributed.openStore();
                    DistributedLedger opened = DistributedLedger.open(distributed.distributedConfig(), store, metrics);
                    ledger = opened;
                    where = "mode=distributed instance=" + opened.instanceId() + " shards=" + opened.shardMap().count();
                } catch (RuntimeException e) {
                    if (store != null) {
                        store.close();
                    }
                    log.error("event=start_failed mode=distributed", e);
                    System.err.println("jango: cannot start distributed mode: " + e.getMessage());
                    return 1;
                }
            }
            default -> {
                System.err.println("jango: --mode " + mode + " is not a mode (expected: embedded or distributed)");
                return 2;
            }
        }
        metrics.bind(ledger);
        Streams streams = openStreams(ledger, metrics);
        JangoServer server;
        try {
            server = new JangoServer(ledger, metrics, host, port, streams == null ? List.of() : List.of(streams.routes())).start();
        } catch (RuntimeException e) {
            ledger.close();
            if (streams != null) {
                streams.close();
            }
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println("jango: cannot listen on " + host + ":" + port + ": " + cause.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("event=stopping");
            server.close();
            ledger.close();
            // After the ledger: it has published every change, so the feed records a clean stop.
            if (streams != null) {
                streams.close();
            }
            stopped.countDown();
        }, "jango-shutdown"));
        // A line scripts and tests can wait for.
        System.out.println("jango: listening on http://" + host + ":" + server.port() + " " + where);
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * The channel side (live streams, long-polls, webhooks, the admin feed, GraphQL) where the ledger
     * publishes its changes in process; distributed mode serves without it until the change-events
     * topic feeds it.
     */
    private Streams openStreams(Ledger ledger, JangoMetrics metrics) throws java.io.IOException {
        try {
            return Streams.open(ledger, metrics.registry(), StreamsConfig.defaults(dataDir.toAbsolutePath().resolve("streams")));
        } catch (UnsupportedOperationException e) {
            log.warn("event=streams_off mode={} reason=\"{}\"", mode, e.getMessage());
            return null;
        }
    }
}
