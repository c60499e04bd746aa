package jango.bank;

/** What POST /v1/withdrawals came to. */
public sealed interface AcceptResult {
    /** Recorded (new, or the same request again when {@code replayed}); {@code withdrawal} is its state now. */
    record Accepted(Withdrawal withdrawal, boolean replayed) implements AcceptResult {
    }

    /** The id was used before with another request; nothing changed. */
    record Conflict(Withdrawal existing) implements AcceptResult {
    }

    /** The bank's bounded queue is full: nothing was recorded or held. */
    record QueueFull(String bank, int capacity) implements AcceptResult {
    }
}
