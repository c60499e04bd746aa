package jango.bank;

/**
 * A deposit a bank notified, keyed by (bank, the bank's transaction number). Credited to the
 * owner of its virtual account by ledger command {@link #commandId()}, or, for an unknown virtual
 * account, moved from {@code @external} to {@code @suspense} by the same id and later resolved by
 * an operator with {@link #resolveCommandId()}.
 */
public record Deposit(String bank, long txNo, String virtualAccount, long amountMinor, String depositorName,
                      String owner, Status status, String resolvedTo, long bankDate, long processedAt, long receivedAtMillis) {
    public enum Status {
        /** Credited to the virtual account's owner. */
        CREDITED,
        /** Held in @suspense: nobody owns the virtual account. */
        SUSPENSE,
        /** Moved from @suspense to {@code resolvedTo} by an operator. */
        RESOLVED
    }

    public String id() {
        return id(bank, txNo);
    }

    public static String id(String bank, long txNo) {
        return bank + "." + txNo;
    }

    public String commandId() {
        return "dep." + id();
    }

    public String resolveCommandId() {
        return "sus." + id();
    }

    public Deposit resolved(String account) {
        return new Deposit(bank, txNo, virtualAccount, amountMinor, depositorName, owner, Status.RESOLVED, account, bankDate, processedAt,
                receivedAtMillis);
    }
}
