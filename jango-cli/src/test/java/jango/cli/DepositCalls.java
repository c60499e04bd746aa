package jango.cli;

import jango.client.Command;
import jango.client.CommandResult;
import jango.client.JangoClient;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Threads that each send deposits of 1 KRW, one at a time, through one Java client, to an owner
 * of their own; then the checks that every call ended with exactly one result: the one stored
 * under its id, applied once (each owner's balance is its count of deposits).
 */
final class DepositCalls {
    private final JangoClient client;
    private final String prefix;
    private final int threads;
    private final int perThread;
    private final Map<String, CommandResult> answered = new ConcurrentHashMap<>();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> callers = new ArrayList<>();

    DepositCalls(JangoClient client, String prefix, int threads, int perThread) {
        this.client = client;
        this.prefix = prefix;
        this.threads = threads;
        this.perThread = perThread;
        for (int t = 0; t < threads; t++) {
            int thread = t;
            callers.add(Thread.ofPlatform().name(prefix + "-caller-" + t).start(() -> call(thread)));
        }
    }

    private void call(int thread) {
        try {
            for (int i = 0; i < perThread; i++) {
                String id = prefix + "-" + thread + "-" + i;
                CommandResult result = client.submit(new Command.Deposit(id, owner(thread), "KRW", BigDecimal.ONE));
                if (answered.putIfAbsent(id, result) != null) {
                    throw new AssertionError("answered twice: " + id);
                }
                done.incrementAndGet();
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private String owner(int thread) {
        return prefix + "-owner-" + thread;
    }

    /** Waits until a third of the calls are answered (or one failed). */
    void awaitAThird() {
        TestWait.until("a third of the calls answered", 120_000, () -> done.get() >= threads * perThread / 3 || failure.get() != null);
    }

    /** Waits for every caller, then checks each call's answer against what is stored. */
    void finishAndCheck() throws InterruptedException {
        for (Thread caller : callers) {
            caller.join(Duration.ofMinutes(3));
            assertThat(caller.isAlive()).as(caller.getName() + " still waiting").isFalse();
        }
        assertThat(failure.get()).as("a call failed").isNull();
        assertThat(answered).hasSize(threads * perThread);
        List<String> ids = new ArrayList<>(answered.keySet());
        List<CommandResult> stored = client.lookup(ids);
        for (int i = 0; i < ids.size(); i++) {
            CommandResult got = answered.get(ids.get(i));
            assertThat(got.applied()).as(ids.get(i)).isTrue();
            assertThat(stored.get(i)).as(ids.get(i)).isNotNull();
            assertThat(stored.get(i).seq()).as("the stored result is the one answered: " + ids.get(i)).isEqualTo(got.seq());
        }
        for (int t = 0; t < threads; t++) {
            assertThat(client.balances(owner(t), "KRW").get(0).available()).as(owner(t) + ": each deposit applied once")
                    .isEqualByComparingTo(Integer.toString(perThread));
        }
    }
}
