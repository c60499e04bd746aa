package jango.engine;

import java.util.List;

/**
 * The stored, final result of a client command. {@code reason} and {@code message} are null when
 * APPLIED; {@code balances} is empty when REJECTED.
 */
public record Result(String id, Status status, Reason reason, String message, long seq, long atMicros,
                     List<BalanceView> balances) {
    public Result {
        balances = List.copyOf(balances);
    }

    public boolean applied() {
        return status == Status.APPLIED;
    }
}
