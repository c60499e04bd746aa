package jango.engine;

/**
 * Event: an APPLIED command (or an expiry) changed one account's balance of one asset. Feeds the
 * history index and read models; {@code commandId} is null for expiries.
 */
public record BalanceChange(long seq, long atMicros, String commandId, String type, String account, String asset,
                            Int128 available, Int128 held, Int128 availableDelta, Int128 heldDelta, long revision) {
}
