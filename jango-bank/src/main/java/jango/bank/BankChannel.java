package jango.bank;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import jango.bank.link.BankLink;
import jango.bank.link.LinkException;
import jango.bank.telegram.AnswerCode;
import jango.bank.telegram.Telegram;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Everything about one bank that no other bank shares: its line, its flow control (a rate limiter,
 * a concurrency limit and a circuit breaker, all Resilience4j), its queue of withdrawals ready to
 * go, its timer and its dispatcher thread. A slow or failing bank fills only its own queue and
 * blocks only its own thread.
 *
 * <p>The dispatcher takes ready withdrawals in order, and for each one asks the breaker, the
 * concurrency limit and the rate limiter; it hands the ones that got all three to the gateway in a
 * batch (one fsync for the batch's SENT records), which then sends each through {@link #call}.
 * Inside a maintenance window it sends nothing and hands every ready one back to wait for the end.
 */
final class BankChannel implements AutoCloseable {
    /** Most withdrawals handed over in one batch (one fsync). */
    static final int MAX_BATCH = 256;

    /** What the gateway does for the dispatcher. Called on the dispatcher thread. */
    interface Sending {
        /** The open withdrawal {@code id} if it is waiting to be sent (a transfer or an inquiry), else null. */
        Withdrawal waiting(String id);

        /** {@code withdrawal} met a maintenance window ending at {@code endMillis}: it waits for it. */
        void windowed(Withdrawal withdrawal, long endMillis);

        /** Send every one of them through {@link #call}; each holds its permits until its call completes. */
        void send(List<Withdrawal> batch);
    }

    private final String code;
    private final GatewayClock clock;
    private final BankLink link;
    private final CircuitBreaker breaker;
    private final Bulkhead bulkhead;
    private final DueTimer timer;
    private final Thread dispatcher;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lastTxNo;
    private final BankMetrics metrics;
    private volatile BankConfig config;
    private volatile RateLimiter rateLimiter;
    private volatile SendPacer pacer;
    private volatile Sending sending;
    private volatile boolean closed;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final Set<String> readySet = new HashSet<>();

    BankChannel(BankConfig config, GatewayClock clock, long lastTxNo, BankLink.Settings linkSettings, BankLink.Listener listener,
                BankMetrics metrics) {
        this.code = config.code();
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.lastTxNo = new AtomicLong(lastTxNo);
        this.breaker = CircuitBreaker.of("bank-" + code, breakerConfig(config.breaker()));
        this.bulkhead = Bulkhead.of("bank-" + code, BulkheadConfig.custom().maxConcurrentCalls(config.concurrency())
                .maxWaitDuration(Duration.ZERO).build());
        this.rateLimiter = rateLimiter(config.tps());
        this.pacer = config.tps() == 0 ? null : new SendPacer(config.tps());
        this.timer = new DueTimer("bank-timer-" + code, clock, config.queueCapacity() * 2 + 1_000);
        this.link = new BankLink(code, config.address(), new BankLink.Listener() {
            @Override
            public void up() {
                signal();
                listener.up();
            }

            @Override
            public void down(String reason) {
                listener.down(reason);
            }

            @Override
            public void request(Telegram telegram) {
                listener.request(telegram);
            }
        }, linkSettings, this::echoRequest);
        this.dispatcher = Thread.ofPlatform().daemon().name("bank-dispatch-" + code).unstarted(this::dispatch);
        breaker.getEventPublisher().onStateTransition(event -> signal());
    }

    void start(Sending newSending) {
        this.sending = newSending;
        timer.start();
        link.start();
        dispatcher.start();
    }

    private static CircuitBreakerConfig breakerConfig(BankConfig.Breaker settings) {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.windowSize())
                .minimumNumberOfCalls(settings.minimumCalls())
                .failureRateThreshold(settings.failureRatePercent())
                .waitDurationInOpenState(settings.openFor())
                .permittedNumberOfCallsInHalfOpenState(settings.trialCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .recordExceptions(Throwable.class)
                .build();
    }

    /**
     * A limiter that paces rather than bursts: one permit every 1/tps second, stretched by 5%, so
     * that jitter on the line never shows the bank more than {@code tps} in any second. Null = no limit.
     */
    private static RateLimiter rateLimiter(int tps) {
        if (tps == 0) {
            return null;
        }
        long periodNanos = Math.max(1, TimeUnit.SECONDS.toNanos(1) * 105 / 100 / tps);
        return RateLimiter.of("bank-tps", RateLimiterConfig.custom().limitForPeriod(1).limitRefreshPeriod(Duration.ofNanos(periodNanos))
                .timeoutDuration(Duration.ZERO).build());
    }

    // ---- what the gateway reads and changes -------------------------------------------------

    String code() {
        return code;
    }

    BankConfig config() {
        return config;
    }

    BankLink link() {
        return link;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    Bulkhead bulkhead() {
        return bulkhead;
    }

    DueTimer timer() {
        return timer;
    }

    int open() {
        return open.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    int readyCount() {
        lock.lock();
        try {
            return ready.size();
        } finally {
            lock.unlock();
        }
    }

    long nextTxNo() {
        return lastTxNo.incrementAndGet();
    }

    /** Takes a place in the bounded queue for a new withdrawal; false when it is full. */
    boolean reserve() {
        while (true) {
            int now = open.get();
            if (now >= config.queueCapacity()) {
                return false;
            }
            if (open.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** A withdrawal found open at start-up. */
    void recovered() {
        open.incrementAndGet();
    }

    void release() {
        open.decrementAndGet();
    }

    void applyLimits(int tps, int concurrency, int queueCapacity) {
        config = config.withLimits(tps, concurrency, queueCapacity);
        rateLimiter = rateLimiter(tps);
        pacer = tps == 0 ? null : new SendPacer(tps);
        bulkhead.changeConfig(BulkheadConfig.custom().maxConcurrentCalls(concurrency).maxWaitDuration(Duration.ZERO).build());
        signal();
    }

    void applyCalendar(MaintenanceCalendar calendar) {
        config = config.withCalendar(calendar);
        signal();
    }

    /** The end of the maintenance window the bank is in now, or null when it is open. */
    Long windowEnd() {
        Instant end = config.calendar().endOfWindowAt(Instant.ofEpochMilli(clock.millis()));
        return end == null ? null : end.toEpochMilli();
    }

    /** {@code id} goes to the back of the ready queue (once). */
    void ready(String id) {
        lock.lock();
        try {
            if (readySet.add(id)) {
                ready.addLast(id);
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code id} becomes ready at {@code dueMillis} on the gateway's clock. */
    void readyAt(long dueMillis, String id) {
        if (dueMillis <= clock.millis()) {
            ready(id);
        } else {
            timer.schedule(dueMillis, () -> ready(id));
        }
    }

    void signal() {
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- calls to the bank ------------------------------------------------------------------

    /**
     * Sends a telegram that holds the permits the dispatcher took for it, and gives them back when
     * the answer (or the failure) comes: the breaker learns a failure from a timeout, a broken
     * line, BUSY or a code it does not know, and a success from any other answer; MAINTENANCE
     * counts as neither.
     */
    CompletableFuture<Telegram> call(Telegram telegram) {
        inFlight.incrementAndGet();
        long start = System.nanoTime();
        CompletableFuture<Telegram> request;
        try {
            SendPacer paced = pacer;
            if (paced != null) {
                paced.awaitTurn();
            }
            request = link.request(telegram, config.answerTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: nothing was written
            request = CompletableFuture.failedFuture(new LinkException("bank " + code + ": closing before the write", false));
        }
        return request.whenComplete((answer, error) -> {
            long nanos = System.nanoTime() - start;
            inFlight.decrementAndGet();
            bulkhead.onComplete();
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                breaker.onError(nanos, TimeUnit.NANOSECONDS, cause);
                metrics.callFailed(code, cause instanceof TimeoutException ? "timeout" : cause instanceof LinkException ? "line" : "other");
            } else {
                String code = answer.code();
                if (code.equals(AnswerCode.MAINTENANCE.code())) {
                    breaker.releasePermission();
                } else if (code.equals(AnswerCode.BUSY.code()) || AnswerCode.byCode(code) == null) {
                    breaker.onError(nanos, TimeUnit.NANOSECONDS, new IllegalStateException("bank answered " + code));
                } else {
                    breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                }
                metrics.roundTrip(this.code, nanos);
            }
            signal();
        });
    }

    /** Gives back the permits of a withdrawal the dispatcher took but the gateway did not send. */
    void abandon() {
        bulkhead.onComplete();
        breaker.releasePermission();
        signal();
    }

    private Telegram echoRequest() {
        return Telegram.of(jango.bank.telegram.MessageType.ECHO_REQUEST).with("bank", Integer.parseInt(code))
                .with("txNo", System.nanoTime() & 0xffffffffL).with("businessDate", Telegrams.date(clock.millis()))
                .with("sentAt", Telegrams.stamp(clock.millis())).with("code", "");
    }

    // ---- the dispatcher ---------------------------------------------------------------------

    private void dispatch() {
        while (!closed) {
            try {
                List<Withdrawal> batch = nextBatch();
                if (!batch.isEmpty()) {
                    sending.send(batch);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // The gateway's store failed: the batch stays in its recorded states and is retried later.
                org.slf4j.LoggerFactory.getLogger(BankChannel.class).error("event=dispatch_failed bank={}", code, e);
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /** Waits for ready withdrawals, then takes those that get permits now; empty when it had to wait instead. */
    private List<Withdrawal> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (ready.isEmpty() && !closed) {
                wake.await(1, TimeUnit.SECONDS);
            }
        } finally {
            lock.unlock();
        }
        Long windowEnd = windowEnd();
        if (windowEnd != null) {
            for (String id = poll(); id != null; id = poll()) {
                Withdrawal withdrawal = sending.waiting(id);
                if (withdrawal != null) {
                    sending.windowed(withdrawal, windowEnd);
                }
            }
            return List.of();
        }
        if (!link.up()) {
            await(TimeUnit.MILLISECONDS.toNanos(500));
            return List.of();
        }
        List<Withdrawal> batch = new ArrayList<>();
        while (batch.size() < MAX_BATCH) {
            String id = poll();
            if (id == null) {
                break;
            }
            Withdrawal withdrawal = sending.waiting(id);
            if (withdrawal == null) {
                continue; // it moved on (answered late, recovered...): nothing to send
            }
            long waitNanos = takePermits();
            if (waitNanos > 0) {
                pushBack(id);
                if (batch.isEmpty()) {
                    await(waitNanos);
                }
                break;
            }
            batch.add(withdrawal);
        }
        return batch;
    }

    /** Takes the breaker's, the concurrency limit's and the rate limiter's permits, all or none: 0, or how long to wait. */
    private long takePermits() {
        if (!breaker.tryAcquirePermission()) {
            return TimeUnit.MILLISECONDS.toNanos(breaker.getState() == CircuitBreaker.State.HALF_OPEN ? 50 : 1_000);
        }
        if (!bulkhead.tryAcquirePermission()) {
            breaker.releasePermission();
            return TimeUnit.SECONDS.toNanos(1); // woken as soon as a call completes
        }
        RateLimiter limiter = rateLimiter;
        if (limiter != null && !limiter.acquirePermission()) {
            bulkhead.onComplete();
            breaker.releasePermission();
            long nanos = limiter instanceof AtomicRateLimiter atomic ? atomic.getDetailedMetrics().getNanosToWait() : 1_000_000;
            return Math.max(1, nanos);
        }
        return 0;
    }

    private String poll() {
        lock.lock();
        try {
            String id = ready.pollFirst();
            if (id != null) {
                readySet.remove(id);
            }
            return id;
        } finally {
            lock.unlock();
        }
    }

    private void pushBack(String id) {
        lock.lock();
        try {
            if (readySet.add(id)) {
                ready.addFirst(id);
            }
        } finally {
            lock.unlock();
        }
    }

    private void await(long nanos) throws InterruptedException {
        lock.lock();
        try {
            wake.awaitNanos(nanos);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        dispatcher.interrupt();
        timer.close();
        link.close();
        // The dispatcher writes to the gateway's store: it must be done before the store closes.
        joinQuietly(dispatcher);
    }

    /** Waits up to 5 s for {@code thread} to end, unless it is the caller. */
    static void joinQuietly(Thread thread) {
        if (thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
