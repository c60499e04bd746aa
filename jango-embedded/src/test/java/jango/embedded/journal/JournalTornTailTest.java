package jango.embedded.journal;

import static jango.embedded.journal.JournalTestSupport.append;
import static jango.embedded.journal.JournalTestSupport.appendBytes;
import static jango.embedded.journal.JournalTestSupport.assertSegmentsHoldExactly;
import static jango.embedded.journal.JournalTestSupport.copySegments;
import static jango.embedded.journal.JournalTestSupport.flipBits;
import static jango.embedded.journal.JournalTestSupport.lastSegment;
import static jango.embedded.journal.JournalTestSupport.nextSeqOf;
import static jango.embedded.journal.JournalTestSupport.offsetsOf;
import static jango.embedded.journal.JournalTestSupport.randomRec;
import static jango.embedded.journal.JournalTestSupport.recordsIn;
import static jango.embedded.journal.JournalTestSupport.replay;
import static jango.embedded.journal.JournalTestSupport.segmentFiles;
import static jango.embedded.journal.JournalTestSupport.truncate;
import static org.assertj.core.api.Assertions.assertThat;

import jango.embedded.journal.JournalTestSupport.Rec;
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

/** A record in flight at a crash may be cut anywhere; recovery drops exactly it and keeps the rest. */
class JournalTornTailTest {
    private static final JournalConfig CONFIG = JournalConfig.defaults().withSegmentBytes(512);

    @TempDir
    Path root;

    private final Random random = new Random(42);
    private Path pristine;
    /** Every record, the last one being the one the tests tear. */
    private List<Rec> model;
    private long lastRecordOffset;
    private int cases;

    @BeforeEach
    void writeJournal() throws IOException {
        pristine = root.resolve("pristine");
        model = new ArrayList<>();
        try (Journal journal = Journal.open(pristine, CONFIG)) {
            for (int i = 0; i < 40; i++) {
                Rec rec = randomRec(random, journal.nextSeq(), 3, 60);
                append(journal, rec);
                model.add(rec);
            }
            Rec last = new Rec(journal.nextSeq(), 2, randomBytes(45));
            append(journal, last);
            model.add(last);
        }
        assertThat(segmentFiles(pristine)).hasSizeGreaterThan(2);
        List<Rec> inLast = recordsIn(model, pristine, lastSegment(pristine));
        lastRecordOffset = offsetsOf(inLast)[inLast.size() - 1];
        assertThat(Files.size(lastSegment(pristine))).as("preallocated")
                .isGreaterThan(lastRecordOffset + model.get(model.size() - 1).encodedBytes());
        assertThat(lastRecordOffset).as("the torn record is not alone in its segment").isPositive();
    }

    @Test
    void lastRecordCutAtEveryByteIsDropped() throws IOException {
        int recordBytes = model.get(model.size() - 1).encodedBytes();
        for (int cut = 1; cut < recordBytes; cut++) {
            Path dir = freshCopy();
            truncate(lastSegment(dir), lastRecordOffset + cut);
            assertTornRecordDropped(dir);
        }
    }

    @Test
    void lastRecordCutAndPaddedWithZerosIsDropped() throws IOException {
        // The file size reached the disk but some of the data pages did not.
        int recordBytes = model.get(model.size() - 1).encodedBytes();
        for (int cut = 0; cut < recordBytes; cut += 3) {
            Path dir = freshCopy();
            truncate(lastSegment(dir), lastRecordOffset + cut);
            appendBytes(lastSegment(dir), new byte[recordBytes - cut + random.nextInt(4096)]);
            assertTornRecordDropped(dir);
        }
    }

    @Test
    void zerosAfterTheLastRecordAreDroppedAndNothingElse() throws IOException {
        for (int zeros : new int[] {1, 7, 8, 19, 20, 4096, 100_000}) {
            Path dir = trimmedCopy();
            appendBytes(lastSegment(dir), new byte[zeros]);
            long before = Files.size(lastSegment(dir)) - zeros;
            try (Journal journal = Journal.open(dir, CONFIG)) {
                assertThat(journal.nextSeq()).isEqualTo(nextSeqOf(model));
                assertThat(replay(journal, 1)).isEqualTo(model);
            }
            assertThat(Files.size(lastSegment(dir))).isEqualTo(before);
        }
    }

    @Test
    void validLengthFollowedByGarbageShorterThanTheBodyIsDropped() throws IOException {
        for (int garbage = 0; garbage < 40; garbage += 5) {
            Path dir = freshCopy();
            Path last = lastSegment(dir);
            truncate(last, lastRecordOffset);
            appendBytes(last, ByteBuffer.allocate(8 + garbage).putInt(12 + 45).putInt(random.nextInt())
                    .put(randomBytes(garbage)).array());
            assertTornRecordDropped(dir);
        }
    }

    @Test
    void wholeLastRecordFailingItsCrcIsDropped() throws IOException {
        int recordBytes = model.get(model.size() - 1).encodedBytes();
        for (int at = 4; at < recordBytes; at++) {
            Path dir = freshCopy();
            flipBits(lastSegment(dir), lastRecordOffset + at, 1 << (at % 8));
            if (at % 2 == 0) {
                appendBytes(lastSegment(dir), new byte[100]);
            }
            assertTornRecordDropped(dir);
        }
    }

    @Test
    void garbledOrZeroedHeaderOfTheLastRecordIsDropped() throws IOException {
        // The page holding the header never reached the disk (zeros) or holds stale bytes; the body did.
        byte[][] headers = {new byte[8], {-1, -1, -1, -1, 1, 2, 3, 4}, {0x7f, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 5, 9, 9, 9, 9}};
        for (byte[] header : headers) {
            Path dir = freshCopy();
            byte[] bytes = Files.readAllBytes(lastSegment(dir));
            System.arraycopy(header, 0, bytes, (int) lastRecordOffset, 8);
            Files.write(lastSegment(dir), bytes);
            assertTornRecordDropped(dir);
        }
    }

    @Test
    void incompleteHeaderOfGarbageAfterTheLastRecordIsDropped() throws IOException {
        for (int bytes = 1; bytes < 8; bytes++) {
            Path dir = trimmedCopy();
            byte[] garbage = randomBytes(bytes);
            garbage[0] = 1;
            appendBytes(lastSegment(dir), garbage);
            try (Journal journal = Journal.open(dir, CONFIG)) {
                assertThat(replay(journal, 1)).isEqualTo(model);
            }
        }
    }

    @Test
    void tornRecordAloneInItsSegmentLeavesAnEmptySegmentToContinueIn() throws IOException {
        Path dir = root.resolve("alone");
        List<Rec> alone = new ArrayList<>();
        try (Journal journal = Journal.open(dir, JournalConfig.defaults().withSegmentBytes(100))) {
            for (int i = 0; i < 4; i++) {
                Rec rec = new Rec(journal.nextSeq(), 1, randomBytes(90));
                append(journal, rec);
                alone.add(rec);
            }
        }
        List<Path> segments = segmentFiles(dir);
        assertThat(segments).hasSize(4);
        truncate(segments.get(3), 50);
        try (Journal journal = Journal.open(dir, JournalConfig.defaults().withSegmentBytes(100))) {
            assertThat(journal.nextSeq()).isEqualTo(4);
            assertThat(Files.size(segments.get(3))).isZero();
            assertThat(replay(journal, 1)).isEqualTo(alone.subList(0, 3));
            append(journal, alone.get(3));
        }
        try (Journal journal = Journal.open(dir, JournalConfig.defaults().withSegmentBytes(100))) {
            assertThat(replay(journal, 1)).isEqualTo(alone);
        }
        assertThat(segmentFiles(dir)).isEqualTo(segments);
    }

    @Test
    void emptySegmentLeftByAFailedRollIsWhereAppendsContinue() throws IOException {
        Path dir = trimmedCopy();
        long nextSeq = nextSeqOf(model);
        Path leftover = dir.resolve(RecordFormat.segmentFileName(nextSeq));
        Files.createFile(leftover);
        try (Journal journal = Journal.open(dir, CONFIG)) {
            assertThat(journal.nextSeq()).isEqualTo(nextSeq);
            assertThat(replay(journal, 1)).isEqualTo(model);
            Rec rec = new Rec(nextSeq, 1, randomBytes(5));
            append(journal, rec);
            model.add(rec);
        }
        assertThat(segmentFiles(dir)).contains(leftover);
        assertSegmentsHoldExactly(dir, model);
    }

    /** Open drops the last record only; the next append reuses its seq; a reopen sees the new one. */
    private void assertTornRecordDropped(Path dir) throws IOException {
        List<Rec> kept = model.subList(0, model.size() - 1);
        Rec torn = model.get(model.size() - 1);
        Rec replacement = new Rec(torn.firstSeq(), 1, randomBytes(random.nextInt(80)));
        try (Journal journal = Journal.open(dir, CONFIG)) {
            assertThat(journal.nextSeq()).as("case %s", cases).isEqualTo(torn.firstSeq());
            assertThat(Files.size(lastSegment(dir))).isEqualTo(lastRecordOffset);
            assertThat(replay(journal, 1)).isEqualTo(kept);
            append(journal, replacement);
        }
        try (Journal journal = Journal.open(dir, CONFIG)) {
            List<Rec> expected = new ArrayList<>(kept);
            expected.add(replacement);
            assertThat(replay(journal, 1)).isEqualTo(expected);
            assertThat(journal.nextSeq()).isEqualTo(torn.firstSeq() + 1);
        }
    }

    /** A copy whose last segment ends at its last record, without the preallocated zeros. */
    private Path trimmedCopy() throws IOException {
        Path dir = freshCopy();
        truncate(lastSegment(dir), lastRecordOffset + model.get(model.size() - 1).encodedBytes());
        return dir;
    }

    private Path freshCopy() throws IOException {
        Path dir = root.resolve("case-" + cases++);
        copySegments(pristine, dir);
        return dir;
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

}
