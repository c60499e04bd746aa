package jango.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code ./jango} subcommand run the way a user runs it: through the launcher script, on the
 * packaged class path ({@code target/jango-cli.jar:target/lib/*}), not the test class path. A jar
 * that the package leaves out (a dependency declared with test scope once broke {@code ./jango bench}
 * while every test passed) fails here. Runs in the integration-test phase, after the package.
 */
class PackagedLauncherIT {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");

    @TempDir
    Path tmp;

    record Run(int exitCode, String output) {
    }

    /** {@code ./jango ARGS} with the packaged build as it is (JANGO_NO_BUILD), bounded in time. */
    private Run jango(long timeoutSeconds, String... args) throws Exception {
        Path log = Files.createTempFile(tmp, "jango", ".log");
        Process process = launcher(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("./jango " + String.join(" ", args) + " did not finish in " + timeoutSeconds + " s:\n"
                    + Files.readString(log));
        }
        return new Run(process.exitValue(), Files.readString(log));
    }

    private static ProcessBuilder launcher(String... args) {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("jango").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        builder.environment().put("JANGO_NO_BUILD", "1");
        builder.environment().put("JANGO_JAVA_OPTS", "-Xmx1g");
        return builder;
    }

    @Test
    void everySubcommandAnswersHelpFromThePackagedClassPath() throws Exception {
        for (String name : new CommandLine(new Jango()).getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            // `help NAME` rather than `NAME --help`: jmh hands every argument to JMH.
            Run run = jango(120, "help", name);
            assertThat(run.exitCode()).as("./jango help %s:\n%s", name, run.output()).isZero();
            assertThat(run.output()).as("./jango help %s", name).containsIgnoringCase("usage");
        }
    }

    @Test
    void serveAnswersAndStopsOnSigtermThenAuditPasses() throws Exception {
        Path data = tmp.resolve("data");
        Path log = tmp.resolve("serve.log");
        Process serve = launcher("serve", "--port", "0", "--data-dir", data.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String url = awaitListening(serve, log);
            HttpClient http = HttpClient.newHttpClient();
            assertThat(send(http, "PUT", url + "/v1/assets/BTC", "{\"scale\": 8}").statusCode()).isEqualTo(201);
            HttpResponse<String> deposit = send(http, "POST", url + "/v1/commands",
                    "{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1.5\"}");
            assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);
            assertThat(deposit.body()).contains("\"APPLIED\"");
        } finally {
            serve.destroy(); // SIGTERM
        }
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve stops within 30 s of SIGTERM:\n%s", Files.readString(log)).isTrue();

        Run audit = jango(120, "audit", "--data-dir", data.toString());
        assertThat(audit.exitCode()).as(audit.output()).isZero();
        assertThat(audit.output()).contains("audit: PASS");
    }

    @Test
    void aShortBenchRunsWithItsPostgresBaselines() throws Exception {
        Run bench = jango(600, "bench", "--duration", "2", "--singles-duration", "1", "--baseline-duration", "1",
                "--accounts", "200", "--subscribers", "20");
        assertThat(bench.exitCode()).as(bench.output()).isZero();
        assertThat(bench.output()).contains("subscribers: 20 SSE streams received");
        assertThat(bench.output()).doesNotContain("ClassNotFoundException").doesNotContain("NoClassDefFoundError");
    }

    @Test
    void jmhListsTheBenchmarks() throws Exception {
        Run jmh = jango(120, "jmh", "-l");
        assertThat(jmh.exitCode()).as(jmh.output()).isZero();
        assertThat(jmh.output()).contains("EngineBench");
    }

    private static String awaitListening(Process process, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher matcher = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (matcher.find()) {
                return matcher.group(1);
            }
            if (!process.isAlive()) {
                throw new AssertionError("serve exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError("serve did not listen within 60 s:\n" + Files.readString(log));
    }

    private static HttpResponse<String> send(HttpClient http, String method, String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
