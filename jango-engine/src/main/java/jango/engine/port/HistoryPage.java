package jango.engine.port;

import java.util.List;

/** A page of history, newest first; {@code next} is the opaque cursor of the next page, or null. */
public record HistoryPage(List<HistoryEntry> entries, String next) {
}
