package jango.bench.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's own benchmark (TPC-B-like) against the same server, so a reader can see what this
 * machine's PostgreSQL does without the ledger: {@code pgbench -i -s <scale>}, then
 * {@code pgbench -c <clients> -j <threads> -T <seconds> -M prepared}.
 */
public final class Pgbench {
    /** Upper bound on {@code pgbench -i} (scale 10 writes 1M rows): a stuck process is killed. */
    private static final long INIT_TIMEOUT_SECONDS = 600;
    private static final Pattern TPS = Pattern.compile("^tps = ([0-9]+(?:\\.[0-9]+)?) \\((.*)\\)$", Pattern.MULTILINE);
    private static final Pattern TRANSACTIONS = Pattern.compile("^number of transactions actually processed: (\\d+)", Pattern.MULTILINE);
    private static final Pattern LATENCY = Pattern.compile("^latency average = ([0-9.]+) ms", Pattern.MULTILINE);

    /** What a run measured; {@code output} is pgbench's own report. */
    public record Result(Path pgbench, int scale, int clients, int threads, int seconds, double tps, long transactions,
                         double latencyAverageMs, String output) {
        public String summary() {
            return String.format("pgbench (%s, TPC-B, -s %d -c %d -j %d -T %d -M prepared): %.0f TPS, %d transactions, latency avg %.2f ms",
                    pgbench, scale, clients, threads, seconds, tps, transactions, latencyAverageMs);
        }
    }

    private Pgbench() {
    }

    /** {@code pgbench -i -s 10}, then {@code -c 4 -j 2 -T seconds -M prepared}; empty if pgbench is not installed. */
    public static Optional<Result> run(PostgresServer server, int seconds) throws IOException, InterruptedException {
        return run(server, 10, 4, 2, seconds);
    }

    /** Empty if pgbench is not installed; throws if it is and fails. */
    public static Optional<Result> run(PostgresServer server, int scale, int clients, int threads, int seconds)
            throws IOException, InterruptedException {
        if (scale < 1 || clients < 1 || threads < 1 || threads > clients || seconds < 1) {
            throw new IllegalArgumentException("scale " + scale + ", clients " + clients + ", threads " + threads + ", seconds "
                    + seconds + " (expected: all >= 1, threads <= clients)");
        }
        Optional<Path> pgbench = PostgresServer.findPgbench();
        if (pgbench.isEmpty()) {
            return Optional.empty();
        }
        execute(server, pgbench.get(), List.of("-i", "-q", "-s", Integer.toString(scale)), INIT_TIMEOUT_SECONDS);
        String output = execute(server, pgbench.get(), List.of("-c", Integer.toString(clients), "-j", Integer.toString(threads),
                "-T", Integer.toString(seconds), "-M", "prepared"), seconds + 120L);
        return Optional.of(new Result(pgbench.get(), scale, clients, threads, seconds, parseTps(output),
                parseLong(TRANSACTIONS, output), parseDouble(LATENCY, output), output));
    }

    /** The TPS pgbench reports; of two lines (with and without connection time), the one without. */
    static double parseTps(String output) {
        Matcher matcher = TPS.matcher(output);
        Double first = null;
        while (matcher.find()) {
            double tps = Double.parseDouble(matcher.group(1));
            String note = matcher.group(2);
            if (note.startsWith("without") || note.startsWith("excluding")) {
                return tps;
            }
            if (first == null) {
                first = tps;
            }
        }
        if (first == null) {
            throw new IllegalStateException("no \"tps = \" line in pgbench's output:\n" + output);
        }
        return first;
    }

    private static long parseLong(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    private static double parseDouble(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
    }

    private static String execute(PostgresServer server, Path pgbench, List<String> arguments, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(pgbench.toString());
        command.addAll(List.of("-h", server.host(), "-p", Integer.toString(server.port()), "-U", server.user()));
        command.addAll(arguments);
        command.add(server.database());
        Path log = Files.createTempFile("pgbench", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (server.password() != null) {
                builder.environment().put("PGPASSWORD", server.password());
            }
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
