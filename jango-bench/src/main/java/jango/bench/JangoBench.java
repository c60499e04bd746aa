package jango.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.Command;
import jango.server.JangoMetrics;
import jango.server.JangoServer;
import jango.streams.Streams;
import jango.streams.StreamsConfig;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * {@code jango bench}: an exchange's day ({@link ExchangeDay}) through the real HTTP API on
 * loopback, journal fsynced as in production; then the checks that keep a fast wrong run from
 * passing (every acknowledged result stored as answered, invariants over the final state).
 */
public final class JangoBench {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param protocol    "http" (JSON batches) or "grpc" (the Java client, which batches by itself)
     * @param callers     threads that each send single commands in a phase of their own (0: no such phase)
     * @param subscribers live SSE subscribers (one per account, the busiest first) during a second batch phase; 0 for none
     * @param streams     run the channel side (feed log, webhooks, streams) in the embedded Jango, as jango serve does
     */
    public record Options(String url, int durationSeconds, int singlesSeconds, int accounts, int assets, double zipf,
                          int concurrency, int batchSize, long seed, String protocol, int callers, int subscribers, boolean streams,
                          int shards, double crossShard) {
        public Options(String url, int durationSeconds, int singlesSeconds, int accounts, int assets, double zipf,
                       int concurrency, int batchSize, long seed) {
            this(url, durationSeconds, singlesSeconds, accounts, assets, zipf, concurrency, batchSize, seed, "http", 0, 0, true, 1, -1);
        }

        public Options {
            check(protocol.equals("http") || protocol.equals("grpc"), "--protocol", protocol, "http or grpc");
            check(callers >= 0 && callers <= 1024, "--callers", callers, "0..1024");
            check(subscribers >= 0 && subscribers <= Math.max(accounts, 0) && subscribers <= 10_000, "--subscribers", subscribers,
                    "0..min(--accounts, 10000)");
            check(durationSeconds >= 1, "--duration", durationSeconds, ">= 1");
            check(singlesSeconds >= 0, "--singles-duration", singlesSeconds, ">= 0");
            check(accounts >= 2, "--accounts", accounts, ">= 2");
            check(concurrency >= 1 && concurrency <= 256, "--concurrency", concurrency, "1..256");
            check(batchSize >= 1 && batchSize <= JangoServer.MAX_BATCH_COMMANDS, "--batch", batchSize, "1..10000");
            check(zipf >= 0 && zipf <= 3, "--zipf", zipf, "0..3");
            check(shards >= 1 && shards <= 1024, "--shards", shards, "1..1024");
            check(crossShard == -1 || (crossShard >= 0 && crossShard <= 1 && shards > 1), "--cross-shard", crossShard,
                    "0..1 of the trades, with --shards 2 or more (the ledger's shard count)");
        }

        private static void check(boolean ok, String name, Object value, String expected) {
            if (!ok) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
            }
        }
    }

    public record Latency(String per, long count, double p50Ms, double p99Ms, double p999Ms, double maxMs) {
        static Latency of(String per, Histogram histogram) {
            return new Latency(per, histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1000.0,
                    histogram.getValueAtPercentile(99) / 1000.0, histogram.getValueAtPercentile(99.9) / 1000.0,
                    histogram.getMaxValue() / 1000.0);
        }
    }

    /** One measured phase. Transfers/s is balance changes / 2, the unit two-account ledgers report. */
    /**
     * One measured phase. Transfers/s is balance changes / 2, the unit two-account ledgers report.
     * {@code journalRecords} and {@code entriesPerRecord} are the server's group commit: fsyncs in
     * the phase and log entries per fsync (-1 when the server's /metrics could not be read).
     */
    public record Phase(String name, int concurrency, int batchSize, long commands, long applied, long balanceChanges,
                        double seconds, double commandsPerSecond, double balanceChangesPerSecond,
                        double transferEquivalentsPerSecond, Latency latency, double machineCpuBusy, double processCores,
                        long journalRecords, double entriesPerRecord) {
        String summary() {
            return String.format("%s: %,d commands (%,d applied) in %.1f s = %,.0f commands/s, %,.0f balance changes/s (%,.0f two-account transfers/s); "
                            + "latency per %s p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms; cpu machine %.0f%%, bench process %.2f cores%s",
                    name, commands, applied, seconds, commandsPerSecond, balanceChangesPerSecond, transferEquivalentsPerSecond,
                    latency.per(), latency.p50Ms(), latency.p99Ms(), latency.p999Ms(), latency.maxMs(),
                    machineCpuBusy * 100, processCores, journalRecords < 0 ? ""
                            : String.format("; journal %,d fsyncs, %.1f entries per fsync", journalRecords, entriesPerRecord));
        }
    }

    public record Checks(long acknowledged, long verified, long missingOrDifferent, String invariants, long seq, String stateHash) {
        public boolean passed() {
            return missingOrDifferent == 0 && "ok".equals(invariants) && verified == acknowledged;
        }
    }

    private final Options options;
    private final PrintStream out;
    private final String runId = Long.toString(System.currentTimeMillis(), 36);

    public JangoBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs Jango's phases against {@code options.url()}, or an embedded Jango it starts in a temp dir. */
    public JangoResult run() throws Exception {
        return withJango((drivers, day) -> {
            List<Driver.Answer> acknowledged = new ArrayList<>();
            List<Phase> phases = new ArrayList<>();
            if (options.singlesSeconds() > 0) {
                phases.add(singles(drivers, day, acknowledged));
                out.println(phases.get(phases.size() - 1).summary());
            }
            if (options.callers() > 0 && options.singlesSeconds() > 0) {
                phases.add(callers(drivers, day, options.callers(), options.singlesSeconds(), acknowledged));
                out.println(phases.get(phases.size() - 1).summary());
            }
            phases.add(batches(drivers, day, options.concurrency(), options.batchSize(), options.durationSeconds(), acknowledged, "batch"));
            out.println(phases.get(phases.size() - 1).summary());
            SubscriberResult subscribed = null;
            if (options.subscribers() > 0) {
                subscribed = withSubscribers(drivers, day, phases.get(phases.size() - 1), acknowledged);
                phases.add(subscribed.phase());
            }
            return new JangoResult(phases, verify(drivers.http(), acknowledged), subscribed);
        });
    }

    /** Short batch phases over every batch size and concurrency, on one Jango. */
    public List<Phase> sweep(int[] batchSizes, int[] concurrencies, int seconds) throws Exception {
        return withJango((drivers, day) -> {
            List<Phase> phases = new ArrayList<>();
            for (int concurrency : concurrencies) {
                for (int batchSize : batchSizes) {
                    Phase phase = batches(drivers, day, concurrency, batchSize, seconds, new ArrayList<>(), "sweep");
                    out.println(phase.summary());
                    phases.add(phase);
                }
            }
            return phases;
        });
    }

    /** HTTP for set-up, metrics and checks; {@code commands} for the measured commands. */
    record Drivers(HttpDriver http, Driver commands) {
    }

    private interface Work<T> {
        T run(Drivers drivers, ExchangeDay day) throws Exception;
    }

    private <T> T withJango(Work<T> work) throws Exception {
        Path tempDir = null;
        EmbeddedLedger ledger = null;
        Streams streams = null;
        JangoServer server = null;
        String url = options.url();
        if (url == null) {
            tempDir = Files.createTempDirectory("jango-bench");
            JangoMetrics metrics = new JangoMetrics();
            ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(tempDir), metrics);
            metrics.bind(ledger);
            streams = options.streams() ? Streams.open(ledger, metrics.registry(), StreamsConfig.defaults(tempDir.resolve("streams"))) : null;
            server = new JangoServer(ledger, metrics, "127.0.0.1", 0, streams == null ? List.of() : List.of(streams.routes())).start();
            url = "http://127.0.0.1:" + server.port();
            out.println("bench: embedded Jango at " + url + " (data in " + tempDir + ", journal fsynced per batch"
                    + (streams == null ? ", channel side off)" : ", channel side on: feed log, webhooks, streams)"));
        }
        HttpDriver http = new HttpDriver(url);
        try (Driver driver = options.protocol().equals("grpc")
                ? new GrpcDriver(url.replaceFirst("^https?://", ""), options.batchSize(), Math.max(4, options.concurrency()))
                : http) {
            ExchangeDay day = new ExchangeDay(options.accounts(), options.assets(), options.zipf(), options.seed(),
                    options.shards(), options.crossShard());
            if (options.crossShard() >= 0) {
                out.printf("bench: %.0f%% of the trades between a buyer and a seller on different shards (of %d)%n",
                        options.crossShard() * 100, options.shards());
            }
            setUp(http, day);
            out.println("bench: commands go over " + (driver == http ? "HTTP/JSON" : "gRPC through the Java client (jango-client)"));
            return work.run(new Drivers(http, driver), day);
        } finally {
            if (server != null) {
                server.close();
                ledger.close();
                if (streams != null) {
                    streams.close();
                }
                deleteTree(tempDir);
            }
        }
    }

    public record JangoResult(List<Phase> phases, Checks checks, SubscriberResult subscribers) {
    }

    /**
     * The batch phase again with {@code count} live SSE subscribers: what they received, the delay
     * from each change's log time (stamped before its fsync) to its arrival, and the throughput
     * beside the phase without them.
     */
    public record SubscriberResult(int count, long events, double eventsPerSecond, Latency delay, long closedByServer,
                                   double throughputWithout, double throughputWith, Phase phase) {
        String summary() {
            return String.format("subscribers: %,d SSE streams received %,d events = %,.0f events/s; delay from log time to arrival "
                            + "p50=%.1fms p99=%.1fms max=%.1fms; closed by the server: %d; throughput %,.0f -> %,.0f commands/s (%+.1f%%)",
                    count, events, eventsPerSecond, delay.p50Ms(), delay.p99Ms(), delay.maxMs(), closedByServer,
                    throughputWithout, throughputWith, (throughputWith / throughputWithout - 1) * 100);
        }
    }

    private SubscriberResult withSubscribers(Drivers drivers, ExchangeDay day, Phase without, List<Driver.Answer> acknowledged)
            throws Exception {
        try (Subscribers subscribers = Subscribers.open(drivers.http().url(), options.subscribers(), ExchangeDay::owner)) {
            subscribers.awaitStarted(TimeUnit.SECONDS.toMillis(60));
            int ended = subscribers.endedBeforeStart();
            out.printf("bench: %,d SSE subscribers connected%s%n", options.subscribers() - ended,
                    ended == 0 ? "" : String.format(" (%d more ended before their snapshot: closed by the server as too slow, or failed)", ended));
            subscribers.startCounting();
            Phase with = batches(drivers, day, options.concurrency(), options.batchSize(), options.durationSeconds(), acknowledged,
                    "batch-subscribers");
            out.println(with.summary());
            SubscriberResult result = new SubscriberResult(options.subscribers(), subscribers.events(),
                    subscribers.events() / with.seconds(), Latency.of("event", subscribers.delay()), subscribers.closedByServer(),
                    without.commandsPerSecond(), with.commandsPerSecond(), with);
            out.println(result.summary());
            return result;
        }
    }

    private void setUp(HttpDriver http, ExchangeDay day) throws Exception {
        List<Command> setup = day.setup();
        long started = System.nanoTime();
        List<Command> deposits = new ArrayList<>();
        for (Command command : setup) {
            if (command instanceof Command.RegisterAsset asset) {
                HttpDriver.expectOk(http.send("PUT", "/v1/assets/" + asset.code(), "{\"scale\": " + asset.scale() + "}"));
            } else {
                deposits.add(rename(command));
            }
        }
        // 5,000 deposits stay well inside the 1 MiB body limit.
        for (int from = 0; from < deposits.size(); from += 5_000) {
            http.batch(deposits.subList(from, Math.min(deposits.size(), from + 5_000)));
        }
        out.printf("bench: set up %d accounts x %d assets in %.1f s (Zipf exponent %.2f)%n", options.accounts(), options.assets(),
                (System.nanoTime() - started) / 1e9, options.zipf());
    }

    /** Funding ids carry the run id, so a bench against a long-running server never replays an old run. */
    private Command rename(Command command) {
        Command.Deposit d = (Command.Deposit) command;
        return new Command.Deposit(runId + "-" + d.id(), d.account(), d.asset(), d.amount());
    }

    private Phase singles(Drivers drivers, ExchangeDay day, List<Driver.Answer> acknowledged) throws Exception {
        HttpDriver http = drivers.http();
        ExchangeDay.Client client = day.client(10_000, runId);
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.singlesSeconds());
        long applied = 0;
        long changes = 0;
        long commands = 0;
        double[] journalBefore = batchEntries(http);
        CpuMeter cpu = new CpuMeter();
        long started = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Command command = client.next(1).get(0);
            long t0 = System.nanoTime();
            Driver.Answer answer = drivers.commands().single(command);
            latency.recordValue((System.nanoTime() - t0) / 1_000);
            acknowledged.add(answer);
            commands++;
            if (answer.applied()) {
                applied++;
                changes += answer.balances();
            }
        }
        long elapsed = System.nanoTime() - started;
        CpuMeter.Usage usage = cpu.stop();
        return phase("single", 1, 1, commands, applied, changes, elapsed, Latency.of("command", latency), usage, since(journalBefore, http));
    }

    /** {@code concurrency} clients, each sending batches of {@code batchSize} as fast as answered. */
    Phase batches(Drivers drivers, ExchangeDay day, int concurrency, int batchSize, int seconds,
                  List<Driver.Answer> acknowledged, String name) throws Exception {
        return concurrent(drivers, day, concurrency, batchSize, seconds, acknowledged, name, "batch request");
    }

    /** {@code callers} threads, each sending one command at a time and waiting for it (the client's batching at work over gRPC). */
    Phase callers(Drivers drivers, ExchangeDay day, int callers, int seconds, List<Driver.Answer> acknowledged) throws Exception {
        return concurrent(drivers, day, callers, 1, seconds, acknowledged, "callers", "command");
    }

    private Phase concurrent(Drivers drivers, ExchangeDay day, int concurrency, int batchSize, int seconds,
                             List<Driver.Answer> acknowledged, String name, String latencyPer) throws Exception {
        HttpDriver http = drivers.http();
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(120), 3);
        AtomicLong commands = new AtomicLong();
        AtomicLong applied = new AtomicLong();
        AtomicLong changes = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> clients = new ArrayList<>();
        List<List<Driver.Answer>> answers = new ArrayList<>();
        double[] journalBefore = batchEntries(http);
        CpuMeter cpu = new CpuMeter();
        long started = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            ExchangeDay.Client client = day.client(c, runId + "-" + name + concurrency + "x" + batchSize);
            List<Driver.Answer> mine = new ArrayList<>();
            answers.add(mine);
            clients.add(Thread.ofPlatform().name("bench-client-" + c).start(() -> {
                try {
                    while (System.nanoTime() < deadline && failure.get() == null) {
                        List<Command> batch = client.next(batchSize);
                        long t0 = System.nanoTime();
                        Driver.Answer[] results = batchSize == 1 ? new Driver.Answer[] {drivers.commands().single(batch.get(0))}
                                : drivers.commands().batch(batch);
                        long micros = (System.nanoTime() - t0) / 1_000;
                        synchronized (latency) {
                            latency.recordValue(micros);
                        }
                        long appliedHere = 0;
                        long changesHere = 0;
                        for (Driver.Answer answer : results) {
                            mine.add(answer);
                            if (answer.applied()) {
                                appliedHere++;
                                changesHere += answer.balances();
                            }
                        }
                        commands.addAndGet(results.length);
                        applied.addAndGet(appliedHere);
                        changes.addAndGet(changesHere);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Thread client : clients) {
            while (client.isAlive()) {
                client.join(250);
                if (System.nanoTime() > nextReport) {
                    nextReport += TimeUnit.SECONDS.toNanos(5);
                    System.err.printf("bench: %s %.0f s: %,d commands, %,.0f/s%n", name, (System.nanoTime() - started) / 1e9,
                            commands.get(), commands.get() / ((System.nanoTime() - started) / 1e9));
                }
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("bench client failed: " + failure.get(), failure.get());
        }
        answers.forEach(acknowledged::addAll);
        long elapsed = System.nanoTime() - started;
        CpuMeter.Usage usage = cpu.stop();
        return phase(name, concurrency, batchSize, commands.get(), applied.get(), changes.get(), elapsed,
                Latency.of(latencyPer, latency), usage, since(journalBefore, http));
    }

    private static Phase phase(String name, int concurrency, int batchSize, long commands, long applied, long changes,
                               long nanos, Latency latency, CpuMeter.Usage cpu, JournalBatches journal) {
        double seconds = nanos / 1e9;
        return new Phase(name, concurrency, batchSize, commands, applied, changes, seconds, commands / seconds,
                changes / seconds, changes / 2.0 / seconds, latency, cpu.machineBusy(), cpu.processCores(),
                journal.records(), journal.entriesPerRecord());
    }

    /** The server's journal batches in a phase, from jango_batch_entries in /metrics (count = fsyncs, sum = entries). */
    record JournalBatches(long records, double entriesPerRecord) {
        static final JournalBatches UNKNOWN = new JournalBatches(-1, -1);
    }

    private static double[] batchEntries(HttpDriver http) {
        try {
            String metrics = new String(http.send("GET", "/metrics", null).body(), java.nio.charset.StandardCharsets.UTF_8);
            double count = -1;
            double sum = -1;
            for (String line : metrics.split("\n")) {
                if (line.startsWith("jango_batch_entries_count ")) {
                    count = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
                } else if (line.startsWith("jango_batch_entries_sum ")) {
                    sum = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
                }
            }
            return count < 0 || sum < 0 ? null : new double[] {count, sum};
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static JournalBatches since(double[] before, HttpDriver http) {
        double[] after = batchEntries(http);
        if (before == null || after == null) {
            return JournalBatches.UNKNOWN;
        }
        long records = (long) (after[0] - before[0]);
        return new JournalBatches(records, records == 0 ? 0 : (after[1] - before[1]) / records);
    }

    /** Every acknowledged result is stored exactly as answered; the invariants hold over the final state. */
    private Checks verify(HttpDriver http, List<Driver.Answer> acknowledged) throws Exception {
        long started = System.nanoTime();
        long verified = 0;
        long bad = 0;
        for (int from = 0; from < acknowledged.size(); from += JangoServer.MAX_BATCH_COMMANDS) {
            List<Driver.Answer> chunk = acknowledged.subList(from, Math.min(acknowledged.size(), from + JangoServer.MAX_BATCH_COMMANDS));
            Driver.Answer[] stored = http.lookup(chunk.stream().map(Driver.Answer::id).toList());
            for (int i = 0; i < chunk.size(); i++) {
                Driver.Answer expected = chunk.get(i);
                if (stored[i] == null || stored[i].seq() != expected.seq() || stored[i].applied() != expected.applied()) {
                    bad++;
                } else {
                    verified++;
                }
            }
        }
        var response = http.send("GET", "/v1/admin/state", null);
        JsonNode state = new ObjectMapper().readTree(response.body());
        Checks checks = response.statusCode() == 200
                ? new Checks(acknowledged.size(), verified, bad, state.path("invariants").asText("missing"),
                        state.path("seq").asLong(-1), state.path("stateHash").asText(""))
                : new Checks(acknowledged.size(), verified, bad, "not checked: HTTP " + response.statusCode() + " "
                        + state.path("message").asText(), -1, "");
        out.printf("check: %,d acknowledged results looked up, %,d stored as answered, %,d missing or different; invariants %s; "
                        + "state seq=%d hash=%s (%.1f s)%n", checks.acknowledged(), checks.verified(), checks.missingOrDifferent(),
                checks.invariants(), checks.seq(), checks.stateHash(), (System.nanoTime() - started) / 1e9);
        return checks;
    }

    public static void writeJson(Path file, Object report) throws IOException {
        JSON.writeValue(file.toFile(), report);
    }

    public static String now() {
        return Instant.now().toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
