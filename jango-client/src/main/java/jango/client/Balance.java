package jango.client;

import java.math.BigDecimal;

/** One account's balance of one asset; {@code revision} counts its changes and only grows. */
public record Balance(String account, String asset, BigDecimal available, BigDecimal held, long revision) {
    public BigDecimal total() {
        return available.add(held);
    }
}
