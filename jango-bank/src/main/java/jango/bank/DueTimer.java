package jango.bank;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs tasks at their due time on the gateway's clock: one thread sleeps until the earliest due
 * time (never polling), and wakes early when an earlier task arrives or the clock jumps. Tasks must
 * be short and must not block (they hand work on); one bank's timer never waits for another's.
 * Bounded: at most one entry per open withdrawal of the bank, and {@link #schedule} refuses past
 * {@code capacity}.
 */
final class DueTimer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DueTimer.class);

    private record Entry(long dueMillis, long order, Runnable task) {
    }

    private final GatewayClock clock;
    private final int capacity;
    private final PriorityQueue<Entry> entries = new PriorityQueue<>((a, b) -> a.dueMillis != b.dueMillis
            ? Long.compare(a.dueMillis, b.dueMillis) : Long.compare(a.order, b.order));
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    private long order;
    private volatile boolean closed;

    DueTimer(String name, GatewayClock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        clock.onAdvance(this::wake);
    }

    DueTimer start() {
        thread.start();
        return this;
    }

    void schedule(long dueMillis, Runnable task) {
        lock.lock();
        try {
            if (entries.size() >= capacity) {
                throw new IllegalStateException("timer " + thread.getName() + " is full (" + capacity + " entries)");
            }
            entries.add(new Entry(dueMillis, order++, task));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (!closed) {
            Runnable due = null;
            lock.lock();
            try {
                Entry first = entries.peek();
                if (first == null) {
                    changed.await();
                } else {
                    long waitMs = first.dueMillis - clock.millis();
                    if (waitMs <= 0) {
                        due = entries.poll().task;
                    } else {
                        changed.await(waitMs, TimeUnit.MILLISECONDS);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (due != null) {
                try {
                    due.run();
                } catch (RuntimeException e) {
                    log.error("event=timer_task_failed timer={}", thread.getName(), e);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        BankChannel.joinQuietly(thread);
    }
}
