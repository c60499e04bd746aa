package jango.client;

import java.util.List;

/** A page of history, newest first; {@code next} is the cursor of the next page, null after the last. */
public record HistoryPage(List<HistoryEntry> entries, String next) {
    public HistoryPage {
        entries = List.copyOf(entries);
    }
}
