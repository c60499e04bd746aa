package jango.cli;

import jango.engine.port.ShardStore;
import jango.kafka.DistributedConfig;
import jango.kafka.DistributedLedger;
import jango.kafka.TestKafka;
import jango.postgres.PgConfig;
import jango.postgres.PgShardStore;
import jango.postgres.TestPostgres;
import jango.server.TestServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One real Kafka broker and one real PostgreSQL for all in-process distributed-mode tests of this
 * JVM (started on first use, stopped at exit). Each test class gets its own database, topics and
 * consumer group, so classes never see each other's state.
 */
final class DistributedInfra {
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
        start();
        PgConfig database = databases.get(name);
        if (database == null) {
            database = postgres.createDatabase(name.toLowerCase().replaceAll("[^a-z0-9_]", "_"));
            databases.put(name, database);
        }
        ShardStore store = PgShardStore.open(database);
        store.init(shards);
        DistributedConfig config = DistributedConfig.defaults(kafka.bootstrap())
                .withTopics(name + ".commands", name + ".events", name)
                .withSessionTimeout(Duration.ofSeconds(6));
        TestServer server = TestServer.open(observer -> DistributedLedger.open(config, store, clockMicros, observer));
        DistributedLedger ledger = (DistributedLedger) server.ledger;
        TestServer.await("all " + shards + " shards loaded", 60_000, () -> ledger.ownedShards().size() == shards);
        return server;
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
        return server(name, shards, () -> java.util.concurrent.TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
    }
}
