package jango.cli;

import jango.client.Command;
import jango.client.CommandResult;
import jango.client.JangoClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
            Map<String, CommandResult> answered = new ConcurrentHashMap<>();
            AtomicInteger done = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                callers.add(Thread.ofPlatform().name("caller-" + t).start(() -> {
                    try {
                        for (int i = 0; i < PER_THREAD; i++) {
                            String id = "crash-" + thread + "-" + i;
                            CommandResult result = client.submit(new Command.Deposit(id, "owner-" + thread, "KRW", BigDecimal.ONE));
                            assertThat(answered.putIfAbsent(id, result)).as("answered twice: " + id).isNull();
                            done.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            TestWait.until("a third of the calls answered", 120_000, () -> done.get() >= THREADS * PER_THREAD / 3 || failure.get() != null);
            first.kill9();
            second = Child.start(dir.resolve("second.log"), "serve", "--port", Integer.toString(port), "--data-dir", data.toString());
            for (Thread caller : callers) {
                caller.join(Duration.ofMinutes(3));
                assertThat(caller.isAlive()).as(caller.getName() + " still waiting").isFalse();
            }
            assertThat(failure.get()).as("a call failed").isNull();
            assertThat(answered).hasSize(THREADS * PER_THREAD);
            assertThat(client.stats().retries()).as("calls were retried across the restart").isPositive();

            List<String> ids = new ArrayList<>(answered.keySet());
            List<CommandResult> stored = client.lookup(ids);
            for (int i = 0; i < ids.size(); i++) {
                CommandResult got = answered.get(ids.get(i));
                assertThat(got.applied()).as(ids.get(i)).isTrue();
                assertThat(stored.get(i)).as(ids.get(i)).isNotNull();
                assertThat(stored.get(i).seq()).as("the stored result is the one answered: " + ids.get(i)).isEqualTo(got.seq());
            }
            for (int t = 0; t < THREADS; t++) {
                assertThat(client.balances("owner-" + t, "KRW").get(0).available()).as("owner-" + t + ": each deposit applied once")
                        .isEqualByComparingTo(Integer.toString(PER_THREAD));
            }
        } finally {
            first.kill9();
            if (second != null) {
                second.stop();
            }
        }
    }
}
