package jango.embedded.journal;

/**
 * The on-disk layout. A segment file is named after the first seq it holds, 20 digits, {@code .seg}; it is a
 * plain sequence of records, each {@code [int bodyBytes][int crc32c(body)][body]} with
 * {@code body = [long firstSeq][int count][payload]}, big-endian.
 */
final class RecordFormat {
    /** {@code bodyBytes} and the CRC32C of the body. */
    static final int FRAME_BYTES = 8;
    /** {@code firstSeq} and {@code count}, the start of every body. */
    static final int BODY_HEADER_BYTES = 12;
    static final int RECORD_HEADER_BYTES = FRAME_BYTES + BODY_HEADER_BYTES;
    /** Bounds what a reader allocates for a length it has not yet verified. */
    static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
    static final int MAX_RECORD_BYTES = FRAME_BYTES + MAX_BODY_BYTES;
    static final String SEGMENT_SUFFIX = ".seg";
    static final int SEGMENT_NAME_DIGITS = 20;

    private RecordFormat() {
    }

    static String segmentFileName(long firstSeq) {
        return String.format("%020d%s", firstSeq, SEGMENT_SUFFIX);
    }

    /** The first seq a segment file name stands for, or -1 if the name is not one the journal writes. */
    static long parseSegmentFileName(String name) {
        if (name.length() != SEGMENT_NAME_DIGITS + SEGMENT_SUFFIX.length() || !name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        long seq = 0;
        for (int i = 0; i < SEGMENT_NAME_DIGITS; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            if (seq > (Long.MAX_VALUE - (c - '0')) / 10) {
                return -1;
            }
            seq = seq * 10 + (c - '0');
        }
        return seq >= 1 ? seq : -1;
    }
}
