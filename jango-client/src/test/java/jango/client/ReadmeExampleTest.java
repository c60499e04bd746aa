package jango.client;

import jango.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Use from Java" example is this test's code: it runs here against a real server,
 * and the README must show exactly the lines between the markers.
 */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleRuns(@TempDir Path dir) throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            String endpoint = "127.0.0.1:" + server.port();
            // README:start
            try (JangoClient jango = JangoClient.builder()
                    .endpoints(endpoint)                      // host:port; several in distributed mode: calls fail over
                    .build()) {                               // .apiKey(key) when the server has keys
                jango.putAsset("BTC", 8);
                CommandResult deposit = jango.submit(new Command.Deposit("d-1", "alice", "BTC", new BigDecimal("1.5")));
                System.out.println(deposit.status() + " at seq " + deposit.seq());

                // Many calls at once, from any number of threads: the client packs them into batch requests.
                List<CompletableFuture<CommandResult>> transfers = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    transfers.add(jango.submitAsync(new Command.Transfer("t-" + i, "alice", "bob", "BTC", new BigDecimal("0.01"))));
                }
                transfers.forEach(CompletableFuture::join);   // each APPLIED or REJECTED, stored under its id

                List<Balance> bob = jango.balances("bob");
                System.out.println(bob);                      // [Balance[account=bob, asset=BTC, available=1, held=0, revision=100]]
            }
            // README:end
            var bob = server.ledger.balances("bob", "BTC");
            assertThat(bob).hasSize(1);
            assertThat(bob.get(0).available().toDecimalString(8)).isEqualTo("1");
            assertThat(bob.get(0).revision()).isEqualTo(100);
        }
    }

    @Test
    void theReadmeShowsThisCode() throws Exception {
        String source = Files.readString(Path.of("src/test/java/jango/client/ReadmeExampleTest.java"));
        String example = source.substring(source.indexOf("// README:start") + "// README:start".length(), source.indexOf("            // README:end"));
        String readme = Files.readString(Path.of("../README.md"));
        assertThat(normalize(readme)).as("README.md shows the example of ReadmeExampleTest").contains(normalize(example));
    }

    /** Without the indentation, which differs between the test and the README. */
    private static String normalize(String code) {
        StringBuilder lines = new StringBuilder();
        for (String line : code.strip().split("\n")) {
            lines.append(line.strip()).append('\n');
        }
        return lines.toString();
    }
}
