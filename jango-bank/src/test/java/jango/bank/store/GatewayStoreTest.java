package jango.bank.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatewayStoreTest {
    /**
     * A thread still using the store while the gateway closes it (a lane, a dispatcher, a ledger
     * callback) must get a StoreException. Before the store guarded its handles, such a thread used
     * a freed RocksDB and the whole JVM aborted ("pthread lock: Invalid argument"), in CI.
     */
    @Test
    void threadsStillWorkingWhenTheStoreClosesGetAnErrorNotACrash(@TempDir Path dir) throws Exception {
        GatewayStore store = GatewayStore.open(dir);
        store.putVirtualAccount("V-1", "alice");
        CountDownLatch running = new CountDownLatch(4);
        AtomicLong reads = new AtomicLong();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int n = t;
            threads.add(Thread.ofPlatform().start(() -> {
                running.countDown();
                try {
                    for (long i = 0; ; i++) {
                        assertThat(store.virtualAccountOwner("V-1")).isEqualTo("alice");
                        store.putVirtualAccount("V-" + n + "-" + i, "bob");
                        store.suspense(10);
                        reads.incrementAndGet();
                    }
                } catch (StoreException e) {
                    if (!e.getMessage().contains("the store is closed")) {
                        unexpected.set(e);
                    }
                } catch (Throwable e) {
                    unexpected.set(e);
                }
            }));
        }
        running.await();
        while (reads.get() < 100) {
            Thread.onSpinWait();
        }

        store.close();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertThat(thread.isAlive()).as("every worker stopped on the closed store").isFalse();
        }

        assertThat(unexpected.get()).isNull();
        assertThatThrownBy(() -> store.virtualAccountOwner("V-1"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("reading v/V-1: the store is closed");
        store.close(); // a second close does nothing
    }
}
