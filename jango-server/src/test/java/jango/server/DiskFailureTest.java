package jango.server;

import jango.embedded.EmbeddedConfig;
import jango.embedded.journal.FaultyChannel;
import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The disk fails under the journal: after bounded retries the shard halts, health and commands
 * answer 503 with the reason, nothing is applied out of order, and after a restart on a healthy
 * disk every acknowledged command is there and the failed one can be retried with its id.
 */
class DiskFailureTest {

    @Test
    void aFailingDiskHaltsTheShardAndLosesNothingAcknowledged(@TempDir Path dir) throws Exception {
        FaultyChannel.Faults disk = new FaultyChannel.Faults();
        EmbeddedConfig config = EmbeddedConfig.defaults(dir).withOpener(disk.opener());
        String acknowledged;
        try (TestServer jango = new TestServer(config)) {
            jango.asset("BTC", 8);
            Reply ok = jango.command("{\"id\":\"before\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
            assertThat(ok.status()).isEqualTo(200);
            acknowledged = ok.body();

            disk.breakDisk();
            Reply failed = jango.command("{\"id\":\"during\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
            assertThat(failed.status()).isEqualTo(503);
            assertThat(failed.json().get("error").asText()).isEqualTo("SHARD_HALTED");
            assertThat(failed.json().get("message").asText()).contains("journal write failed");
            assertThat(failed.header("Retry-After")).isNotNull();

            // Halted stays halted even when the disk comes back: an operator decides (restart).
            disk.clear();
            Reply later = jango.command("{\"id\":\"after\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"3\"}");
            assertThat(later.status()).isEqualTo(503);
            assertThat(later.json().get("error").asText()).isEqualTo("SHARD_HALTED");

            Reply health = jango.get("/health");
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().get("status").asText()).isEqualTo("DOWN");
            assertThat(health.json().get("shards").get(0).get("status").asText()).isEqualTo("HALTED");
            assertThat(health.json().get("shards").get(0).get("reason").asText()).contains("journal write failed");
            assertThat(jango.get("/metrics").body()).contains("jango_shards_halted 1.0");
            assertThat(jango.get("/v1/accounts/u1/balances").json().get("balances").get(0).get("available").asText()).isEqualTo("1");
        }

        try (TestServer jango = TestServer.start(dir)) {
            assertThat(jango.get("/health").status()).isEqualTo(200);
            assertThat(jango.get("/v1/commands/before").body()).isEqualTo(acknowledged);
            assertThat(jango.get("/v1/commands/during").status()).isEqualTo(404);
            Reply retried = jango.command("{\"id\":\"during\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
            assertThat(retried.status()).isEqualTo(200);
            assertThat(jango.get("/v1/accounts/u1/balances").json().get("balances").get(0).get("available").asText()).isEqualTo("3");
        }
    }
}
