package jango.embedded.journal;

import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * How the journal lays out and opens its files.
 *
 * @param segmentBytes a segment is closed and a new one started once it holds at least this many bytes
 *                     (so a segment exceeds it by at most one record)
 * @param opener       opens segment files for writing; tests pass one that injects faults
 */
public record JournalConfig(long segmentBytes, ChannelOpener opener) {
    public static final long DEFAULT_SEGMENT_BYTES = 256L * 1024 * 1024;
    public static final ChannelOpener DEFAULT_OPENER = path -> FileChannel.open(path,
            StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);

    public JournalConfig {
        if (segmentBytes <= 0) {
            throw new IllegalArgumentException("segmentBytes: " + segmentBytes + " (expected: > 0)");
        }
        Objects.requireNonNull(opener, "opener");
    }

    /** 256 MiB segments, plain {@link FileChannel}s. */
    public static JournalConfig defaults() {
        return new JournalConfig(DEFAULT_SEGMENT_BYTES, DEFAULT_OPENER);
    }

    public JournalConfig withSegmentBytes(long newSegmentBytes) {
        return new JournalConfig(newSegmentBytes, opener);
    }

    public JournalConfig withOpener(ChannelOpener newOpener) {
        return new JournalConfig(segmentBytes, newOpener);
    }
}
