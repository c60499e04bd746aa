package jango.embedded.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Opens the channels the journal writes through (segment files). A seam for tests that inject disk faults;
 * production uses {@link JournalConfig#DEFAULT_OPENER}. Read-only scans open their own channels.
 */
@FunctionalInterface
public interface ChannelOpener {
    /** Opens {@code path} for reading and writing, creating it if it does not exist. */
    FileChannel open(Path path) throws IOException;
}
