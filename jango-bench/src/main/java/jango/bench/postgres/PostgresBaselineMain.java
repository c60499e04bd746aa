package jango.bench.postgres;

import jango.bench.postgres.PostgresBaseline.Config;
import jango.bench.postgres.PostgresBaseline.Result;
import jango.engine.Command;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Prints the PostgreSQL baseline's figures: ROW_LOCK and BATCHED commands/s for two-account
 * transfers, then pgbench's TPS on the same server when pgbench is installed.
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl jango-bench dependency:build-classpath -Dmdep.outputFile=/tmp/bench.cp
 * java -cp jango-bench/target/classes:$(cat /tmp/bench.cp) jango.bench.postgres.PostgresBaselineMain \
 *      [--accounts 1000] [--clients 4] [--seconds 10] [--batch 1000] [--pgbench-seconds 10] \
 *      [--jdbc-url jdbc:postgresql://host:port/db?user=u]
 * </pre>
 *
 * Each mode starts from empty tables (setup is not timed). The figures move with other load on the
 * machine, so the load average is printed with them.
 */
public final class PostgresBaselineMain {
    private PostgresBaselineMain() {
    }

    public static void main(String[] args) throws Exception {
        int accounts = 1_000;
        int clients = 4;
        int seconds = 10;
        int batch = 1_000;
        int pgbenchSeconds = 10;
        String jdbcUrl = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException(args[i] + ": needs a value");
            }
            switch (args[i]) {
                case "--accounts" -> accounts = Integer.parseInt(value);
                case "--clients" -> clients = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--pgbench-seconds" -> pgbenchSeconds = Integer.parseInt(value);
                case "--jdbc-url" -> jdbcUrl = value;
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        boolean passed;
        try (PostgresServer server = jdbcUrl == null ? PostgresServer.startEmbedded() : PostgresServer.connect(jdbcUrl)) {
            System.out.println("postgres: " + server + " " + settingsLine(server.settings()));
            PostgresLedger ledger = new PostgresLedger(server.dataSource());
            List<Command> setup = TransferWorkload.setup(accounts);
            // Streams far longer than any run: the duration ends the run, not the stream.
            List<List<Command>> transfers = TransferWorkload.transfers(clients, 50_000_000, accounts, 42);
            System.out.printf("workload: %d accounts, %d clients, two-account transfers, %d s per mode; machine: %d cores, load %s%n",
                    accounts, clients, seconds, Runtime.getRuntime().availableProcessors(), loadAverage());

            Result rowLock = PostgresBaseline.run(ledger, setup, transfers, Config.rowLock(Duration.ofSeconds(seconds)));
            System.out.println(rowLock.summary());
            Result batched = PostgresBaseline.run(ledger, setup, transfers, Config.batched(Duration.ofSeconds(seconds), batch));
            System.out.println(batched.summary());

            Optional<Pgbench.Result> pgbench = Pgbench.run(server, pgbenchSeconds);
            System.out.println(pgbench.map(Pgbench.Result::summary).orElse("pgbench: not available"));
            System.out.println("machine load after the runs: " + loadAverage());
            passed = rowLock.checksPassed() && batched.checksPassed();
        }
        if (!passed) {
            System.exit(1);
        }
    }

    /** The 1/5/15-minute load averages: other work on a shared machine moves every figure. */
    private static String loadAverage() {
        try {
            String[] fields = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException | RuntimeException e) {
            return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static String settingsLine(Map<String, String> settings) {
        StringBuilder line = new StringBuilder();
        settings.forEach((name, value) -> line.append(line.isEmpty() ? "" : " ").append(name).append('=').append(value));
        return line.toString();
    }
}
