package jango.client;

import java.math.BigDecimal;
import java.time.Instant;

/** A hold: {@code expiresAt} null when it never expires. */
public record Hold(String hold, String account, String asset, BigDecimal amount, BigDecimal remaining, Instant expiresAt,
                   State state) {
    public enum State { OPEN, RELEASED, SETTLED, EXPIRED }
}
