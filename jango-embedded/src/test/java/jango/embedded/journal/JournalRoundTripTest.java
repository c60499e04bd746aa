package jango.embedded.journal;

import static jango.embedded.journal.JournalTestSupport.append;
import static jango.embedded.journal.JournalTestSupport.appendRandom;
import static jango.embedded.journal.JournalTestSupport.assertSegmentsHoldExactly;
import static jango.embedded.journal.JournalTestSupport.encode;
import static jango.embedded.journal.JournalTestSupport.from;
import static jango.embedded.journal.JournalTestSupport.lastSegment;
import static jango.embedded.journal.JournalTestSupport.recordsIn;
import static jango.embedded.journal.JournalTestSupport.nextSeqOf;
import static jango.embedded.journal.JournalTestSupport.replay;
import static jango.embedded.journal.JournalTestSupport.segmentFiles;
import static jango.embedded.journal.JournalTestSupport.seqOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jango.embedded.journal.JournalTestSupport.Rec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalRoundTripTest {
    private static final JournalConfig SMALL_SEGMENTS = JournalConfig.defaults().withSegmentBytes(2048);

    @TempDir
    Path dir;

    @Test
    void emptyJournalStartsAtSeqOneWithOneSegment() throws IOException {
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(journal.nextSeq()).isEqualTo(1);
            assertThat(journal.firstSeq()).isEqualTo(1);
            assertThat(replay(journal, 1)).isEmpty();
        }
        assertThat(segmentFiles(dir)).extracting(p -> p.getFileName().toString())
                .containsExactly("00000000000000000001.seg");
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(journal.nextSeq()).isEqualTo(1);
        }
    }

    @Test
    void roundTripAcrossSegmentsThenReopenAndContinue() throws IOException {
        Random random = new Random(7);
        List<Rec> model = new ArrayList<>();
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            appendRandom(journal, model, random, 300, 200);
            assertThat(journal.nextSeq()).isEqualTo(nextSeqOf(model));
            assertThat(replay(journal, 1)).isEqualTo(model);
        }
        List<Path> segments = segmentFiles(dir);
        assertThat(segments).hasSizeGreaterThan(5);
        for (Path segment : segments) {
            long first = seqOf(segment);
            assertThat(model).as("a record starts at the seq %s.seg is named after", first)
                    .anyMatch(r -> r.firstSeq() == first);
            // Each sealed segment is over segmentBytes by less than one record.
            if (!segment.equals(segments.get(segments.size() - 1))) {
                assertThat(Files.size(segment)).isBetween(2048L, 2048L + 20 + 200);
            }
        }
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(journal.nextSeq()).isEqualTo(nextSeqOf(model));
            assertThat(journal.firstSeq()).isEqualTo(1);
            assertThat(replay(journal, 1)).isEqualTo(model);
            appendRandom(journal, model, random, 100, 200);
            assertThat(replay(journal, 1)).isEqualTo(model);
        }
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(replay(journal, 0)).isEqualTo(model);
            assertThat(journal.nextSeq()).isEqualTo(nextSeqOf(model));
        }
    }

    @Test
    void replayFromAnySeqStartsAtTheRecordHoldingIt() throws IOException {
        Random random = new Random(11);
        List<Rec> model = new ArrayList<>();
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            appendRandom(journal, model, random, 200, 100);
            long end = journal.nextSeq();
            for (long fromSeq = 0; fromSeq <= end + 1; fromSeq++) {
                List<Rec> replayed = replay(journal, fromSeq);
                assertThat(replayed).as("replay from %s", fromSeq).isEqualTo(from(model, fromSeq));
                if (fromSeq >= 1 && fromSeq < end) {
                    assertThat(replayed.get(0).firstSeq()).isLessThanOrEqualTo(fromSeq);
                    assertThat(replayed.get(0).lastSeq()).isGreaterThanOrEqualTo(fromSeq);
                }
            }
        }
    }

    @Test
    void recordLayoutOnDiskIsLengthCrcSeqCountPayload() throws IOException {
        byte[] payload = "deposit 100 BTC".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            journal.append(1, 3, payload, 0, payload.length);
            journal.append(4, 1, new byte[0], 0, 0);
        }
        byte[] expected = new byte[payload.length + 20 + 20];
        System.arraycopy(encode(1, 3, payload), 0, expected, 0, payload.length + 20);
        System.arraycopy(encode(4, 1, new byte[0]), 0, expected, payload.length + 20, 20);
        byte[] file = Files.readAllBytes(dir.resolve("00000000000000000001.seg"));
        assertThat(Arrays.copyOf(file, expected.length)).isEqualTo(expected);
        assertThat(file.length).as("preallocated").isGreaterThan(expected.length);
        assertThat(JournalTestSupport.firstNonZero(file, expected.length)).isEqualTo(-1);
    }

    @Test
    void preallocatedZerosAheadOfTheRecordsAreTrimmedWhenSealedAndOnReopen() throws IOException {
        JournalConfig config = JournalConfig.defaults().withSegmentBytes(64 * 1024).withPreallocateBytes(16 * 1024);
        List<Rec> model = new ArrayList<>();
        Random random = new Random(17);
        try (Journal journal = Journal.open(dir, config)) {
            appendRandom(journal, model, random, 1, 100);
            Path first = segmentFiles(dir).get(0);
            assertThat(Files.size(first)).isEqualTo(16 * 1024);
            while (segmentFiles(dir).size() < 3) {
                appendRandom(journal, model, random, 1, 1000);
                assertThat(Files.size(lastSegment(dir)) % 4096).as("extended in whole pages").isZero();
            }
            assertSegmentsHoldExactly(dir, model);
        }
        try (Journal journal = Journal.open(dir, config)) {
            assertThat(Files.size(lastSegment(dir))).as("zeros trimmed on open")
                    .isEqualTo(recordsIn(model, dir, lastSegment(dir)).stream().mapToLong(Rec::encodedBytes).sum());
            appendRandom(journal, model, random, 1, 10);
            assertThat(replay(journal, 1)).isEqualTo(model);
        }
        assertSegmentsHoldExactly(dir, model);
    }

    @Test
    void withoutPreallocationTheFileEndsAtTheLastRecord() throws IOException {
        List<Rec> model = new ArrayList<>();
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS.withPreallocateBytes(0))) {
            appendRandom(journal, model, new Random(8), 50, 100);
        }
        long expected = recordsIn(model, dir, lastSegment(dir)).stream().mapToLong(Rec::encodedBytes).sum();
        assertThat(Files.size(lastSegment(dir))).isEqualTo(expected);
        assertSegmentsHoldExactly(dir, model);
    }

    @Test
    void recordsLargerThanTheReadBufferRoundTrip() throws IOException {
        Random random = new Random(3);
        List<Rec> model = new ArrayList<>();
        byte[] big = new byte[3 * SegmentReader.DEFAULT_BUFFER_BYTES + 17];
        random.nextBytes(big);
        try (Journal journal = Journal.open(dir, JournalConfig.defaults())) {
            appendRandom(journal, model, random, 3, 50);
            Rec bigRec = new Rec(journal.nextSeq(), 2, big);
            append(journal, bigRec);
            model.add(bigRec);
            appendRandom(journal, model, random, 3, 50);
        }
        try (Journal journal = Journal.open(dir, JournalConfig.defaults())) {
            assertThat(replay(journal, 1)).isEqualTo(model);
        }
    }

    @Test
    void appendRejectsBadArgumentsAndStaysUsable() throws IOException {
        byte[] payload = new byte[10];
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThatThrownBy(() -> journal.append(2, 1, payload, 0, 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("firstSeq: 2 (expected: nextSeq 1)");
            assertThatThrownBy(() -> journal.append(1, 0, payload, 0, 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count: 0");
            assertThatThrownBy(() -> journal.append(1, 1, payload, 5, 10))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> journal.append(1, 1, new byte[Journal.MAX_PAYLOAD_BYTES + 1], 0,
                    Journal.MAX_PAYLOAD_BYTES + 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("length: ");
            journal.append(1, 1, payload, 0, 10);
            assertThat(journal.nextSeq()).isEqualTo(2);
        }
        assertSegmentsHoldExactly(dir, List.of(new Rec(1, 1, payload)));
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() throws IOException {
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThatThrownBy(() -> Journal.open(dir, SMALL_SEGMENTS))
                    .isInstanceOf(IOException.class).hasMessageContaining("already open");
            journal.append(1, 1, new byte[1], 0, 1);
        }
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(journal.nextSeq()).isEqualTo(2);
        }
    }

    @Test
    void closedJournalRefusesWork() throws IOException {
        Journal journal = Journal.open(dir, SMALL_SEGMENTS);
        journal.close();
        journal.close();
        assertThatThrownBy(() -> journal.append(1, 1, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> journal.replay(1, (s, c, p, o, l) -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void deletingOldSegmentsMovesFirstSeqAndKeepsTheRest() throws IOException {
        Random random = new Random(5);
        List<Rec> model = new ArrayList<>();
        long cut;
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            appendRandom(journal, model, random, 200, 150);
            List<Path> before = segmentFiles(dir);
            cut = seqOf(before.get(3)) + 1;
            assertThat(journal.deleteSegmentsBefore(cut)).isEqualTo(3);
            assertThat(journal.firstSeq()).isEqualTo(seqOf(before.get(3)));
            assertThat(segmentFiles(dir)).isEqualTo(before.subList(3, before.size()));
            assertThat(replay(journal, 1)).isEqualTo(model.stream().filter(r -> r.firstSeq() >= journal.firstSeq()).toList());
            assertThat(journal.deleteSegmentsBefore(Long.MAX_VALUE)).isEqualTo(before.size() - 4);
            assertThat(segmentFiles(dir)).hasSize(1);
            appendRandom(journal, model, random, 5, 10);
        }
        try (Journal journal = Journal.open(dir, SMALL_SEGMENTS)) {
            assertThat(journal.firstSeq()).isEqualTo(seqOf(segmentFiles(dir).get(0)));
            assertThat(journal.nextSeq()).isEqualTo(nextSeqOf(model));
            assertThat(replay(journal, 1)).isEqualTo(model.stream().filter(r -> r.firstSeq() >= journal.firstSeq()).toList());
        }
    }
}
