package jango.embedded.journal;

import static jango.embedded.journal.RecordFormat.BODY_HEADER_BYTES;
import static jango.embedded.journal.RecordFormat.FRAME_BYTES;
import static jango.embedded.journal.RecordFormat.MAX_BODY_BYTES;
import static jango.embedded.journal.RecordFormat.MAX_RECORD_BYTES;
import static jango.embedded.journal.RecordFormat.RECORD_HEADER_BYTES;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads the records of one segment front to back through one reusable buffer, in large sequential reads,
 * verifying every record, and stops at the first one that is not intact. Not thread-safe.
 */
final class SegmentReader {
    static final int DEFAULT_BUFFER_BYTES = 1024 * 1024;

    enum DefectKind {
        /** Fewer than {@value RecordFormat#FRAME_BYTES} bytes before the end of the file. */
        HEADER_INCOMPLETE,
        /** The length field is outside {@code [12, MAX_BODY_BYTES]}. */
        BAD_LENGTH,
        /** The length is plausible but the file ends before the body does. */
        BODY_INCOMPLETE,
        BAD_CRC,
        /** CRC-valid, but the count is below 1 or overflows the seq. */
        BAD_COUNT,
        /** CRC-valid, but not the seq that follows the previous record. */
        SEQ_GAP
    }

    /** @param recordEnd where the record ends if its length is to be believed, else -1 */
    record Defect(DefectKind kind, long offset, long recordEnd, String detail) {
    }

    /** @param defect null if every record up to the limit was intact */
    record Result(long goodEnd, long nextSeq, long records, Defect defect) {
    }

    private final CRC32C crc = new CRC32C();
    private byte[] buffer;
    private ByteBuffer view;
    private FileChannel channel;
    private long limit;
    /** File offset of {@code buffer[0]}. */
    private long bufferOffset;
    /** Index in the buffer of the record being parsed. */
    private int start;
    /** Bytes of the buffer holding file data. */
    private int filled;

    SegmentReader(int initialBufferBytes) {
        buffer = new byte[initialBufferBytes];
        view = ByteBuffer.wrap(buffer);
    }

    /**
     * Verifies records in {@code [0, limit)} of the channel, expecting the first to start at {@code firstSeq},
     * and hands each whose last seq is at least {@code fromSeq} to the visitor (null: verify only).
     */
    Result scan(FileChannel source, long byteLimit, long firstSeq, long fromSeq, RecordVisitor visitor)
            throws IOException {
        reset(source, byteLimit);
        long expectedSeq = firstSeq;
        long records = 0;
        while (true) {
            long recordOffset = bufferOffset + start;
            if (recordOffset == limit) {
                return new Result(recordOffset, expectedSeq, records, null);
            }
            Defect defect = null;
            if (!ensure(FRAME_BYTES)) {
                defect = new Defect(DefectKind.HEADER_INCOMPLETE, recordOffset, -1,
                        "record header incomplete: " + (limit - recordOffset) + " bytes before end of file");
            } else {
                defect = check(recordOffset, expectedSeq);
            }
            if (defect != null) {
                return new Result(recordOffset, expectedSeq, records, defect);
            }
            int bodyBytes = view.getInt(start);
            long seq = view.getLong(start + FRAME_BYTES);
            int count = view.getInt(start + FRAME_BYTES + 8);
            if (visitor != null && seq + count - 1 >= fromSeq) {
                visitor.record(seq, count, buffer, start + RECORD_HEADER_BYTES, bodyBytes - BODY_HEADER_BYTES);
            }
            records++;
            expectedSeq = seq + count;
            start += FRAME_BYTES + bodyBytes;
        }
    }

    /** Checks the record whose frame is in the buffer at {@code start}, reading its body in. */
    private Defect check(long recordOffset, long expectedSeq) throws IOException {
        int bodyBytes = view.getInt(start);
        int storedCrc = view.getInt(start + 4);
        if (bodyBytes < BODY_HEADER_BYTES || bodyBytes > MAX_BODY_BYTES) {
            return new Defect(DefectKind.BAD_LENGTH, recordOffset, -1, "record length " + bodyBytes
                    + " outside " + BODY_HEADER_BYTES + ".." + MAX_BODY_BYTES);
        }
        long recordEnd = recordOffset + FRAME_BYTES + bodyBytes;
        if (recordEnd > limit || !ensure(FRAME_BYTES + bodyBytes)) {
            return new Defect(DefectKind.BODY_INCOMPLETE, recordOffset, recordEnd, "record of " + bodyBytes
                    + " body bytes incomplete: " + (limit - recordOffset - FRAME_BYTES) + " bytes before end of file");
        }
        crc.reset();
        crc.update(buffer, start + FRAME_BYTES, bodyBytes);
        int actualCrc = (int) crc.getValue();
        if (actualCrc != storedCrc) {
            return new Defect(DefectKind.BAD_CRC, recordOffset, recordEnd, String.format(
                    "record CRC32C mismatch: stored %08x, computed %08x over %d body bytes",
                    storedCrc, actualCrc, bodyBytes));
        }
        long seq = view.getLong(start + FRAME_BYTES);
        int count = view.getInt(start + FRAME_BYTES + 8);
        if (count < 1 || seq > Long.MAX_VALUE - count) {
            return new Defect(DefectKind.BAD_COUNT, recordOffset, recordEnd,
                    "record firstSeq " + seq + " count " + count + " (expected: count >= 1, no seq overflow)");
        }
        if (seq != expectedSeq) {
            return new Defect(DefectKind.SEQ_GAP, recordOffset, recordEnd,
                    "record firstSeq " + seq + " (expected: " + expectedSeq + ")");
        }
        return null;
    }

    /**
     * Offset of the first record in {@code [from, to)} of the channel that is intact on its own (plausible
     * length, whole, CRC-valid, count >= 1) and carries a seq above {@code afterSeq}; -1 if none. A torn tail
     * never has one after it; a corrupted record in the middle does.
     */
    long findIntactRecord(FileChannel source, long from, long to, long afterSeq) throws IOException {
        int bytes = (int) Math.min(to - from, MAX_RECORD_BYTES);
        reset(source, from + bytes);
        bufferOffset = from;
        if (!ensure(bytes)) {
            throw new EOFException("file ended while reading [" + from + ", " + (from + bytes) + ")");
        }
        for (int at = 0; at + RECORD_HEADER_BYTES <= bytes; at++) {
            int bodyBytes = view.getInt(at);
            if (bodyBytes < BODY_HEADER_BYTES || bodyBytes > bytes - at - FRAME_BYTES) {
                continue;
            }
            long seq = view.getLong(at + FRAME_BYTES);
            int count = view.getInt(at + FRAME_BYTES + 8);
            if (seq <= afterSeq || count < 1) {
                continue;
            }
            crc.reset();
            crc.update(buffer, at + FRAME_BYTES, bodyBytes);
            if ((int) crc.getValue() == view.getInt(at + 4)) {
                return from + at;
            }
        }
        return -1;
    }

    /**
     * Offset just past the last non-zero byte in {@code [from, to)} of the channel, or {@code from} if every byte
     * there is zero (as it is where a write never landed, or in preallocated space).
     */
    long nonZeroEnd(FileChannel source, long from, long to) throws IOException {
        long end = from;
        for (long offset = from; offset < to; ) {
            int bytes = (int) Math.min(to - offset, buffer.length);
            reset(source, offset + bytes);
            bufferOffset = offset;
            if (!ensure(bytes)) {
                throw new EOFException("file ended while reading [" + offset + ", " + (offset + bytes) + ")");
            }
            for (int i = bytes - 1; i >= 0; i--) {
                if (buffer[i] != 0) {
                    end = offset + i + 1;
                    break;
                }
            }
            offset += bytes;
        }
        return end;
    }

    private void reset(FileChannel source, long byteLimit) {
        channel = source;
        limit = byteLimit;
        bufferOffset = 0;
        start = 0;
        filled = 0;
    }

    /**
     * Makes at least {@code bytes} bytes from {@code start} available in the buffer, compacting and growing it
     * and reading as much as fits; false if the limit or the end of the file comes first.
     */
    private boolean ensure(int bytes) throws IOException {
        if (filled - start >= bytes) {
            return true;
        }
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, filled - start);
            bufferOffset += start;
            filled -= start;
            start = 0;
        }
        if (bytes > buffer.length) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(MAX_RECORD_BYTES, Math.max(bytes, 2L * buffer.length)));
            view = ByteBuffer.wrap(buffer);
        }
        int wanted = (int) Math.min(buffer.length, limit - bufferOffset);
        while (filled < bytes && filled < wanted) {
            view.limit(wanted).position(filled);
            int read = channel.read(view, bufferOffset + filled);
            if (read < 0) {
                break;
            }
            filled += read;
        }
        view.clear();
        return filled >= bytes;
    }
}
