package jango.bench;

import jango.embedded.index.LedgerIndex;
import jango.engine.Command;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code jango soak}: a long run that proves memory is set by accounts and open holds, not by the
 * number of commands. It starts {@code jango serve} in its own JVM with a small fixed heap, drives an
 * exchange's day through the HTTP API until the count is reached, and every sample interval forces a
 * full collection in the server ({@code jcmd GC.run}) and reads the live heap it left ({@code jango_jvm_heap_after_gc_bytes}) and the
 * process's resident memory. It prints progress, writes the curve as an SVG chart, reports the disk
 * used per command and per stored result, then kills the server with SIGKILL and times its recovery.
 */
public final class Soak {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");
    private static final Pattern ID_FILTER = Pattern.compile("^jango_id_filter_false_positives ([0-9.eE+-]+)", Pattern.MULTILINE);
    private static final Pattern HEAP_USED = Pattern.compile("^jango_jvm_heap_after_gc_bytes(?:\\{[^}]*})? ([0-9.eE+]+)", Pattern.MULTILINE);

    /**
     * @param serveCommand how to start {@code jango} (java, its flags, the class path, the main class)
     * @param serveOptions more options of {@code jango serve} (e.g. {@code --id-filter-mib})
     * @param warmupShare  share of the commands before the flatness check starts (RocksDB's caches and
     *                     the JIT settle first)
     */
    public record Options(long commands, String heap, Path dataDir, boolean keepData, Path chart, int concurrency, int batch,
                          int accounts, int sampleSeconds, double warmupShare, List<String> serveCommand, List<String> serveOptions) {
        public Options {
            if (commands < 10_000) {
                throw new IllegalArgumentException("commands: " + commands + " (expected: >= 10000)");
            }
            if (concurrency < 1 || concurrency > 64 || batch < 1 || batch > 10_000) {
                throw new IllegalArgumentException("concurrency 1..64 and batch 1..10000 (got " + concurrency + ", " + batch + ")");
            }
        }
    }

    /** One sample: commands applied so far, heap after a full GC, resident memory, disk, throughput since the last. */
    public record Sample(long seconds, long commands, long heapAfterGcBytes, long rssBytes, long diskBytes, double commandsPerSecond) {
    }

    private Soak() {
    }

    /** Runs the soak; true when memory stayed within 10% after warm-up. */
    public static boolean run(Options options, PrintStream out) throws Exception {
        Path dataDir = options.dataDir() != null ? options.dataDir() : Files.createTempDirectory("jango-soak-");
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-serve.log");
        out.printf("soak: %,d commands through jango serve at %s, data in %s, server log %s%n", options.commands(),
                options.heap(), dataDir, log);
        Server server = Server.start(options, dataDir, log);
        List<Sample> samples = new ArrayList<>();
        long recoveryMillis;
        try {
            load(options, server, samples, out);
            out.println("soak: load done; killing the server with SIGKILL and timing its recovery");
            server.kill();
        } finally {
            server.kill();
        }
        long restarted = System.nanoTime();
        Server again = Server.start(options, dataDir, log);
        recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
        again.stop();
        Disk disk = Disk.of(dataDir, samples.isEmpty() ? 0 : samples.get(samples.size() - 1).commands());
        boolean flat = report(options, samples, disk, recoveryMillis, out);
        if (options.chart() != null) {
            SoakChart.write(options.chart(), samples, options.heap());
            out.println("soak: chart written to " + options.chart());
        }
        if (!options.keepData() && options.dataDir() == null) {
            deleteTree(dataDir);
        }
        return flat;
    }

    private static void load(Options options, Server server, List<Sample> samples, PrintStream out) throws Exception {
        HttpDriver http = new HttpDriver(server.url);
        ExchangeDay day = new ExchangeDay(options.accounts(), 3, 1.1, 1);
        List<Command> deposits = new ArrayList<>();
        for (Command command : day.setup()) {
            if (command instanceof Command.RegisterAsset asset) {
                HttpDriver.expectOk(http.send("PUT", "/v1/assets/" + asset.code(), "{\"scale\": " + asset.scale() + "}"));
            } else {
                deposits.add(command);
            }
        }
        for (int i = 0; i < deposits.size(); i += 1_000) {
            http.batch(deposits.subList(i, Math.min(deposits.size(), i + 1_000)));
        }
        AtomicLong applied = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong retried = new AtomicLong();
        String runId = Long.toString(System.currentTimeMillis(), 36);
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < options.concurrency(); c++) {
            ExchangeDay.Client client = day.client(c, runId);
            clients.add(CompletableFuture.runAsync(() -> {
                try {
                    while (applied.get() < options.commands() && failure.get() == null) {
                        batchRetrying(http, client.next(options.batch()), retried);
                        applied.addAndGet(options.batch());
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long started = System.nanoTime();
        long lastCommands = 0;
        long lastNanos = started;
        while (!CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).isDone()) {
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new))
                    .completeOnTimeout(null, options.sampleSeconds(), TimeUnit.SECONDS).join();
            long now = System.nanoTime();
            long commands = applied.get();
            String metrics = server.metricsAfterFullGc(http);
            Sample sample = new Sample(TimeUnit.NANOSECONDS.toSeconds(now - started), commands, Server.heapAfterGc(metrics),
                    server.rss(), Disk.size(server.dataDir), (commands - lastCommands) * 1e9 / Math.max(1, now - lastNanos));
            samples.add(sample);
            lastCommands = commands;
            lastNanos = now;
            out.printf(Locale.ROOT, "soak: %5d s  %,13d commands (%4.1f%%)  %,9.0f/s  heap after GC %,6d MB  RSS %,6d MB  disk %,7d MB"
                            + "  id filter %s%n",
                    sample.seconds(), commands, 100.0 * commands / options.commands(), sample.commandsPerSecond(),
                    sample.heapAfterGcBytes() >> 20, sample.rssBytes() >> 20, sample.diskBytes() >> 20,
                    Server.idFilterFalsePositives(metrics));
            if (failure.get() != null) {
                throw new IllegalStateException("a client failed: " + failure.get(), failure.get());
            }
            if (!server.alive()) {
                throw new IllegalStateException("the server died; see " + server.log);
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a client failed: " + failure.get(), failure.get());
        }
        out.printf(Locale.ROOT, "soak: %,d batches were sent again after a 503 (same ids)%n", retried.get());
    }

    private static boolean report(Options options, List<Sample> samples, Disk disk, long recoveryMillis, PrintStream out) {
        long warmupCommands = (long) (options.commands() * options.warmupShare());
        List<Sample> after = afterWarmup(samples, warmupCommands);
        if (after.size() < 2) {
            out.println("soak: too few samples after warm-up to judge flatness (run longer, or sample more often)");
            return false;
        }
        double heapGrowth = growth(after, Sample::heapAfterGcBytes);
        double rssGrowth = growth(after, Sample::rssBytes);
        double rate = after.stream().mapToDouble(Sample::commandsPerSecond).average().orElse(0);
        out.printf(Locale.ROOT, "soak: after warm-up (%,d commands and %d s): heap after GC %,d..%,d MB (growth %.1f%%), RSS %,d..%,d MB"
                        + " (growth %.1f%%), %,.0f commands/s on average%n", warmupCommands, WARMUP_MIN_SECONDS,
                min(after, Sample::heapAfterGcBytes) >> 20, max(after, Sample::heapAfterGcBytes) >> 20, 100 * heapGrowth,
                min(after, Sample::rssBytes) >> 20, max(after, Sample::rssBytes) >> 20, 100 * rssGrowth, rate);
        out.printf(Locale.ROOT, "soak: disk: journal %,d MB, index %,d MB (%.0f bytes per command in all); %,d stored results"
                        + " take %.0f bytes each in the index%n", disk.journalBytes() >> 20, disk.indexBytes() >> 20,
                disk.bytesPerCommand(), disk.results(), disk.bytesPerResult());
        out.printf(Locale.ROOT, "soak: restart after SIGKILL at %,d log entries: listening in %,d ms%n", disk.commands(), recoveryMillis);
        boolean flat = heapGrowth <= 0.10 && rssGrowth <= 0.10;
        out.println(flat ? "soak: PASS: memory stayed flat" : "soak: FAIL: memory grew more than 10% after warm-up");
        return flat;
    }

    /**
     * The JVM, RocksDB's block cache and memtables and the engine's tables fill in the first minutes
     * whatever the rate: at 22,700 commands/s a tenth of 12 million commands was 53 s, and resident
     * memory went on rising from 1.2 to 1.4 GB for two more minutes before it stayed there (the soak
     * failed on that rise). So the check starts after this long too.
     */
    static final long WARMUP_MIN_SECONDS = 180;

    /** The samples the flatness check looks at: past {@code warmupCommands} and {@link #WARMUP_MIN_SECONDS}. */
    static List<Sample> afterWarmup(List<Sample> samples, long warmupCommands) {
        return samples.stream().filter(s -> s.commands() >= warmupCommands && s.seconds() >= WARMUP_MIN_SECONDS).toList();
    }

    /**
     * How much memory grew from the start of the measured part to its end, as a share: the median of the
     * last third of the samples against the median of the first third. Medians, because one sample can
     * land in a compaction's buffers or a collection's worst moment; a leak moves the whole last third.
     */
    static double growth(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        int third = Math.max(1, samples.size() / 3);
        long first = median(samples.subList(0, third), value);
        long last = median(samples.subList(samples.size() - third, samples.size()), value);
        return first <= 0 ? 0 : (double) (last - first) / first;
    }

    private static long median(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        long[] values = samples.stream().mapToLong(value).sorted().toArray();
        return values[values.length / 2];
    }

    private static long min(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        return samples.stream().mapToLong(value).min().orElse(0);
    }

    private static long max(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        return samples.stream().mapToLong(value).max().orElse(0);
    }

    /** Retrying this long covers a stall of the server (a GC, a slow disk, a busy machine) but not a halt. */
    private static final long RETRY_FOR_NANOS = TimeUnit.MINUTES.toNanos(2);

    /**
     * Sends a batch; on 503 (the server timed out or is busy) sends the same batch again, with the same
     * ids, as a client of a ledger must: the replay answers what was applied, and nothing twice.
     */
    private static void batchRetrying(HttpDriver http, List<Command> batch, AtomicLong retried) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RETRY_FOR_NANOS;
        long backoffMs = 100;
        while (true) {
            try {
                http.batch(batch);
                return;
            } catch (IllegalStateException e) {
                if (!String.valueOf(e.getMessage()).startsWith("HTTP 503") || System.nanoTime() > deadline) {
                    throw e;
                }
                retried.incrementAndGet();
                Thread.sleep(backoffMs);
                backoffMs = Math.min(2_000, backoffMs * 2);
            }
        }
    }

    // ---- the server under test --------------------------------------------------------------------

    private static final class Server {
        final Process process;
        final String url;
        final Path dataDir;
        final Path log;

        private Server(Process process, String url, Path dataDir, Path log) {
            this.process = process;
            this.url = url;
            this.dataDir = dataDir;
            this.log = log;
        }

        static Server start(Options options, Path dataDir, Path log) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(options.serveCommand());
            command.add(1, "-Xmx" + options.heap());
            command.addAll(List.of("serve", "--port", "0", "--data-dir", dataDir.toString()));
            command.addAll(options.serveOptions());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            CompletableFuture<String> listening = new CompletableFuture<>();
            Thread drain = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                     var file = Files.newBufferedWriter(log, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        file.write(line);
                        file.newLine();
                        Matcher matcher = LISTENING.matcher(line);
                        if (matcher.find()) {
                            file.flush();
                            listening.complete(matcher.group(1));
                        } else if (!lines.ready()) {
                            file.flush(); // the log a reader tails is current, not 8 KiB behind
                        }
                    }
                } catch (IOException e) {
                    // the server is gone
                } finally {
                    listening.complete(null);
                }
            }, "soak-server-output");
            drain.setDaemon(true);
            drain.start();
            try {
                String url = listening.get(10, TimeUnit.MINUTES);
                if (url == null) {
                    throw new IOException("jango serve exited (" + process.waitFor() + ") before listening; see " + log);
                }
                return new Server(process, url, dataDir, log);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                process.destroyForcibly();
                throw new IOException("jango serve did not start: " + e + "; see " + log, e);
            }
        }

        boolean alive() {
            return process.isAlive();
        }

        /** Forces a full collection in the server, then reads its metrics (the heap it uses, the id filter). */
        String metricsAfterFullGc(HttpDriver http) throws IOException, InterruptedException {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!gc.waitFor(2, TimeUnit.MINUTES)) {
                gc.destroyForcibly();
            }
            HttpResponse<byte[]> metrics = http.send("GET", "/metrics", null);
            return new String(metrics.body(), StandardCharsets.UTF_8);
        }

        /** The heap in use after the last collection, from {@link #metricsAfterFullGc}. */
        static long heapAfterGc(String metrics) {
            Matcher heap = HEAP_USED.matcher(metrics);
            long used = 0;
            while (heap.find()) {
                used += (long) Double.parseDouble(heap.group(1));
            }
            return used;
        }

        /**
         * The share of new ids the server's id filter cannot rule out (each reads the index), as of
         * its last snapshot: it rises with every id used, and with it the soak's cost per command.
         */
        static String idFilterFalsePositives(String metrics) {
            Matcher rate = ID_FILTER.matcher(metrics);
            return rate.find() ? String.format(Locale.ROOT, "%.2f%%", 100 * Double.parseDouble(rate.group(1))) : "-";
        }

        long rss() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return 0;
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        }

        void kill() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(1, TimeUnit.MINUTES);
            }
        }
    }

    // ---- disk ---------------------------------------------------------------------------------------

    record Disk(long commands, long journalBytes, long indexBytes, long results, long resultBytes) {
        static Disk of(Path dataDir, long commands) throws IOException {
            LedgerIndex.ResultStats stats;
            try (LedgerIndex index = LedgerIndex.open(dataDir.resolve("index"))) {
                stats = index.resultStats();
            }
            return new Disk(commands, size(dataDir.resolve("journal")), size(dataDir.resolve("index")), stats.results(),
                    stats.bytes());
        }

        double bytesPerCommand() {
            return commands == 0 ? 0 : (double) (journalBytes + indexBytes) / commands;
        }

        double bytesPerResult() {
            return results == 0 ? 0 : (double) resultBytes / results;
        }

        static long size(Path dir) {
            if (!Files.isDirectory(dir)) {
                return 0;
            }
            for (int attempt = 1; ; attempt++) {
                try (Stream<Path> files = Files.walk(dir)) {
                    return files.filter(Files::isRegularFile).mapToLong(file -> {
                        try {
                            return Files.size(file);
                        } catch (IOException e) {
                            return 0; // deleted meanwhile (RocksDB compaction)
                        }
                    }).sum();
                } catch (IOException | java.io.UncheckedIOException e) {
                    if (attempt == 5) {
                        return 0; // a directory vanished under every walk: this sample shows none
                    }
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
