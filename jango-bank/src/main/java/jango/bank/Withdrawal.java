package jango.bank;

/**
 * One withdrawal as the gateway records it. Immutable: every transition makes a new record, which
 * is written to the store. {@code amountMinor} is in minor units of the gateway's asset (at most
 * 13 digits, the telegram's amount field). The ledger sees it as hold {@link #holdId()}, placed by
 * command {@link #holdCommandId()} and ended by {@link #takeCommandId()} or
 * {@link #releaseCommandId()}: deterministic ids, so every ledger step is exactly once however
 * often it is retried.
 */
public record Withdrawal(String id, String account, String asset, long amountMinor, String bank, String bankAccount,
                         String recipientName, long txNo, WithdrawalStatus status, String reason, String message,
                         int attempts, long createdAtMillis, long updatedAtMillis, long notBeforeMillis,
                         long bankDate, long bankProcessedAt) {

    /** Longest withdrawal id: "wd." + id + ".release" must stay within the ledger's 64-character ids. */
    public static final int MAX_ID_LENGTH = 40;

    public String holdId() {
        return "wd." + id;
    }

    public String holdCommandId() {
        return "wd." + id + ".hold";
    }

    public String takeCommandId() {
        return "wd." + id + ".take";
    }

    public String releaseCommandId() {
        return "wd." + id + ".release";
    }

    public Withdrawal to(WithdrawalStatus newStatus, long nowMillis) {
        return new Withdrawal(id, account, asset, amountMinor, bank, bankAccount, recipientName, txNo, newStatus, reason, message,
                attempts, createdAtMillis, nowMillis, 0, bankDate, bankProcessedAt);
    }

    public Withdrawal notBefore(long dueMillis) {
        return new Withdrawal(id, account, asset, amountMinor, bank, bankAccount, recipientName, txNo, status, reason, message,
                attempts, createdAtMillis, updatedAtMillis, dueMillis, bankDate, bankProcessedAt);
    }

    public Withdrawal because(String newReason, String newMessage) {
        return new Withdrawal(id, account, asset, amountMinor, bank, bankAccount, recipientName, txNo, status, newReason, newMessage,
                attempts, createdAtMillis, updatedAtMillis, notBeforeMillis, bankDate, bankProcessedAt);
    }

    public Withdrawal attempted() {
        return new Withdrawal(id, account, asset, amountMinor, bank, bankAccount, recipientName, txNo, status, reason, message,
                attempts + 1, createdAtMillis, updatedAtMillis, notBeforeMillis, bankDate, bankProcessedAt);
    }

    /** The bank's business date (yyyyMMdd) and time of processing, from its answer. */
    public Withdrawal decidedOn(long date, long processedAt) {
        return new Withdrawal(id, account, asset, amountMinor, bank, bankAccount, recipientName, txNo, status, reason, message,
                attempts, createdAtMillis, updatedAtMillis, notBeforeMillis, date, processedAt);
    }

    /** Same request: what decides between a replay and an id conflict. */
    public boolean sameRequest(Withdrawal other) {
        return id.equals(other.id) && account.equals(other.account) && amountMinor == other.amountMinor && bank.equals(other.bank)
                && bankAccount.equals(other.bankAccount) && recipientName.equals(other.recipientName);
    }
}
