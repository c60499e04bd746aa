package jango.bank;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when the test says; timers registered with it look again on every move. */
final class ManualClock implements GatewayClock {
    private final AtomicLong now;
    private final List<Runnable> wakes = new CopyOnWriteArrayList<>();

    ManualClock(Instant start) {
        this.now = new AtomicLong(start.toEpochMilli());
    }

    @Override
    public long millis() {
        return now.get();
    }

    @Override
    public void onAdvance(Runnable wake) {
        wakes.add(wake);
    }

    void set(Instant instant) {
        now.set(instant.toEpochMilli());
        wakes.forEach(Runnable::run);
    }
}
