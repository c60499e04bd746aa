package jango.client;

import java.time.Instant;
import java.util.List;

/**
 * The stored, final result of a command: APPLIED with the balances it touched, or REJECTED with
 * the reason ({@code INSUFFICIENT_FUNDS}, {@code UNKNOWN_ASSET}...). A rejection is recorded like
 * an application: retrying the same id gives it again. {@code replayed} is true when this answer
 * is the stored result of an earlier submission (a retry).
 */
public record CommandResult(String id, Status status, String reason, String message, long seq, Instant at,
                            List<Balance> balances, boolean replayed) {
    public enum Status { APPLIED, REJECTED }

    public CommandResult {
        balances = List.copyOf(balances);
    }

    public boolean applied() {
        return status == Status.APPLIED;
    }
}
