package jango.embedded.journal;

import static jango.embedded.journal.JournalTestSupport.appendBytes;
import static jango.embedded.journal.JournalTestSupport.appendRandom;
import static jango.embedded.journal.JournalTestSupport.assertCorrupt;
import static jango.embedded.journal.JournalTestSupport.copySegments;
import static jango.embedded.journal.JournalTestSupport.encode;
import static jango.embedded.journal.JournalTestSupport.flipBits;
import static jango.embedded.journal.JournalTestSupport.offsetsOf;
import static jango.embedded.journal.JournalTestSupport.recordsIn;
import static jango.embedded.journal.JournalTestSupport.replay;
import static jango.embedded.journal.JournalTestSupport.segmentFiles;
import static jango.embedded.journal.JournalTestSupport.truncate;
import static org.assertj.core.api.Assertions.assertThat;

import jango.embedded.journal.JournalTestSupport.Rec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage to acknowledged records is never cut away as if it were a torn tail: open refuses (the
 * last segment) or a replay does (the records of sealed segments), and says where.
 */
class JournalCorruptionTest {
    private static final JournalConfig CONFIG = JournalConfig.defaults().withSegmentBytes(400);

    @TempDir
    Path root;

    private Path pristine;
    private List<Rec> model;
    private int cases;

    @BeforeEach
    void writeJournal() throws IOException {
        pristine = root.resolve("pristine");
        model = new ArrayList<>();
        try (Journal journal = Journal.open(pristine, CONFIG)) {
            Random random = new Random(99);
            appendRandom(journal, model, random, 60, 40);
            while (recordsIn(model, pristine, last(pristine)).size() < 6) {
                appendRandom(journal, model, random, 1, 10);
            }
        }
        assertThat(segmentFiles(pristine)).hasSizeGreaterThan(3);
        assertThat(recordsIn(model, pristine, last(pristine))).hasSizeGreaterThan(3);
    }

    @Test
    void everyBitFlipInAMiddleRecordOfTheLastSegmentIsCorruption() throws IOException {
        Path segment = last(pristine);
        List<Rec> records = recordsIn(model, pristine, segment);
        int victim = records.size() - 3;
        long offset = offsetsOf(records)[victim];
        int bytes = records.get(victim).encodedBytes();
        List<String> problems = new ArrayList<>();
        for (int at = 0; at < bytes; at++) {
            for (int bit = 0; bit < 8; bit++) {
                Path dir = freshCopy();
                flipBits(last(dir), offset + at, 1 << bit);
                problems.add(assertCorrupt(dir, CONFIG, last(dir), offset).problem());
            }
        }
        // A length made to reach past the end of the file looks like an incomplete last record; the intact
        // records after it are what give it away.
        assertThat(problems).anyMatch(p -> p.contains("incomplete") && p.contains("an intact record with a later seq"));
        assertThat(problems).anyMatch(p -> p.contains("CRC32C mismatch") && p.contains("non-zero bytes follow"));
    }

    @Test
    void flippedByteInTheLastRecordOfAnEarlierSegmentIsCorruption() throws IOException {
        Path segment = segmentFiles(pristine).get(1);
        List<Rec> records = recordsIn(model, pristine, segment);
        long offset = offsetsOf(records)[records.size() - 1];
        for (int at : new int[] {0, 3, 5, 9, 17, 21}) {
            Path dir = freshCopy();
            Path damaged = dir.resolve(segment.getFileName());
            flipBits(damaged, offset + at, 0x20);
            JournalCorruptException thrown = assertCorrupt(dir, CONFIG, damaged, offset);
            assertThat(thrown.getMessage()).contains("in a sealed segment");
        }
    }

    @Test
    void earlierSegmentCutShortOrPaddedWithZerosIsCorruption() throws IOException {
        Path segment = segmentFiles(pristine).get(1);
        List<Rec> records = recordsIn(model, pristine, segment);
        long lastOffset = offsetsOf(records)[records.size() - 1];

        Path cut = freshCopy();
        truncate(cut.resolve(segment.getFileName()), lastOffset + 10);
        assertCorrupt(cut, CONFIG, cut.resolve(segment.getFileName()), lastOffset);

        Path padded = freshCopy();
        long end = Files.size(segment);
        appendBytes(padded.resolve(segment.getFileName()), new byte[64]);
        assertCorrupt(padded, CONFIG, padded.resolve(segment.getFileName()), end);
    }

    @Test
    void seqGapBetweenRecordsIsCorruptionEvenWithValidCrcs() throws IOException {
        Path dir = root.resolve("gap");
        Files.createDirectories(dir);
        Path file = dir.resolve(RecordFormat.segmentFileName(1));
        byte[] first = encode(1, 3, new byte[] {1, 2});
        writeRecords(file, first, encode(4, 1, new byte[] {3}), encode(6, 1, new byte[] {4}), encode(7, 1, new byte[0]));
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, file, first.length + 21);
        assertThat(thrown.getMessage()).contains("firstSeq 6 (expected: 5)");
    }

    @Test
    void seqGapInTheLastRecordIsNotMistakenForATornTail() throws IOException {
        Path dir = root.resolve("gap-at-end");
        Files.createDirectories(dir);
        Path file = dir.resolve(RecordFormat.segmentFileName(1));
        writeRecords(file, encode(1, 1, new byte[0]), encode(2, 1, new byte[0]), encode(2, 1, new byte[0]));
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, file, 40);
        assertThat(thrown.getMessage()).contains("firstSeq 2 (expected: 3)").contains("CRC is valid");
    }

    @Test
    void recordWithZeroCountIsCorruption() throws IOException {
        Path dir = root.resolve("zero-count");
        Files.createDirectories(dir);
        Path file = dir.resolve(RecordFormat.segmentFileName(1));
        writeRecords(file, encode(1, 1, new byte[0]), encode(2, 0, new byte[0]), encode(2, 1, new byte[0]));
        assertThat(assertCorrupt(dir, CONFIG, file, 20).getMessage()).contains("count 0");
    }

    @Test
    void missingSegmentIsCorruption() throws IOException {
        Path dir = freshCopy();
        List<Path> segments = segmentFiles(dir);
        Files.delete(segments.get(2));
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, segments.get(3), 0);
        assertThat(thrown.getMessage()).contains("expected file " + segments.get(2).getFileName());
    }

    @Test
    void segmentNamedAfterTheWrongSeqIsCorruption() throws IOException {
        Path dir = freshCopy();
        Path lastSegment = last(dir);
        long seq = JournalTestSupport.seqOf(lastSegment);
        Path renamed = dir.resolve(RecordFormat.segmentFileName(seq + 1));
        Files.move(lastSegment, renamed);
        assertCorrupt(dir, CONFIG, renamed, 0);
    }

    @Test
    void firstRecordNotMatchingTheSegmentNameIsCorruption() throws IOException {
        Path dir = freshCopy();
        List<Path> segments = segmentFiles(dir);
        Files.delete(segments.get(0));
        Path renamed = dir.resolve(RecordFormat.segmentFileName(1));
        Files.move(segments.get(1), renamed);
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, renamed, 0);
        assertThat(thrown.getMessage()).contains("(expected: 1)");
    }

    @Test
    void emptySegmentBeforeTheLastIsCorruption() throws IOException {
        Path dir = freshCopy();
        Path emptied = last(dir);
        truncate(emptied, 0);
        long seq = JournalTestSupport.seqOf(emptied);
        Path extra = dir.resolve(RecordFormat.segmentFileName(seq + 100));
        Files.write(extra, encode(seq + 100, 1, new byte[0]));
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, extra, 0);
        assertThat(thrown.getMessage()).contains("previous segment ends at seq " + (seq - 1));
    }

    @Test
    void segmentFileNameThatIsNotASeqIsCorruption() throws IOException {
        Path dir = freshCopy();
        Path stray = dir.resolve("backup.seg");
        Files.write(stray, new byte[0]);
        assertCorrupt(dir, CONFIG, stray, 0);
        Files.delete(stray);
        Path zero = dir.resolve(RecordFormat.segmentFileName(0));
        Files.write(zero, new byte[0]);
        assertCorrupt(dir, CONFIG, zero, 0);
    }

    @Test
    void hugeLengthInTheMiddleIsReportedWithoutReadingIt() throws IOException {
        Path dir = freshCopy();
        Path segment = segmentFiles(dir).get(0);
        List<Rec> records = recordsIn(model, dir, segment);
        long offset = offsetsOf(records)[1];
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer.wrap(bytes).putInt((int) offset, Integer.MAX_VALUE);
        Files.write(segment, bytes);
        JournalCorruptException thrown = assertCorrupt(dir, CONFIG, segment, offset);
        assertThat(thrown.getMessage()).contains("record length 2147483647");
    }

    @Test
    void otherFilesInTheDirectoryAreIgnored() throws IOException {
        Path dir = freshCopy();
        Files.write(dir.resolve("notes.txt"), new byte[] {1, 2, 3});
        Files.write(dir.resolve("00000000000000000001.seg.bak"), new byte[] {1, 2, 3});
        try (Journal journal = Journal.open(dir, CONFIG)) {
            assertThat(replay(journal, 1)).isEqualTo(model);
        }
    }

    private static void writeRecords(Path file, byte[]... records) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] record : records) {
            out.write(record);
        }
        Files.write(file, out.toByteArray());
    }

    private Path freshCopy() throws IOException {
        Path dir = root.resolve("case-" + cases++);
        copySegments(pristine, dir);
        return dir;
    }

    private static Path last(Path dir) throws IOException {
        return JournalTestSupport.lastSegment(dir);
    }
}
