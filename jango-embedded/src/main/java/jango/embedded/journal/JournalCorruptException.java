package jango.embedded.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The journal holds something it did not write, or lost something it did: a bad record that is not a torn
 * tail, a seq gap, a missing segment. Recovery stops here on purpose; an operator must look at the file.
 */
public final class JournalCorruptException extends IOException {
    private final transient Path file;
    private final long offset;
    private final String problem;

    public JournalCorruptException(Path file, long offset, String problem) {
        super(file + ": offset " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    /** Byte offset in {@link #file()} of the record (or segment start) that is wrong. */
    public long offset() {
        return offset;
    }

    public String problem() {
        return problem;
    }
}
