package jango.cli;

import jango.client.JangoClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java client across a kill -9 of the server: 64 threads send commands through one client;
 * the server (a real {@code jango serve} JVM) is killed with SIGKILL mid-load and started again on
 * the same port and data. Every call must end with its result (the client retries with the same
 * id until the server is back), and that result must be the one stored, applied once: each
 * account's balance equals its applied deposits.
 */
class ClientCrashTest {
    private static final int THREADS = 64;
    private static final int PER_THREAD = 40;

    @Test
    void everyCallRetriedWithItsIdEndsWithExactlyOneResult(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Child first = Child.start(dir.resolve("first.log"), "serve", "--port", Integer.toString(port), "--data-dir", data.toString());
        Child second = null;
        try (JangoClient client = JangoClient.builder().endpoints("127.0.0.1:" + port).callDeadline(Duration.ofSeconds(120))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(500)).build()) {
            client.putAsset("KRW", 0);
            DepositCalls calls = new DepositCalls(client, "crash", THREADS, PER_THREAD);
            calls.awaitAThird();
            first.kill9();
            second = Child.start(dir.resolve("second.log"), "serve", "--port", Integer.toString(port), "--data-dir", data.toString());
            calls.finishAndCheck();
            assertThat(client.stats().retries()).as("calls were retried across the restart").isPositive();
        } finally {
            first.kill9();
            if (second != null) {
                second.stop();
            }
        }
    }
}
