package jango.cli;

import jango.engine.port.ShardStore;
import jango.kafka.DistributedConfig;
import jango.kafka.DistributedLedger;
import jango.kafka.TestKafka;
import jango.postgres.PgConfig;
import jango.postgres.PgShardStore;
import jango.postgres.TestPostgres;
import jango.server.JangoMetrics;
import jango.server.TestServer;
import jango.streams.Streams;
import jango.streams.StreamsConfig;
import jango.streams.feed.TopicChangeFeed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * One real Kafka broker and one real PostgreSQL for all in-process distributed-mode tests of this
 * JVM (started on first use, stopped at exit). Each test class gets its own database, topics and
 * consumer group, so classes never see each other's state.
 */
final class DistributedInfra {
    private static final LongSupplier WALL_CLOCK_MICROS = () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
    private static TestKafka kafka;
    private static TestPostgres postgres;
    private static final Map<String, PgConfig> databases = new HashMap<>();

    private DistributedInfra() {
    }

    private static synchronized void start() throws IOException {
        if (kafka != null) {
            return;
        }
        Path dir = Files.createTempDirectory("jango-distributed-");
        kafka = TestKafka.start(dir.resolve("kafka"));
        postgres = TestPostgres.start(dir.resolve("pg"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            postgres.close();
            kafka.close();
        }, "distributed-infra-stop"));
    }

    /**
     * A distributed ledger with {@code shards} shards behind a real HTTP server: database, topics
     * and group named after {@code name}, made fresh on the first call and reopened on later ones.
     */
    static synchronized TestServer server(String name, int shards, LongSupplier clockMicros) throws IOException {
        return server(name, shards, clockMicros, store -> store);
    }

    /** As {@link #server(String, int)}, over the store as {@code wrap} gives it (a test's injected failures). */
    static synchronized TestServer server(String name, int shards, UnaryOperator<ShardStore> wrap) throws IOException {
        return server(name, shards, WALL_CLOCK_MICROS, wrap);
    }

    private static TestServer server(String name, int shards, LongSupplier clockMicros, UnaryOperator<ShardStore> wrap)
            throws IOException {
        TestServer server = serverUnloaded(name, shards, clockMicros, wrap);
        DistributedLedger ledger = (DistributedLedger) server.ledger;
        TestServer.await("all " + shards + " shards loaded", 60_000, () -> ledger.ownedShards().size() == shards);
        return server;
    }

    /** As {@link #server}, without waiting for the shards to load (for shards that halt as they load). */
    static synchronized TestServer serverUnloaded(String name, int shards, LongSupplier clockMicros) throws IOException {
        return serverUnloaded(name, shards, clockMicros, store -> store);
    }

    private static TestServer serverUnloaded(String name, int shards, LongSupplier clockMicros, UnaryOperator<ShardStore> wrap)
            throws IOException {
        ShardStore store = wrap.apply(initStore(name, shards));
        DistributedConfig config = config(name);
        return TestServer.open(observer -> DistributedLedger.open(config, store, clockMicros, observer));
    }

    /**
     * {@code instances} distributed ledgers in one consumer group over {@code shards} shards, each
     * behind its own HTTP server, returned as one server whose HTTP helpers ask the instances in
     * turn ({@link TestServer#askingInTurn}); ready once every shard is loaded and every instance
     * owns some. Its {@code ledger} is the first instance's.
     */
    static synchronized TestServer cluster(String name, int shards, int instances, LongSupplier clockMicros) throws IOException {
        List<TestServer> servers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                ShardStore store = i == 0 ? initStore(name, shards) : PgShardStore.open(database(name));
                DistributedConfig config = config(name);
                servers.add(TestServer.open(observer -> DistributedLedger.open(config, store, clockMicros, observer)));
            }
        } catch (IOException | RuntimeException e) {
            servers.forEach(TestServer::close);
            throw e;
        }
        TestServer first = servers.getFirst().askingInTurn(servers.subList(1, servers.size()).toArray(TestServer[]::new));
        TestServer.await("all " + shards + " shards loaded, on every one of " + instances + " instances", 60_000, () -> {
            int owned = 0;
            for (TestServer server : servers) {
                int mine = ((DistributedLedger) server.ledger).ownedShards().size();
                if (mine == 0) {
                    return false;
                }
                owned += mine;
            }
            return owned == shards;
        });
        return first;
    }

    static TestServer cluster(String name, int shards, int instances) throws IOException {
        return cluster(name, shards, instances, WALL_CLOCK_MICROS);
    }

    /**
     * As {@link #server(String, int)}, with the channel side on the same port as {@code jango serve
     * --mode distributed} has it: live streams, long-polls, webhooks and the admin feed over the
     * change-events topic, the webhooks' data under {@code streamsDir}.
     */
    static synchronized TestServer streamsServer(String name, int shards, Path streamsDir) throws IOException {
        ShardStore store = initStore(name, shards);
        DistributedConfig config = config(name);
        JangoMetrics metrics = new JangoMetrics();
        DistributedLedger ledger = DistributedLedger.open(config, store, metrics);
        Streams streams;
        try {
            TopicChangeFeed feed = TopicChangeFeed.open(kafka.bootstrap(), config.changesTopic(), true, ledger::userOwners);
            streams = Streams.openOver(feed, ledger, metrics.registry(), StreamsConfig.defaults(streamsDir), List.of());
        } catch (IOException | RuntimeException e) {
            ledger.close();
            throw e;
        }
        TestServer server = new TestServer(ledger, metrics, List.of(streams.routes())).closing(streams);
        TestServer.await("all " + shards + " shards loaded", 60_000, () -> ledger.ownedShards().size() == shards);
        return server;
    }

    /** Another database on the same PostgreSQL (the channel copy's own). */
    static synchronized PgConfig newDatabase(String name) throws IOException {
        start();
        return postgres.createDatabase(name.toLowerCase().replaceAll("[^a-z0-9_]", "_"));
    }

    private static ShardStore initStore(String name, int shards) throws IOException {
        start();
        PgConfig database = databases.get(name);
        if (database == null) {
            database = postgres.createDatabase(name.toLowerCase().replaceAll("[^a-z0-9_]", "_"));
            databases.put(name, database);
        }
        ShardStore store = PgShardStore.open(database);
        store.init(shards);
        return store;
    }

    private static DistributedConfig config(String name) {
        return DistributedConfig.defaults(kafka.bootstrap())
                .withTopics(name + ".commands", name + ".events", name)
                .withSessionTimeout(Duration.ofSeconds(6));
    }

    /** The database of {@link #server(String, int)}'s {@code name} (tests that reach behind the store). */
    static synchronized PgConfig database(String name) {
        PgConfig database = databases.get(name);
        if (database == null) {
            throw new IllegalStateException("no server named " + name + " was started");
        }
        return database;
    }

    /** Another handle on the store of the server made under {@code name}. */
    static synchronized ShardStore store(String name) {
        return PgShardStore.open(database(name));
    }

    static synchronized String bootstrap() {
        return kafka.bootstrap();
    }

    static TestServer server(String name, int shards) throws IOException {
        return server(name, shards, WALL_CLOCK_MICROS);
    }
}
