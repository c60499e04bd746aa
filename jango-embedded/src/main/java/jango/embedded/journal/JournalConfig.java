package jango.embedded.journal;

import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * How the journal lays out and opens its files.
 *
 * @param segmentBytes     a segment is sealed and a new one started once it holds at least this many bytes
 *                         (so a segment exceeds it by at most one record)
 * @param opener           opens segment files for writing; tests pass one that injects faults
 * @param preallocateBytes how far ahead of the records the last segment is filled with zeros (at most
 *                         {@code segmentBytes} at a time); 0 turns it off. A force of data written into space
 *                         that already exists need not commit a new file size, which on ext4 roughly doubles
 *                         forced appends per second
 */
public record JournalConfig(long segmentBytes, ChannelOpener opener, int preallocateBytes) {
    public static final long DEFAULT_SEGMENT_BYTES = 256L * 1024 * 1024;
    public static final int DEFAULT_PREALLOCATE_BYTES = 1024 * 1024;
    public static final int MAX_PREALLOCATE_BYTES = 64 * 1024 * 1024;
    public static final ChannelOpener DEFAULT_OPENER = path -> FileChannel.open(path,
            StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);

    public JournalConfig {
        if (segmentBytes <= 0) {
            throw new IllegalArgumentException("segmentBytes: " + segmentBytes + " (expected: > 0)");
        }
        Objects.requireNonNull(opener, "opener");
        if (preallocateBytes < 0 || preallocateBytes > MAX_PREALLOCATE_BYTES) {
            throw new IllegalArgumentException("preallocateBytes: " + preallocateBytes
                    + " (expected: 0.." + MAX_PREALLOCATE_BYTES + ")");
        }
    }

    /** With the default preallocation. */
    public JournalConfig(long segmentBytes, ChannelOpener opener) {
        this(segmentBytes, opener, DEFAULT_PREALLOCATE_BYTES);
    }

    /** 256 MiB segments, 1 MiB preallocated ahead, plain {@link FileChannel}s. */
    public static JournalConfig defaults() {
        return new JournalConfig(DEFAULT_SEGMENT_BYTES, DEFAULT_OPENER, DEFAULT_PREALLOCATE_BYTES);
    }

    public JournalConfig withSegmentBytes(long newSegmentBytes) {
        return new JournalConfig(newSegmentBytes, opener, preallocateBytes);
    }

    public JournalConfig withOpener(ChannelOpener newOpener) {
        return new JournalConfig(segmentBytes, newOpener, preallocateBytes);
    }

    public JournalConfig withPreallocateBytes(int newPreallocateBytes) {
        return new JournalConfig(segmentBytes, opener, newPreallocateBytes);
    }
}
