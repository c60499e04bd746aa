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
            assertThat(run.output()).as("./jango help %s", name).containsIgnoringCase("usage")
                    // picocli formats descriptions: a lone % (say "1% of them") is a warning and raw text
                    .doesNotContain("picocli WARN");
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

        // Another id filter size: rebuilt from the index at start, and the old id is still answered.
        Run badSize = jango(120, "serve", "--port", "0", "--data-dir", data.toString(), "--id-filter-mib", "3");
        assertThat(badSize.exitCode()).as(badSize.output()).isEqualTo(2);
        assertThat(badSize.output()).contains("--id-filter-mib: 3 (expected: a power of two from 1 to 1024)");
        Path resized = tmp.resolve("serve-resized.log");
        serve = launcher("serve", "--port", "0", "--data-dir", data.toString(), "--id-filter-mib", "1")
                .redirectErrorStream(true).redirectOutput(resized.toFile()).start();
        try {
            String url = awaitListening(serve, resized);
            assertThat(Files.readString(resized)).contains("event=id_filter_rebuilt bytes=1048576 command_ids=1");
            HttpResponse<String> again = send(HttpClient.newHttpClient(), "POST", url + "/v1/commands",
                    "{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
            assertThat(again.body()).contains("ID_CONFLICT");
        } finally {
            serve.destroy();
        }
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve stops within 30 s of SIGTERM:\n%s", Files.readString(resized)).isTrue();
    }

    @Test
    void aWithdrawalGoesThroughTheSimulatedBankAndReconcileMatches() throws Exception {
        Path simLog = tmp.resolve("sim.log");
        Process sim = launcher("bank-sim", "--bank", "004:0", "--control-port", "0", "--statement-dir", tmp.resolve("st").toString())
                .redirectErrorStream(true).redirectOutput(simLog.toFile()).start();
        Process serve = null;
        try {
            String control = awaitListening(sim, simLog);
            Matcher port = Pattern.compile("004@127\\.0\\.0\\.1:([0-9]+)").matcher(Files.readString(simLog));
            assertThat(port.find()).isTrue();
            Path banks = tmp.resolve("banks.properties");
            Files.writeString(banks, "bank.004.address=127.0.0.1:" + port.group(1) + "\n");
            Path serveLog = tmp.resolve("serve-banks.log");
            serve = launcher("serve", "--port", "0", "--data-dir", tmp.resolve("data").toString(), "--banks", banks.toString())
                    .redirectErrorStream(true).redirectOutput(serveLog.toFile()).start();
            String url = awaitListening(serve, serveLog);
            HttpClient http = HttpClient.newHttpClient();
            send(http, "POST", url + "/v1/commands", "{\"id\":\"f1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"KRW\",\"amount\":\"1000\"}");
            HttpResponse<String> accepted = send(http, "POST", url + "/v1/withdrawals", "{\"id\":\"w1\",\"account\":\"u1\",\"amount\":\"600\","
                    + "\"bank\":\"004\",\"bankAccount\":\"110-1\",\"recipientName\":\"홍길동\"}");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
            TestWait.until("w1 completed", 60_000, () -> {
                try {
                    return send(http, "GET", url + "/v1/withdrawals/w1", "").body().contains("\"COMPLETED\"");
                } catch (Exception e) {
                    return false;
                }
            });
            // The same withdrawal through GraphQL (one round trip with the account's list) as through REST.
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            var rest = json.readTree(send(http, "GET", url + "/v1/withdrawals/w1", "").body());
            HttpResponse<String> graphql = send(http, "POST", url + "/v1/graphql", "{\"query\":\"{ withdrawal(id: \\\"w1\\\") "
                    + "{ id status amount bankTxNo hold createdAt } account(id: \\\"u1\\\") { withdrawals(limit: 5) { withdrawals { id status } next } "
                    + "balances { asset available } } }\"}");
            assertThat(graphql.statusCode()).as(graphql.body()).isEqualTo(200);
            var data = json.readTree(graphql.body()).path("data");
            for (String field : List.of("id", "status", "amount", "bankTxNo", "hold", "createdAt")) {
                assertThat(data.path("withdrawal").path(field)).as(graphql.body()).isEqualTo(rest.path(field));
            }
            assertThat(data.path("account").path("withdrawals").path("withdrawals").get(0).path("id").asText()).isEqualTo("w1");
            assertThat(data.path("account").path("balances").get(0).path("available").asText()).isEqualTo("400");
            assertThat(send(http, "POST", url + "/v1/graphql", "{\"query\":\"{ withdrawal(id: \\\"w 1\\\") { id } }\"}").body())
                    .as("bad input names the field").contains("MALFORMED").contains("id");
            assertThat(send(http, "GET", url + "/metrics", "").body()).as("metrics per bank")
                    .contains("jango_bank_withdrawals_total{bank=\"004\",status=\"COMPLETED\"}")
                    .contains("jango_bank_gateway_latency_seconds").contains("jango_bank_breaker_state{bank=\"004\"}");
            String statement = send(http, "POST", control + "/banks/004/end-of-day", "").body();
            Matcher file = Pattern.compile("\"file\":\"([^\"]+)\"").matcher(statement);
            assertThat(file.find()).as(statement).isTrue();
            Run reconcile = jango(120, "reconcile", file.group(1), "--url", url);
            assertThat(reconcile.exitCode()).as(reconcile.output()).isZero();
            assertThat(reconcile.output()).contains("reconcile: MATCH");
        } finally {
            if (serve != null) {
                serve.destroy();
                serve.waitFor(30, TimeUnit.SECONDS);
            }
            sim.destroy();
            sim.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aShortBenchRunsWithItsPostgresBaselines() throws Exception {
        Run bench = jango(600, "bench", "--duration", "2", "--singles-duration", "1", "--baseline-duration", "1",
                "--accounts", "200", "--subscribers", "20");
        assertThat(bench.exitCode()).as(bench.output()).isZero();
        assertThat(bench.output()).contains("subscribers: 20 SSE streams received");
        assertThat(bench.output()).doesNotContain("ClassNotFoundException").doesNotContain("NoClassDefFoundError");
    }

    /** The gRPC side: the Java client and grpc-netty on the packaged class path. */
    @Test
    void aShortGrpcBenchRunsThroughTheJavaClient() throws Exception {
        Run bench = jango(600, "bench", "--protocol", "grpc", "--duration", "2", "--singles-duration", "1", "--callers", "8",
                "--baseline-duration", "0", "--accounts", "200");
        assertThat(bench.exitCode()).as(bench.output()).isZero();
        assertThat(bench.output()).contains("gRPC through the Java client").contains("callers:").contains("bench: PASS");
    }

    @Test
    void keysAreCreatedListedRevokedAndServeIsSecureByDefault() throws Exception {
        Path data = tmp.resolve("keyed");
        Run refused = jango(120, "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", data.toString());
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
        assertThat(refused.output()).contains("refusing to serve on 0.0.0.0 with no API keys");
        Run created = jango(120, "keys", "create", "--data-dir", data.toString(), "--scopes", "commands:write,read");
        assertThat(created.exitCode()).as(created.output()).isZero();
        String id = created.output().lines().filter(line -> line.startsWith("jango_")).findFirst().orElseThrow().split("_")[1];
        Run listed = jango(120, "keys", "list", "--data-dir", data.toString());
        assertThat(listed.output()).contains(id).contains("commands:write,read").doesNotContain("jango_");
        Run revoked = jango(120, "keys", "revoke", "--data-dir", data.toString(), id);
        assertThat(revoked.exitCode()).as(revoked.output()).isZero();
        assertThat(jango(120, "keys", "list", "--data-dir", data.toString()).output()).contains(id).containsPattern(id + ".*\\d{4}-\\d\\d-\\d\\dT.*\\d{4}-");
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
