package jango.client;

import java.math.BigDecimal;
import java.time.Instant;

/** One applied change to one asset of an account; {@code commandId} is null for an expiry. */
public record HistoryEntry(long seq, Instant at, String commandId, String type, String asset, BigDecimal available,
                           BigDecimal held, BigDecimal availableDelta, BigDecimal heldDelta, long revision) {
}
