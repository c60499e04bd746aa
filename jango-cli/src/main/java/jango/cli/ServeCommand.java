package jango.cli;

import jango.bank.BankGateway;
import jango.bank.GatewayConfig;
import jango.bank.http.BankRoutes;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.port.Ledger;
import jango.engine.port.ShardStore;
import jango.kafka.DistributedLedger;
import jango.server.JangoMetrics;
import jango.server.EdgeOptions;
import jango.server.JangoServer;
import jango.server.keys.ApiKeys;
import jango.streams.Streams;
import jango.streams.StreamsConfig;
import jango.streams.graphql.GraphqlContribution;
import jango.streams.feed.TopicChangeFeed;
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

    /**
     * SIGTERM stops within this bound: a clean stop writes what was admitted and a snapshot; if that
     * hangs (a stuck disk), the process exits anyway, which loses nothing acknowledged.
     */
    static final int STOP_LIMIT_SECONDS = 60;

    @Option(names = "--data-dir", defaultValue = "./data",
            description = "where the journal, snapshots, the index and the channel side's feed and webhooks live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on, 0 for any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--mode", defaultValue = "embedded", description = "embedded (default) or distributed")
    String mode;

    @Option(names = "--id-filter-mib", paramLabel = "MIB", defaultValue = "64",
            description = {"embedded mode: the id filter, in MiB, a power of two up to 1024 (default: ${DEFAULT-VALUE}). A new id costs an "
                    + "index lookup when the filter cannot rule it out: at 64 MiB about 1%% of them at 50 million ids used, 14%% at 100 "
                    + "million (an exchange's trade uses 1.5 ids per command). Another size than the data directory's is rebuilt "
                    + "from the index once, at start; the heap needs about twice the filter"})
    int idFilterMib;

    @Mixin
    DistributedOptions distributed;

    @Option(names = "--banks", paramLabel = "FILE",
            description = "run the bank gateway with the banks in this properties file (docs/banking.md); its state goes in <data-dir>/bank")
    Path banks;

    private static void haltIfNotStoppedWithin(int seconds) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(seconds * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            log.error("event=stop_timeout seconds={} (halting: everything acknowledged is in the log)", seconds);
            Runtime.getRuntime().halt(1);
        }, "jango-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    @Option(names = "--keys-file", description = "API keys (jango keys create); default: <data-dir>/keys. While it exists, every request needs a key")
    Path keysFile;

    @Option(names = "--insecure", description = "serve on a non-loopback address even with no API keys (anyone who reaches the port can move money)")
    boolean insecure;

    @Option(names = "--tls-cert", description = "serve HTTPS (and gRPC over TLS) with this PEM certificate chain; needs --tls-key")
    Path tlsCertificate;

    @Option(names = "--tls-key", description = "the PEM (PKCS#8) private key of --tls-cert")
    Path tlsPrivateKey;

    /**
     * Loads and initialises, on a second core, the library classes the server needs after recovery
     * (Armeria's default client factory, its web client and gRPC builders, protobuf descriptors,
     * GraphQL's schema), so that their second or two of class initialisation overlaps the recovery
     * instead of following it. Builders and a schema are made and dropped; the one thing kept is
     * Armeria's default client factory, which the webhooks' own factory makes anyway.
     */
    private static void warmUpInBackground() {
        Thread warmup = new Thread(() -> {
            long started = System.nanoTime();
            try {
                // Building any client factory (the webhooks' does) first initialises Armeria's default
                // one, whose class initialiser builds it: half a second cold, once per JVM.
                com.linecorp.armeria.client.ClientFactory.ofDefault();
                com.linecorp.armeria.client.WebClient.builder();
                com.linecorp.armeria.server.grpc.GrpcService.builder();
                jango.api.v1.JangoProto.getDescriptor();
                jango.streams.graphql.GraphqlEndpoint.warmUp();
            } catch (LinkageError | RuntimeException e) {
                log.debug("event=warmup_incomplete error={}", e.toString()); // only a start-up speed-up is lost
            }
            log.debug("event=warmup_done millis={}", (System.nanoTime() - started) / 1_000_000);
        }, "jango-warmup");
        warmup.setDaemon(true);
        warmup.start();
    }

    @Override
    public Integer call() throws Exception {
        if (idFilterMib < 1 || idFilterMib > 1024 || Integer.bitCount(idFilterMib) != 1) {
            System.err.println("jango: --id-filter-mib: " + idFilterMib + " (expected: a power of two from 1 to 1024)");
            return 2;
        }
        warmUpInBackground();
        EdgeOptions edge;
        try {
            edge = edge();
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println("jango: " + e.getMessage());
            return 2;
        }
        JangoMetrics metrics = new JangoMetrics();
        Streams.Opening streamsAhead = null;
        Ledger ledger;
        String where;
        switch (mode) {
            case "embedded" -> {
                // Opened on the second core while the ledger recovers (Streams.Opening says why).
                streamsAhead = Streams.openAhead(embeddedStreamsConfig());
                try {
                    ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(dataDir.toAbsolutePath())
                            .withIdFilterBytes(idFilterMib << 20), metrics);
                } catch (java.io.IOException e) {
                    // Corruption, a lock held by another process, a full or read-only disk: say which, plainly.
                    log.error("event=start_failed data_dir={}", dataDir.toAbsolutePath(), e);
                    System.err.println("jango: cannot open the data directory " + dataDir.toAbsolutePath() + ": " + e.getMessage());
                    streamsAhead.close();
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
        BankGateway gateway = null;
        if (banks != null) {
            try {
                gateway = BankGateway.open(GatewayConfig.load(banks), ledger, dataDir.toAbsolutePath().resolve("bank"), metrics.registry());
            } catch (java.io.IOException | RuntimeException e) {
                log.error("event=start_failed part=bank_gateway", e);
                System.err.println("jango: cannot start the bank gateway (--banks " + banks + "): " + e.getMessage());
                ledger.close();
                if (streamsAhead != null) {
                    streamsAhead.close();
                }
                return 1;
            }
            where += " banks=" + gateway.bankCodes();
        }
        BankGateway bankGateway = gateway;
        List<GraphqlContribution> views = bankGateway == null ? List.of() : List.of(new WithdrawalGraphql(bankGateway));
        Streams streams = openStreams(ledger, metrics, views, streamsAhead);
        List<java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder>> extensions = new java.util.ArrayList<>();
        if (bankGateway != null) {
            extensions.add(BankRoutes.of(bankGateway));
        }
        if (streams != null) {
            extensions.add(streams.routes());
        }
        JangoServer server;
        try {
            server = new JangoServer(ledger, metrics, host, port, extensions, edge).start();
        } catch (RuntimeException e) {
            if (bankGateway != null) {
                bankGateway.close();
            }
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
            haltIfNotStoppedWithin(STOP_LIMIT_SECONDS);
            server.close();
            if (bankGateway != null) {
                bankGateway.close();
            }
            ledger.close();
            // After the ledger: it has published every change, so the feed records a clean stop.
            if (streams != null) {
                streams.close();
            }
            stopped.countDown();
        }, "jango-shutdown"));
        // A line scripts and tests can wait for.
        System.out.println("jango: listening on " + (edge.tls() ? "https" : "http") + "://" + host + ":" + server.port() + " " + where
                + (edge.keys().enforced() ? " keys=" + edge.keys().file() : " keys=none"));
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Secure by default: on an address other than loopback, serving needs API keys (or --insecure).
     * The keys file is read again whenever it changes, so keys created or revoked later count.
     */
    private EdgeOptions edge() throws java.net.UnknownHostException {
        ApiKeys keys = new ApiKeys(keysFile != null ? keysFile : dataDir.resolve("keys"));
        boolean loopback = java.net.InetAddress.getByName(host).isLoopbackAddress();
        if (!loopback && !keys.hasActiveKey() && !insecure) {
            throw new IllegalStateException("refusing to serve on " + host + " with no API keys (" + keys.file() + "): anyone who reaches"
                    + " the port could move money. Create one with 'jango keys create --scopes commands:write,read', or pass --insecure");
        }
        log.info("event=edge auth={} keys_file={} tls={}", keys.enforced() ? "keys" : "open", keys.file(), tlsCertificate != null);
        return new EdgeOptions(keys, tlsCertificate, tlsPrivateKey);
    }

    /**
     * The channel side (live streams, long-polls, webhooks, the admin feed, GraphQL). Embedded mode:
     * fed in process, its feed log under {@code <data-dir>/streams}. Distributed mode: fed from the
     * change-events topic; this instance's webhook subscriptions and deliveries live under
     * {@code <data-dir>/streams-<instance-id>}.
     */
    private StreamsConfig embeddedStreamsConfig() {
        return StreamsConfig.defaults(dataDir.toAbsolutePath().resolve("streams"));
    }

    /** @param ahead embedded mode: the store opened while the ledger recovered (taken, or closed here) */
    private Streams openStreams(Ledger ledger, JangoMetrics metrics, List<GraphqlContribution> views, Streams.Opening ahead)
            throws java.io.IOException {
        if (ledger instanceof DistributedLedger distributedLedger) {
            TopicChangeFeed feed = TopicChangeFeed.open(distributed.kafka(), distributed.distributedConfig().changesTopic(), true,
                    ledger::userOwners);
            try {
                return Streams.openOver(feed, ledger, metrics.registry(),
                        StreamsConfig.defaults(dataDir.toAbsolutePath().resolve("streams-" + distributedLedger.instanceId())), views);
            } catch (java.io.IOException | RuntimeException e) {
                feed.close();
                throw e;
            }
        }
        try {
            return Streams.open(ledger, metrics.registry(), embeddedStreamsConfig(), views, ahead);
        } catch (UnsupportedOperationException e) {
            log.warn("event=streams_off mode={} reason=\"{}\"", mode, e.getMessage());
            return null;
        } finally {
            ahead.close(); // when Streams.open took it: nothing to do
        }
    }
}
