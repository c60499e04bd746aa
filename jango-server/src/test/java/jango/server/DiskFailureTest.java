package jango.server;

import jango.embedded.EmbeddedConfig;
import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The disk fails under the journal: after bounded retries the shard halts, health and commands
 * answer 503 with the reason, nothing is applied out of order, and after a restart on a healthy
 * disk every acknowledged command is there and the failed one can be retried with its id.
 */
class DiskFailureTest {

    @Test
    void aFailingDiskHaltsTheShardAndLosesNothingAcknowledged(@TempDir Path dir) throws Exception {
        AtomicBoolean diskBroken = new AtomicBoolean();
        EmbeddedConfig config = EmbeddedConfig.defaults(dir).withOpener(path -> new FailingChannel(
                FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE), diskBroken));
        String acknowledged;
        try (TestServer jango = new TestServer(config)) {
            jango.asset("BTC", 8);
            Reply ok = jango.command("{\"id\":\"before\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
            assertThat(ok.status()).isEqualTo(200);
            acknowledged = ok.body();

            diskBroken.set(true);
            Reply failed = jango.command("{\"id\":\"during\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"2\"}");
            assertThat(failed.status()).isEqualTo(503);
            assertThat(failed.json().get("error").asText()).isEqualTo("SHARD_HALTED");
            assertThat(failed.json().get("message").asText()).contains("journal write failed");
            assertThat(failed.header("Retry-After")).isNotNull();

            // Halted stays halted even when the disk comes back: an operator decides (restart).
            diskBroken.set(false);
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

    /** A real file channel whose writes and forces fail while the disk is "broken" (EIO). */
    private static final class FailingChannel extends DelegatingFileChannel {
        private final AtomicBoolean broken;

        FailingChannel(FileChannel delegate, AtomicBoolean broken) {
            super(delegate);
            this.broken = broken;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            fail();
            return super.write(src);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            fail();
            return super.write(src, position);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            fail();
            return super.write(srcs, offset, length);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            fail();
            super.force(metaData);
        }

        private void fail() throws IOException {
            if (broken.get()) {
                throw new IOException("Input/output error (injected)");
            }
        }
    }
}
