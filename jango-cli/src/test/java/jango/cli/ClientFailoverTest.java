package jango.cli;

import jango.client.JangoClient;
import jango.engine.port.ShardStore;
import jango.kafka.TestKafka;
import jango.postgres.PgShardStore;
import jango.postgres.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Failover between two distributed instances (real Kafka, real PostgreSQL, two {@code jango serve
 * --mode distributed} JVMs): the client sends to instance a, a is killed with -9 under load, and
 * every call ends on b with its one stored result once b has taken a's shards.
 */
class ClientFailoverTest {
    private static final int SHARDS = 2;
    private static final int THREADS = 16;
    private static final int PER_THREAD = 30;

    @Test
    void callsFailOverToTheOtherInstanceAndEachEndsWithOneResult(@TempDir Path dir) throws Exception {
        List<Child> children = new ArrayList<>();
        try (TestKafka kafka = TestKafka.start(dir.resolve("kafka")); TestPostgres postgres = TestPostgres.start(dir.resolve("pg"))) {
            String[] connection = {"--kafka", kafka.bootstrap(), "--postgres", postgres.jdbcUrl(), "--pg-user", postgres.config().user(),
                    "--pg-password", postgres.config().password()};
            List<String> init = new ArrayList<>(List.of("init", "--partitions", Integer.toString(SHARDS)));
            init.addAll(List.of(connection));
            Child.Result initialized = Child.run(dir.resolve("init.log"), init.toArray(String[]::new));
            assertThat(initialized.exitCode()).as(initialized.output()).isZero();
            Child a = serve(dir, "a", connection);
            children.add(a);
            Child b = serve(dir, "b", connection);
            children.add(b);
            try (ShardStore store = PgShardStore.open(postgres.jdbcUrl(), postgres.config().user(), postgres.config().password())) {
                TestWait.until("both instances own a shard", 60_000, () -> owners(store).equals(Set.of("a", "b")));
                try (JangoClient client = JangoClient.builder().endpoints(address(a), address(b)).callDeadline(Duration.ofSeconds(120))
                        .backoff(Duration.ofMillis(20), Duration.ofMillis(500)).build()) {
                    client.putAsset("KRW", 0);
                    DepositCalls calls = new DepositCalls(client, "fo", THREADS, PER_THREAD);
                    calls.awaitAThird();
                    a.kill9();
                    calls.finishAndCheck();
                    assertThat(client.stats().failovers()).as("the client moved to b").isPositive();
                }
            }
        } finally {
            for (Child child : children) {
                child.kill9();
            }
        }
    }

    private static Child serve(Path dir, String name, String[] connection) throws Exception {
        // Its own data directory (webhook store): the default ./data is shared with every other test JVM.
        List<String> args = new ArrayList<>(List.of("serve", "--mode", "distributed", "--port", "0", "--instance-id", name,
                "--session-timeout-ms", "6000", "--data-dir", dir.resolve("data-" + name).toString()));
        args.addAll(List.of(connection));
        return Child.start(dir.resolve(name + ".log"), args.toArray(String[]::new));
    }

    private static String address(Child child) {
        return child.url().replaceFirst("^http://", "");
    }

    private static Set<String> owners(ShardStore store) {
        Set<String> owners = new HashSet<>();
        for (ShardStore.ShardRow row : store.shardRows()) {
            if (row.owner() != null) {
                owners.add(row.owner());
            }
        }
        return owners;
    }
}
