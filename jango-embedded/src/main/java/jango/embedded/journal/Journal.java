package jango.embedded.journal;

import static jango.embedded.journal.RecordFormat.BODY_HEADER_BYTES;
import static jango.embedded.journal.RecordFormat.FRAME_BYTES;
import static jango.embedded.journal.RecordFormat.MAX_BODY_BYTES;
import static jango.embedded.journal.RecordFormat.MAX_RECORD_BYTES;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead journal: an append-only sequence of segment files of CRC32C-checked records, each record a
 * batch of consecutive seqs, each append forced to disk before it returns.
 *
 * <p>Single writer: one thread owns a journal (appends and replays). A lock file in the directory keeps a
 * second process (or a second open in this one) out.
 *
 * <p>Why recovery can tell a torn tail from corruption: every append is forced before the next begins, so
 * at most one record (the one in flight at a crash) can be damaged, it is the last, and nothing intact
 * follows it. Anything else that fails verification is corruption of acknowledged data and stops
 * {@link #open} with a {@link JournalCorruptException} instead of being cut away.
 */
public final class Journal implements AutoCloseable {
    /** The largest payload one record can carry. */
    public static final int MAX_PAYLOAD_BYTES = MAX_BODY_BYTES - BODY_HEADER_BYTES;
    static final String LOCK_FILE_NAME = "journal.lock";

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final int INITIAL_WRITE_BUFFER_BYTES = 64 * 1024;
    private static final int PAGE_BYTES = 4096;
    private static final int MAX_ZERO_BUFFER_BYTES = 1024 * 1024;

    /** @param endBytes end of the last record; for the last segment, {@link #currentEnd} is authoritative */
    private record Segment(long firstSeq, Path path, long endBytes) {
    }

    /**
     * Directories of journals open in this JVM. The file lock alone cannot guard against a second open from
     * the same process: POSIX record locks belong to the process, and closing any descriptor of the lock file
     * (as a refused second open would) silently drops the lock the first open holds.
     */
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final Path realDir;
    private final Path dir;
    private final JournalConfig config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SegmentReader reader;
    private final List<Segment> segments;
    private final CRC32C writeCrc = new CRC32C();
    private ByteBuffer writeBuffer = ByteBuffer.allocateDirect(INITIAL_WRITE_BUFFER_BYTES);
    /** Write channel of the last segment. */
    private FileChannel current;
    /** End of the last acknowledged record in the last segment. */
    private long currentEnd;
    /** Size of the last segment's file: zeros from {@link #currentEnd} to here. */
    private long preallocatedEnd;
    /** Zeros to preallocate with; allocated on first use. */
    private ByteBuffer zeros;
    private long nextSeq;
    /** An append failed after it may have touched the disk: the tail past {@link #currentEnd} is unknown. */
    private boolean tailDirty;
    private boolean closed;

    private Journal(Path realDir, Path dir, JournalConfig config, FileChannel lockChannel, FileLock lock,
            SegmentReader reader, List<Segment> segments, FileChannel current, long currentEnd, long nextSeq) {
        this.realDir = realDir;
        this.dir = dir;
        this.config = config;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.reader = reader;
        this.segments = segments;
        this.current = current;
        this.currentEnd = currentEnd;
        this.preallocatedEnd = currentEnd;
        this.nextSeq = nextSeq;
    }

    /**
     * Opens or creates the journal in {@code dir}. Scans every segment and checks every record's CRC32C and
     * seq continuity. A torn tail (the last record of the last segment incomplete or failing its CRC, with
     * nothing but zeros or end of file after it, and no intact record after it) is truncated away: it was
     * never acknowledged. Anything else that fails throws {@link JournalCorruptException} naming the file,
     * the byte offset and what is wrong, and leaves every segment as it was.
     */
    public static Journal open(Path dir, JournalConfig config) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            syncDirectory(dir.toAbsolutePath().getParent());
        }
        Path realDir = dir.toRealPath();
        if (!OPEN_IN_THIS_PROCESS.add(realDir)) {
            throw new IOException("journal already open in this process: dir=" + dir);
        }
        FileChannel lockChannel = null;
        try {
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE_NAME),
                    StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            FileLock lock = tryLock(lockChannel);
            if (lock == null) {
                throw new IOException("journal already open by another process: dir=" + dir);
            }
            return recover(realDir, dir, config, lockChannel, lock);
        } catch (IOException | RuntimeException | Error e) {
            if (lockChannel != null) {
                closeQuietly(lockChannel, e);
            }
            OPEN_IN_THIS_PROCESS.remove(realDir);
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel lockChannel) throws IOException {
        try {
            return lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static Journal recover(Path realDir, Path dir, JournalConfig config, FileChannel lockChannel,
            FileLock lock) throws IOException {
        SegmentReader reader = new SegmentReader(SegmentReader.DEFAULT_BUFFER_BYTES);
        List<Segment> found = listSegments(dir);
        if (found.isEmpty()) {
            Path first = dir.resolve(RecordFormat.segmentFileName(1));
            FileChannel channel = config.opener().open(first);
            try {
                syncDirectory(dir);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel, e);
                throw e;
            }
            return new Journal(realDir, dir, config, lockChannel, lock, reader,
                    new ArrayList<>(List.of(new Segment(1, first, 0))), channel, 0, 1);
        }
        Verified verified = verify(found, reader);
        Segment last = verified.segments().get(verified.segments().size() - 1);
        FileChannel channel = openLastForWriting(config, last, verified);
        return new Journal(realDir, dir, config, lockChannel, lock, reader, verified.segments(), channel,
                last.endBytes(), verified.nextSeq());
    }

    /**
     * What recovery found: every record intact up to {@code nextSeq}; from {@code tailAt} in the last segment
     * (-1: nowhere) zeros, or a torn record if {@code tornReason} is set.
     */
    private record Verified(List<Segment> segments, long nextSeq, long tailAt, String tornReason) {
    }

    /**
     * Checks the segments, read-only: the sealed ones by their names (each starts where the next
     * one's name says the previous ended; a sealed segment was forced and cut to its last record
     * when it was sealed), the last one record by record. Throws on anything but a torn or zero tail
     * at the very end. Start-up reads only the last segment, so it stays quick however long the
     * journal grows; a record in a sealed segment is verified (CRC, seq) when it is replayed, and
     * {@code jango audit} reads them all.
     */
    private static Verified verify(List<Segment> found, SegmentReader reader) throws IOException {
        List<Segment> verified = new ArrayList<>(found.size());
        for (int i = 0; i < found.size() - 1; i++) {
            Segment sealed = found.get(i);
            Segment next = found.get(i + 1);
            long size = Files.size(sealed.path());
            if (size == 0) {
                throw new JournalCorruptException(next.path(), 0, "segment starts at seq " + next.firstSeq()
                        + " but the previous segment ends at seq " + (sealed.firstSeq() - 1) + " (it is empty)");
            }
            verified.add(new Segment(sealed.firstSeq(), sealed.path(), size));
        }
        Segment last = found.get(found.size() - 1);
        long tailAt = -1;
        String tornReason = null;
        try (FileChannel channel = FileChannel.open(last.path(), StandardOpenOption.READ)) {
            long size = channel.size();
            SegmentReader.Result result = reader.scan(channel, size, last.firstSeq(), Long.MAX_VALUE, null);
            SegmentReader.Defect defect = result.defect();
            if (defect != null) {
                tailAt = defect.offset();
                long nonZeroEnd = reader.nonZeroEnd(channel, defect.offset(), size);
                if (nonZeroEnd > defect.offset()) {
                    String notTorn = whyNotTornTail(reader, channel, nonZeroEnd, defect, result.nextSeq());
                    if (notTorn != null) {
                        throw new JournalCorruptException(last.path(), defect.offset(), defect.detail() + "; " + notTorn);
                    }
                    tornReason = defect.detail();
                }
            }
            verified.add(new Segment(last.firstSeq(), last.path(), result.goodEnd()));
            return new Verified(verified, result.nextSeq(), tailAt, tornReason);
        }
    }

    /** Opens the last segment for appends, cutting off a zero or torn tail first (the only write recovery makes). */
    private static FileChannel openLastForWriting(JournalConfig config, Segment last, Verified verified)
            throws IOException {
        FileChannel channel = config.opener().open(last.path());
        try {
            if (verified.tailAt() >= 0) {
                long droppedBytes = channel.size() - verified.tailAt();
                channel.truncate(verified.tailAt());
                channel.force(true);
                if (verified.tornReason() != null) {
                    log.warn("journal torn tail truncated file={} offset={} droppedBytes={} nextSeq={} reason=\"{}\"",
                            last.path(), verified.tailAt(), droppedBytes, verified.nextSeq(), verified.tornReason());
                }
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    /**
     * Null if the defect at the end of the last segment is a torn write (the record in flight when the process
     * or machine stopped), else why it cannot be one. {@code nonZeroEnd} is just past the last non-zero byte
     * of the file, beyond the defect's offset.
     */
    private static String whyNotTornTail(SegmentReader reader, FileChannel channel, long nonZeroEnd,
            SegmentReader.Defect defect, long expectedSeq) throws IOException {
        long searchEnd = nonZeroEnd;
        switch (defect.kind()) {
            case HEADER_INCOMPLETE:
                return null;
            case BAD_COUNT:
            case SEQ_GAP:
                return "the record's CRC is valid, so it was written whole";
            case BAD_CRC:
                if (searchEnd > defect.recordEnd()) {
                    return "non-zero bytes follow the record, so it is not the last write";
                }
                break;
            case BAD_LENGTH:
                if (searchEnd - defect.offset() > MAX_RECORD_BYTES) {
                    return (searchEnd - defect.offset()) + " non-zero bytes follow, more than one record can hold";
                }
                break;
            case BODY_INCOMPLETE:
                break;
            default:
                throw new IllegalStateException("unknown defect: " + defect.kind());
        }
        long intactAt = reader.findIntactRecord(channel, defect.offset() + 1, searchEnd, expectedSeq);
        if (intactAt >= 0) {
            return "an intact record with a later seq follows at offset " + intactAt + ", so this is not the last write";
        }
        return null;
    }

    private static List<Segment> listSegments(Path dir) throws IOException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + RecordFormat.SEGMENT_SUFFIX)) {
            for (Path file : files) {
                long firstSeq = RecordFormat.parseSegmentFileName(file.getFileName().toString());
                if (firstSeq < 0) {
                    throw new JournalCorruptException(file, 0,
                            "segment file name is not a 20-digit seq >= 1 followed by .seg");
                }
                segments.add(new Segment(firstSeq, file, -1));
            }
        }
        segments.sort(Comparator.comparingLong(Segment::firstSeq));
        return segments;
    }

    /** Seq the next record must start at (1 for an empty journal). */
    public long nextSeq() {
        return nextSeq;
    }

    /** Oldest seq still present (1 unless segments were deleted). */
    public long firstSeq() {
        return segments.get(0).firstSeq();
    }

    /**
     * Appends one record holding entries {@code [firstSeq, firstSeq + count)} and forces it to disk before
     * returning: after return it survives kill -9 and power loss. One write and one force ({@code fdatasync});
     * once per {@link JournalConfig#preallocateBytes()} a second write extends the file with zeros first.
     *
     * <p>On IOException the journal keeps the end of the last acknowledged record; the next append (a retry)
     * first truncates back to it and rewrites the whole record, so a retry never leaves a partial record
     * behind. A record whose append threw may still be found whole after a crash or reopen: it was never
     * acknowledged, but it is not guaranteed absent either.
     */
    public void append(long firstSeq, int count, byte[] payload, int offset, int length) throws IOException {
        ensureOpen();
        if (firstSeq != nextSeq) {
            throw new IllegalArgumentException("firstSeq: " + firstSeq + " (expected: nextSeq " + nextSeq + ")");
        }
        if (count < 1 || firstSeq > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("count: " + count + " (expected: >= 1, firstSeq + count without overflow)");
        }
        Objects.checkFromIndexSize(offset, length, payload.length);
        if (length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("length: " + length + " (expected: <= " + MAX_PAYLOAD_BYTES + ")");
        }
        if (tailDirty) {
            repairTail();
        }
        tailDirty = true;
        if (currentEnd >= config.segmentBytes()) {
            roll();
        }
        ByteBuffer record = encode(firstSeq, count, payload, offset, length);
        int recordBytes = record.remaining();
        if (currentEnd + recordBytes > preallocatedEnd) {
            preallocate(currentEnd + recordBytes);
        }
        writeFully(record, currentEnd);
        current.force(false);
        tailDirty = false;
        currentEnd += recordBytes;
        nextSeq = firstSeq + count;
    }

    /**
     * Extends the last segment with zeros past {@code recordEnd}, in chunks, so that most forces find the file
     * size unchanged. The record's own force makes the new size durable; no extra force here.
     */
    private void preallocate(long recordEnd) throws IOException {
        long chunkBytes = Math.min(config.preallocateBytes(), config.segmentBytes());
        if (chunkBytes == 0) {
            return;
        }
        long target = roundUpToPage(Math.max(recordEnd, preallocatedEnd + chunkBytes));
        if (zeros == null) {
            zeros = ByteBuffer.allocateDirect((int) Math.min(chunkBytes + PAGE_BYTES, MAX_ZERO_BUFFER_BYTES));
        }
        for (long position = Math.max(preallocatedEnd, recordEnd); position < target; ) {
            ByteBuffer chunk = zeros.clear().limit((int) Math.min(zeros.capacity(), target - position));
            position += writeFully(chunk, position);
        }
        preallocatedEnd = target;
    }

    private static long roundUpToPage(long bytes) {
        return (bytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
    }

    private int writeFully(ByteBuffer bytes, long position) throws IOException {
        int written = 0;
        while (bytes.hasRemaining()) {
            written += current.write(bytes, position + written);
        }
        return written;
    }

    /** Puts the last segment back to its last acknowledged end, reopening the channel if a fault closed it. */
    private void repairTail() throws IOException {
        if (!current.isOpen()) {
            current = config.opener().open(segments.get(segments.size() - 1).path());
        }
        current.truncate(currentEnd);
        // Metadata too: a truncation lost in a crash would bring back the bytes of the failed write.
        current.force(true);
        preallocatedEnd = currentEnd;
        tailDirty = false;
    }

    private void roll() throws IOException {
        if (preallocatedEnd > currentEnd) {
            // A sealed segment ends exactly at its last record: recovery treats anything after as corruption.
            current.truncate(currentEnd);
            current.force(true);
            preallocatedEnd = currentEnd;
        }
        Path path = dir.resolve(RecordFormat.segmentFileName(nextSeq));
        FileChannel next = config.opener().open(path);
        try {
            // An earlier roll that failed may have left this file; it never held an acknowledged record.
            next.truncate(0);
            syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            closeQuietly(next, e);
            throw e;
        }
        int lastIndex = segments.size() - 1;
        Segment sealed = segments.get(lastIndex);
        segments.set(lastIndex, new Segment(sealed.firstSeq(), sealed.path(), currentEnd));
        segments.add(new Segment(nextSeq, path, 0));
        FileChannel sealedChannel = current;
        current = next;
        currentEnd = 0;
        preallocatedEnd = 0;
        try {
            sealedChannel.close();
        } catch (IOException e) {
            // Everything in it was forced before it was acknowledged.
            log.warn("journal segment close failed file={} error=\"{}\"", sealed.path(), e.toString());
        }
    }

    private ByteBuffer encode(long firstSeq, int count, byte[] payload, int offset, int length) {
        int bodyBytes = BODY_HEADER_BYTES + length;
        int recordBytes = FRAME_BYTES + bodyBytes;
        if (writeBuffer.capacity() < recordBytes) {
            writeBuffer = ByteBuffer.allocateDirect(
                    (int) Math.min(MAX_RECORD_BYTES, Math.max(recordBytes, 2L * writeBuffer.capacity())));
        }
        ByteBuffer record = writeBuffer.clear();
        record.putInt(bodyBytes).putInt(0).putLong(firstSeq).putInt(count).put(payload, offset, length);
        record.flip();
        writeCrc.reset();
        writeCrc.update(record.position(FRAME_BYTES));
        record.putInt(4, (int) writeCrc.getValue());
        return record.position(0);
    }

    /**
     * Calls the visitor for every record with {@code firstSeq + count - 1 >= fromSeq}, in order. Records are
     * whole batches: the visitor skips entries below {@code fromSeq} itself. Records are verified again as
     * they are read; one that no longer verifies throws {@link JournalCorruptException}.
     */
    public void replay(long fromSeq, RecordVisitor visitor) throws IOException {
        ensureOpen();
        Objects.requireNonNull(visitor, "visitor");
        for (int i = segmentIndexFor(fromSeq); i < segments.size(); i++) {
            Segment segment = segments.get(i);
            long end = i == segments.size() - 1 ? currentEnd : segment.endBytes();
            if (end == 0) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
                SegmentReader.Result result = reader.scan(channel, end, segment.firstSeq(), fromSeq, visitor);
                SegmentReader.Defect defect = result.defect();
                if (defect != null) {
                    throw new JournalCorruptException(segment.path(), defect.offset(), defect.detail()
                            + (i == segments.size() - 1 ? "; found by replay, so the file changed after it was opened"
                            : "; in a sealed segment (start-up checks only the last one)"));
                }
                if (i < segments.size() - 1 && result.nextSeq() != segments.get(i + 1).firstSeq()) {
                    Segment next = segments.get(i + 1);
                    throw new JournalCorruptException(next.path(), 0, "segment starts at seq " + next.firstSeq()
                            + " but the previous segment ends at seq " + (result.nextSeq() - 1) + " (expected file "
                            + RecordFormat.segmentFileName(result.nextSeq()) + ")");
                }
            }
        }
    }

    /** Index of the last segment starting at or before {@code seq} (0 if seq precedes them all). */
    private int segmentIndexFor(long seq) {
        int low = 0;
        int high = segments.size() - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (segments.get(mid).firstSeq() <= seq) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /**
     * Deletes the oldest segments whose every seq is below {@code seq} (never the last segment), oldest first
     * so a crash leaves a contiguous journal. For retention once a snapshot covers them. Returns how many.
     */
    public int deleteSegmentsBefore(long seq) throws IOException {
        ensureOpen();
        int deleted = 0;
        while (segments.size() > 1 && segments.get(1).firstSeq() <= seq) {
            Files.delete(segments.get(0).path());
            segments.remove(0);
            deleted++;
        }
        if (deleted > 0) {
            syncDirectory(dir);
        }
        return deleted;
    }

    public Path directory() {
        return dir;
    }

    /** Closes the files and releases the directory lock. Nothing is lost: every append was already forced. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            current.close();
        } catch (IOException e) {
            failure = e;
        }
        try {
            lock.release();
        } catch (IOException e) {
            failure = addTo(failure, e);
        }
        try {
            lockChannel.close();
        } catch (IOException e) {
            failure = addTo(failure, e);
        }
        OPEN_IN_THIS_PROCESS.remove(realDir);
        if (failure != null) {
            throw new UncheckedIOException("journal close failed: dir=" + dir, failure);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("journal closed: dir=" + dir);
        }
    }

    /** Makes a file creation, deletion or rename in {@code directory} durable. */
    private static void syncDirectory(Path directory) throws IOException {
        if (directory == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static IOException addTo(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static void closeQuietly(AutoCloseable closeable, Throwable cause) {
        try {
            closeable.close();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }
}
