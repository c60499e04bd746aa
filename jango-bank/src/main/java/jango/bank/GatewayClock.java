package jango.bank;

/**
 * The gateway's wall clock (epoch milliseconds) for due times, calendars and records. Tests pass
 * one they move by hand; it then tells the gateway's timers to look again ({@link #onAdvance}).
 */
public interface GatewayClock {
    GatewayClock SYSTEM = System::currentTimeMillis;

    long millis();

    /** Registers a timer to wake when this clock jumps (a clock that only runs never calls it). */
    default void onAdvance(Runnable wake) {
    }
}
