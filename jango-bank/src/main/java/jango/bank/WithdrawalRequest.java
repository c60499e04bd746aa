package jango.bank;

/** A checked POST /v1/withdrawals: the amount is already in minor units of the gateway's asset. */
public record WithdrawalRequest(String id, String account, long amountMinor, String bank, String bankAccount, String recipientName) {
}
