package jango.bench.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import jango.bench.postgres.PostgresBaseline.Config;
import jango.bench.postgres.PostgresBaseline.Result;
import jango.bench.postgres.PostgresLedger.LockOrder;
import jango.bench.postgres.PostgresLedger.Options;
import jango.engine.Command;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Concurrent runs against a real embedded PostgreSQL: hot accounts, deadlocks, batches, pgbench. */
class PostgresBaselineTest {
    private static final int HOT_ACCOUNTS = 4;
    private static final int CLIENTS = 4;

    private static PostgresServer server;

    @BeforeAll
    static void startServer() {
        // Deadlocks are detected after deadlock_timeout (1 s by default); the deadlock test provokes many.
        server = PostgresServer.startEmbedded(Map.of("deadlock_timeout", "10ms"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Four clients transfer back and forth between four accounts, locking rows in the order the
     * command names them: transactions deadlock, PostgreSQL aborts one, and it is retried. Nothing
     * is lost or applied twice: every command has one result, conservation holds, and the final
     * balances equal the engine's after the same commands in sequence (they all apply, and sums
     * commute, so the order does not matter).
     */
    @Test
    void rowLocksInNamedOrderDeadlockAndRetryWithoutLoss() throws Exception {
        PostgresLedger ledger = new PostgresLedger(server.dataSource(), Options.defaults().withLockOrder(LockOrder.AS_NAMED)
                .withMaxRetries(100));
        List<List<Command>> streams = TransferWorkload.transfers(CLIENTS, 200, HOT_ACCOUNTS, 5);

        Result result = PostgresBaseline.run(ledger, TransferWorkload.setup(HOT_ACCOUNTS), streams, Config.rowLock(null));

        assertThat(result.problems()).isEmpty();
        assertThat(result.checksPassed()).isTrue();
        assertThat(result.commands()).isEqualTo(CLIENTS * 200L);
        assertThat(result.applied()).isEqualTo(CLIENTS * 200L);
        assertThat(result.balanceChanges()).isEqualTo(2 * CLIENTS * 200L);
        assertThat(result.counters().deadlocks()).as("deadlocks seen").isPositive();
        var counters = result.counters();
        assertThat(counters.retries()).as("every failed attempt was retried")
                .isEqualTo(counters.deadlocks() + counters.serializationFailures() + counters.uniqueConflicts());
        assertThat(ledger.balances()).isEqualTo(sequentially(TransferWorkload.setup(HOT_ACCOUNTS), streams).balances());
        System.out.println(result.summary());
    }

    @Test
    void rowLocksInSortedOrderNeverDeadlock() throws Exception {
        PostgresLedger ledger = new PostgresLedger(server.dataSource());
        List<List<Command>> streams = TransferWorkload.transfers(CLIENTS, 200, HOT_ACCOUNTS, 6);

        Result result = PostgresBaseline.run(ledger, TransferWorkload.setup(HOT_ACCOUNTS), streams, Config.rowLock(null));

        assertThat(result.checksPassed()).as(result.summary()).isTrue();
        assertThat(result.applied()).isEqualTo(CLIENTS * 200L);
        assertThat(result.counters().deadlocks()).isZero();
        assertThat(result.latencyMicros().getTotalCount()).isEqualTo(CLIENTS * 200L);
        assertThat(ledger.balances()).isEqualTo(sequentially(TransferWorkload.setup(HOT_ACCOUNTS), streams).balances());
    }

    /** Concurrent batches on hot accounts end where applying every command in sequence ends. */
    @Test
    void batchedRunEqualsSequentialApplication() throws Exception {
        PostgresLedger ledger = new PostgresLedger(server.dataSource());
        List<List<Command>> streams = TransferWorkload.transfers(CLIENTS, 1_000, 20, 7);

        Result result = PostgresBaseline.run(ledger, TransferWorkload.setup(20), streams, Config.batched(null, 50));

        assertThat(result.checksPassed()).as(result.summary()).isTrue();
        assertThat(result.applied()).isEqualTo(CLIENTS * 1_000L);
        assertThat(result.latencyMicros().getTotalCount()).as("one latency per batch").isEqualTo(CLIENTS * 1_000L / 50);
        assertThat(ledger.balances()).isEqualTo(sequentially(TransferWorkload.setup(20), streams).balances());
    }

    @Test
    void durationBoundsTheRun() throws Exception {
        PostgresLedger ledger = new PostgresLedger(server.dataSource());

        Result result = PostgresBaseline.run(ledger, TransferWorkload.setup(100), TransferWorkload.transfers(2, 10_000_000, 100, 8),
                Config.batched(java.time.Duration.ofMillis(500), 100));

        assertThat(result.checksPassed()).as(result.summary()).isTrue();
        assertThat(result.commands()).isPositive().isLessThan(2 * 10_000_000L);
        assertThat(result.elapsed()).isLessThan(java.time.Duration.ofSeconds(30));
    }

    /** The baseline runs the PostgreSQL the tests and users run (the root pom's postgres.binaries.version). */
    @Test
    void theEmbeddedServerIsPostgreSql15OrNewer() throws SQLException {
        String version = server.settings().get("server_version");
        assertThat(Integer.parseInt(version.replaceAll("^(\\d+).*", "$1"))).as(version).isGreaterThanOrEqualTo(15);
    }

    @Test
    void pgbenchRunsWhenInstalled() throws IOException, InterruptedException {
        Optional<Pgbench.Result> result = Pgbench.run(server, 1, 2, 1, 2);

        assertThat(result.isPresent()).isEqualTo(PostgresServer.findPgbench().isPresent());
        result.ifPresent(r -> {
            assertThat(r.tps()).isPositive();
            assertThat(r.transactions()).isPositive();
            System.out.println(r.summary());
        });
    }

    @Test
    void parsesPgbenchTps() {
        String pg15 = """
                latency average = 3.318 ms
                initial connection time = 6.091 ms
                tps = 1205.517720 (without initial connection time)
                """;
        String pg13 = """
                tps = 998.100000 (including connections establishing)
                tps = 1001.250000 (excluding connections establishing)
                """;
        assertThat(Pgbench.parseTps(pg15)).isEqualTo(1205.517720);
        assertThat(Pgbench.parseTps(pg13)).isEqualTo(1001.25);
    }

    @Test
    void workloadIsDeterministicAndNeverTransfersToItself() {
        List<List<Command>> a = TransferWorkload.transfers(2, 1_000, 3, 9);
        List<List<Command>> b = TransferWorkload.transfers(2, 1_000, 3, 9);

        assertThat(a).isEqualTo(b);
        assertThat(a.get(0)).isNotEqualTo(a.get(1));
        for (Command command : a.get(0)) {
            var leg = ((Command.Transfer) command).legs().getFirst();
            assertThat(leg.from()).isNotEqualTo(leg.to());
        }
    }

    private static EngineRun sequentially(List<Command> setup, List<List<Command>> streams) throws SQLException {
        List<Command> all = new ArrayList<>(setup);
        streams.forEach(all::addAll);
        return EngineRun.of(all);
    }
}
