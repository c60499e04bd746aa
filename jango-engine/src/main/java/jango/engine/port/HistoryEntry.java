package jango.engine.port;

import jango.engine.Int128;

/** One row of account history: an APPLIED command's (or an expiry's) change to one asset. */
public record HistoryEntry(long seq, long atMicros, String commandId, String type, String asset,
                           Int128 available, Int128 held, Int128 availableDelta, Int128 heldDelta, long revision) {
}
