package jango.bench;

import jango.bench.postgres.Pgbench;
import jango.bench.postgres.PostgresBaseline;
import jango.bench.postgres.PostgresLedger;
import jango.bench.postgres.PostgresServer;
import jango.engine.Command;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The same exchange-day commands done the classic way, in a PostgreSQL the bench starts itself
 * (embedded binaries from Maven, durability on): one transaction per command with row locks (the
 * 250 TPS design of shared/CONTEXT.md), then the batched redesign; then pgbench TPC-B on the same
 * server when pgbench is installed.
 */
final class Baselines {
    /** Commands generated per client: more than a baseline gets through in its time here. */
    private static final int COMMANDS_PER_CLIENT = 60_000;

    record Result(List<JangoBench.Phase> phases, Double pgbenchTps) {
    }

    private Baselines() {
    }

    static Result run(JangoBench.Options options, int seconds, PrintStream out) throws Exception {
        List<JangoBench.Phase> phases = new ArrayList<>();
        Double pgbenchTps = null;
        out.println("baseline: starting an embedded PostgreSQL (fsync=on, synchronous_commit=on)");
        try (PostgresServer postgres = PostgresServer.startEmbedded()) {
            PostgresLedger ledger = new PostgresLedger(postgres.dataSource());
            ExchangeDay day = new ExchangeDay(options.accounts(), options.assets(), options.zipf(), options.seed());
            List<Command> setup = day.setup();
            List<List<Command>> streams = new ArrayList<>();
            for (int c = 0; c < options.concurrency(); c++) {
                streams.add(day.client(c, "pg").next(COMMANDS_PER_CLIENT));
            }
            Duration duration = Duration.ofSeconds(seconds);
            phases.add(phase("postgres row-lock, 1 transaction per command", streams.size(), 1,
                    PostgresBaseline.Config.rowLock(duration), ledger, setup, streams, out));
            phases.add(phase("postgres batched, " + options.batchSize() + " commands per transaction", streams.size(),
                    options.batchSize(), PostgresBaseline.Config.batched(duration, options.batchSize()), ledger, setup, streams, out));
            Optional<Pgbench.Result> pgbench = Pgbench.run(postgres, seconds);
            if (pgbench.isPresent()) {
                pgbenchTps = pgbench.get().tps();
                out.printf("baseline: pgbench TPC-B (scale 10, 4 clients, %d s) on the same server: %,.0f TPS%n", seconds, pgbenchTps);
            } else {
                out.println("baseline: pgbench: not available (Debian: apt-get install postgresql-15)");
            }
        }
        return new Result(phases, pgbenchTps);
    }

    private static JangoBench.Phase phase(String name, int clients, int batchSize, PostgresBaseline.Config config,
                                          PostgresLedger ledger, List<Command> setup, List<List<Command>> streams,
                                          PrintStream out) throws Exception {
        CpuMeter cpu = new CpuMeter();
        PostgresBaseline.Result result = PostgresBaseline.run(ledger, setup, streams, config);
        CpuMeter.Usage usage = cpu.stop();
        out.println(result.summary());
        if (!result.checksPassed()) {
            throw new IllegalStateException("the PostgreSQL baseline failed its own checks: " + result.problems());
        }
        double seconds = result.elapsed().toNanos() / 1e9;
        return new JangoBench.Phase(name, clients, batchSize, result.commands(), result.applied(), result.balanceChanges(),
                seconds, result.commandsPerSecond(), result.balanceChangesPerSecond(), result.balanceChangesPerSecond() / 2,
                JangoBench.Latency.of(config.mode() == PostgresLedger.Mode.ROW_LOCK ? "command" : "batch", result.latencyMicros()),
                usage.machineBusy(), usage.processCores(), -1, -1);
    }
}
