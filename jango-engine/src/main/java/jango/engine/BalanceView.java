package jango.engine;

/** One account's balance of one asset at a moment; {@code revision} counts its changes. */
public record BalanceView(String account, String asset, Int128 available, Int128 held, long revision) {
}
