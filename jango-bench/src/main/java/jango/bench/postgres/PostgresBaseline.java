package jango.bench.postgres;

import jango.bench.postgres.PostgresLedger.Counters;
import jango.bench.postgres.PostgresLedger.LedgerResult;
import jango.bench.postgres.PostgresLedger.Mode;
import jango.engine.Command;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.SequencedSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs a workload against a {@link PostgresLedger} the way the classic design would serve it: N
 * clients, each with its own connection and its own stream of commands applied in order. Setup
 * (asset registrations and funding) is applied first and not timed. At the end the invariants are
 * checked in SQL and every command that ran must have a stored result.
 */
public final class PostgresBaseline {
    /** Setup is applied in chunks of this many commands (one transaction each). */
    private static final int SETUP_CHUNK = 1_000;

    /**
     * How to run. {@code duration} bounds the timed part (clients stop starting new commands or
     * batches once it has passed; null runs until every stream is done); {@code batchSize} is the
     * commands per transaction in {@link Mode#BATCHED}; {@code maxWait} bounds the whole run.
     */
    public record Config(Mode mode, Duration duration, int batchSize, Duration maxWait) {
        public Config {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(maxWait, "maxWait");
            if (batchSize < 1 || batchSize > 100_000) {
                throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: 1..100000)");
            }
            if (duration != null && (duration.isNegative() || duration.isZero())) {
                throw new IllegalArgumentException("duration: " + duration + " (expected: positive, or null for no limit)");
            }
        }

        public static Config rowLock(Duration duration) {
            return new Config(Mode.ROW_LOCK, duration, 1, Duration.ofMinutes(30));
        }

        public static Config batched(Duration duration, int batchSize) {
            return new Config(Mode.BATCHED, duration, batchSize, Duration.ofMinutes(30));
        }
    }

    /**
     * What a run measured. {@code commands} counts the commands the clients applied in the timed
     * part (applied + rejected + replayed); {@code balanceChanges} counts, per APPLIED command, the
     * balances it changed; {@code latencyMicros} is per command in ROW_LOCK and per batch in
     * BATCHED. The checks: conservation and the other invariants ({@code problems} empty), every
     * command that ran (setup included) has a stored result, and history has one row per balance change.
     */
    public record Result(Mode mode, int clients, int batchSize, long commands, long applied, long rejected, long replayed,
                         long balanceChanges, Duration elapsed, Histogram latencyMicros, Counters counters,
                         boolean invariantsHold, boolean allResultsStored, boolean historyComplete, List<String> problems) {
        public double commandsPerSecond() {
            return commands / seconds();
        }

        public double balanceChangesPerSecond() {
            return balanceChanges / seconds();
        }

        public boolean checksPassed() {
            return invariantsHold && allResultsStored && historyComplete && problems.isEmpty();
        }

        private double seconds() {
            return Math.max(elapsed.toNanos(), 1) / 1e9;
        }

        public String summary() {
            String per = mode == Mode.ROW_LOCK ? "command" : "batch of " + batchSize;
            return String.format("postgres %s: %d clients, %d commands in %.1f s: %.0f commands/s, %.0f balance changes/s"
                            + " (applied %d, rejected %d, replayed %d)%n"
                            + "postgres %s: latency per %s p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms;"
                            + " deadlocks %d, serialization failures %d, unique conflicts %d, retries %d%n"
                            + "postgres %s: checks %s (invariants %s, all results stored %s, history complete %s)%s",
                    mode, clients, commands, seconds(), commandsPerSecond(), balanceChangesPerSecond(), applied, rejected, replayed,
                    mode, per, millis(50), millis(99), millis(99.9), latencyMicros.getMaxValue() / 1000.0,
                    counters.deadlocks(), counters.serializationFailures(), counters.uniqueConflicts(), counters.retries(),
                    mode, checksPassed() ? "passed" : "FAILED", invariantsHold, allResultsStored, historyComplete,
                    problems.isEmpty() ? "" : "\n  " + String.join("\n  ", problems));
        }

        private double millis(double percentile) {
            return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private PostgresBaseline() {
    }

    /**
     * Resets the ledger's tables, applies {@code setup}, then runs one client per element of
     * {@code perClient}, each applying its stream in order (in batches of {@code config.batchSize()}
     * when BATCHED), and checks the result.
     */
    public static Result run(PostgresLedger ledger, List<Command> setup, List<List<Command>> perClient, Config config)
            throws SQLException, InterruptedException {
        if (perClient.isEmpty() || perClient.size() > 64) {
            throw new IllegalArgumentException("clients: " + perClient.size() + " (expected: 1..64)");
        }
        ledger.resetSchema();
        long setupChanges = applySetup(ledger, setup);

        List<Client> clients = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int i = 0; i < perClient.size(); i++) {
            clients.add(new Client(ledger, perClient.get(i), config, start, "pg-client-" + i));
        }
        Counters before = ledger.counters();
        clients.forEach(client -> client.thread.start());
        long startNanos = System.nanoTime();
        long deadlineNanos = config.duration() == null ? Long.MAX_VALUE : startNanos + config.duration().toNanos();
        clients.forEach(client -> client.deadlineNanos = deadlineNanos);
        start.countDown();
        long waitUntil = startNanos + config.maxWait().toNanos();
        List<String> problems = new ArrayList<>();
        for (Client client : clients) {
            long leftMillis = TimeUnit.NANOSECONDS.toMillis(waitUntil - System.nanoTime());
            client.thread.join(Math.max(leftMillis, 1));
            if (client.thread.isAlive()) {
                problems.add(client.thread.getName() + " still running after " + config.maxWait());
                client.thread.interrupt();
            }
        }
        long elapsedNanos = System.nanoTime() - startNanos;
        Counters counters = ledger.counters().minus(before);

        Histogram latency = new Histogram(3);
        long commands = 0;
        long applied = 0;
        long rejected = 0;
        long replayed = 0;
        long changes = 0;
        SequencedSet<String> ranIds = new LinkedHashSet<>();
        for (Command command : setup) {
            if (command.id() != null) {
                ranIds.add(command.id());
            }
        }
        for (Client client : clients) {
            if (client.failure != null) {
                problems.add(client.thread.getName() + " failed: " + client.failure);
            }
            latency.add(client.latency);
            commands += client.applied + client.rejected + client.replayed;
            applied += client.applied;
            rejected += client.rejected;
            replayed += client.replayed;
            changes += client.balanceChanges;
            for (int i = 0; i < client.done; i++) {
                ranIds.add(client.commands.get(i).id());
            }
        }
        List<String> invariantProblems = ledger.checkInvariants();
        problems.addAll(invariantProblems);
        long missing = ledger.missingResults(ranIds);
        if (missing != 0) {
            problems.add(missing + " of " + ranIds.size() + " commands have no stored result");
        }
        long history = ledger.historyCount();
        boolean historyComplete = history == setupChanges + changes;
        if (!historyComplete) {
            problems.add("history has " + history + " rows, expected " + (setupChanges + changes) + " (one per balance change)");
        }
        return new Result(config.mode(), clients.size(), config.mode() == Mode.BATCHED ? config.batchSize() : 1,
                commands, applied, rejected, replayed, changes, Duration.ofNanos(elapsedNanos), latency, counters,
                invariantProblems.isEmpty(), missing == 0, historyComplete, List.copyOf(problems));
    }

    /** Applies setup in chunks; returns the balance changes it made (for the history check). */
    private static long applySetup(PostgresLedger ledger, List<Command> setup) throws SQLException {
        long changes = 0;
        try (LedgerSession session = ledger.openSession()) {
            for (int from = 0; from < setup.size(); from += SETUP_CHUNK) {
                for (LedgerResult result : session.applyBatch(setup.subList(from, Math.min(setup.size(), from + SETUP_CHUNK)))) {
                    changes += result.balancesChanged();
                }
            }
        }
        return changes;
    }

    /** One client: its own connection, its own stream, its own histogram (merged after the run). */
    private static final class Client implements Runnable {
        final PostgresLedger ledger;
        final List<Command> commands;
        final Config config;
        final CountDownLatch start;
        final Thread thread;
        final Histogram latency = new Histogram(3);
        volatile long deadlineNanos;
        int done;
        long applied;
        long rejected;
        long replayed;
        long balanceChanges;
        Exception failure;

        Client(PostgresLedger ledger, List<Command> commands, Config config, CountDownLatch start, String name) {
            this.ledger = ledger;
            this.commands = commands;
            this.config = config;
            this.start = start;
            this.thread = new Thread(this, name);
        }

        @Override
        public void run() {
            try (LedgerSession session = ledger.openSession()) {
                if (!start.await(config.maxWait().toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("not started within " + config.maxWait());
                }
                int step = config.mode() == Mode.BATCHED ? config.batchSize() : 1;
                while (done < commands.size() && System.nanoTime() < deadlineNanos) {
                    int end = Math.min(commands.size(), done + step);
                    long t0 = System.nanoTime();
                    List<LedgerResult> results = config.mode() == Mode.BATCHED
                            ? session.applyBatch(commands.subList(done, end))
                            : List.of(session.apply(commands.get(done)));
                    latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1_000));
                    for (LedgerResult result : results) {
                        count(result);
                    }
                    done = end;
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        private void count(LedgerResult result) {
            if (result.applied()) {
                applied++;
                balanceChanges += result.balancesChanged();
            } else if (result.rejected()) {
                rejected++;
            } else {
                replayed++;
            }
        }
    }
}
