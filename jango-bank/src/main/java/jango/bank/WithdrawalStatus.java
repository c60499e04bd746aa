package jango.bank;

/** Where a withdrawal stands (docs/banking.md has the diagram). */
public enum WithdrawalStatus {
    /** Recorded; the hold is being placed in the ledger. */
    REQUESTED,
    /** Held; the bank is in a maintenance window and the withdrawal goes when it ends ({@code notBefore}). */
    DELAYED,
    /** Held; waiting for the bank's flow control (rate, concurrency, circuit breaker) or a retry time. */
    QUEUED,
    /** Held; the transfer telegram left (its transaction number was durable first); waiting for the answer. */
    SENT,
    /** Held; the bank did not answer, or answered something unknown: a result inquiry is due at {@code notBefore}. */
    UNKNOWN,
    /** The bank paid; the held funds are being taken in the ledger. */
    CONFIRMED,
    /** The bank refused for good; the hold is being released. */
    REFUSED,
    /** Final: the bank paid and the funds were taken from the hold. */
    COMPLETED,
    /** Final: the bank refused (reason = its answer code) and the hold was released. */
    FAILED,
    /** Final: the ledger refused the hold (e.g. INSUFFICIENT_FUNDS); nothing was held or sent. */
    REJECTED;

    public boolean ended() {
        return this == COMPLETED || this == FAILED || this == REJECTED;
    }

    /** Funds are held for it in the ledger (or are being placed, taken or released). */
    public boolean holding() {
        return !ended();
    }

    /** Not yet handed to the bank: what the bounded per-bank queue counts as waiting. */
    public boolean waiting() {
        return this == REQUESTED || this == DELAYED || this == QUEUED;
    }
}
