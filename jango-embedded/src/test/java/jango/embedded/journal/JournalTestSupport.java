package jango.embedded.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/** A model of what the journal should hold, and ways to build, read and damage journal files in tests. */
final class JournalTestSupport {
    private JournalTestSupport() {
    }

    /** One record as the test expects to read it back. */
    record Rec(long firstSeq, int count, byte[] payload) {
        long lastSeq() {
            return firstSeq + count - 1;
        }

        int encodedBytes() {
            return 20 + payload.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Rec that && firstSeq == that.firstSeq && count == that.count
                    && Arrays.equals(payload, that.payload);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(firstSeq) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Rec[" + firstSeq + "+" + count + ", " + payload.length + " bytes]";
        }
    }

    static Rec randomRec(Random random, long firstSeq, int maxCount, int maxPayloadBytes) {
        byte[] payload = new byte[random.nextInt(maxPayloadBytes + 1)];
        random.nextBytes(payload);
        return new Rec(firstSeq, 1 + random.nextInt(maxCount), payload);
    }

    /** Appends through a larger array at an offset, so offset/length handling is exercised too. */
    static void append(Journal journal, Rec rec) throws IOException {
        int offset = rec.payload.length % 7;
        byte[] padded = new byte[offset + rec.payload.length + 3];
        Arrays.fill(padded, (byte) 0x5A);
        System.arraycopy(rec.payload, 0, padded, offset, rec.payload.length);
        journal.append(rec.firstSeq, rec.count, padded, offset, rec.payload.length);
    }

    /** Appends {@code records} random records after what the model holds, adding them to the model. */
    static void appendRandom(Journal journal, List<Rec> model, Random random, int records, int maxPayloadBytes)
            throws IOException {
        for (int i = 0; i < records; i++) {
            Rec rec = randomRec(random, journal.nextSeq(), 4, maxPayloadBytes);
            append(journal, rec);
            model.add(rec);
        }
    }

    static List<Rec> replay(Journal journal, long fromSeq) throws IOException {
        List<Rec> out = new ArrayList<>();
        journal.replay(fromSeq, (firstSeq, count, payload, offset, length) ->
                out.add(new Rec(firstSeq, count, Arrays.copyOfRange(payload, offset, offset + length))));
        return out;
    }

    static List<Rec> from(List<Rec> model, long fromSeq) {
        return model.stream().filter(r -> r.lastSeq() >= fromSeq).toList();
    }

    static long nextSeqOf(List<Rec> model) {
        return model.isEmpty() ? 1 : model.get(model.size() - 1).lastSeq() + 1;
    }

    /** The bytes of one record, encoded independently of the journal's writer. */
    static byte[] encode(long firstSeq, int count, byte[] payload) {
        ByteBuffer body = ByteBuffer.allocate(12 + payload.length).putLong(firstSeq).putInt(count).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(body.array());
        return ByteBuffer.allocate(8 + body.capacity()).putInt(body.capacity()).putInt((int) crc.getValue())
                .put(body.array()).array();
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    static Path lastSegment(Path dir) throws IOException {
        List<Path> files = segmentFiles(dir);
        return files.get(files.size() - 1);
    }

    /** File name to content of every segment, to show a failed open changed nothing. */
    static Map<String, byte[]> contents(Path dir) throws IOException {
        Map<String, byte[]> contents = new TreeMap<>();
        for (Path file : segmentFiles(dir)) {
            contents.put(file.getFileName().toString(), Files.readAllBytes(file));
        }
        return contents;
    }

    static void copySegments(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path file : segmentFiles(from)) {
            Files.copy(file, to.resolve(file.getFileName()));
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    static void flipBits(Path file, long offset, int mask) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[Math.toIntExact(offset)] ^= (byte) mask;
        Files.write(file, bytes);
    }

    /** Byte offsets at which each record of a segment starts, given the records it holds in order. */
    static long[] offsetsOf(List<Rec> recordsInSegment) {
        long[] offsets = new long[recordsInSegment.size()];
        long at = 0;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = at;
            at += recordsInSegment.get(i).encodedBytes();
        }
        return offsets;
    }

    /** The model's records that live in the segment file starting at {@code segmentFirstSeq}. */
    static List<Rec> recordsIn(List<Rec> model, Path dir, Path segment) throws IOException {
        List<Path> files = segmentFiles(dir);
        long first = seqOf(segment);
        int index = files.indexOf(segment);
        long nextFirst = index + 1 < files.size() ? seqOf(files.get(index + 1)) : Long.MAX_VALUE;
        return model.stream().filter(r -> r.firstSeq >= first && r.firstSeq < nextFirst).toList();
    }

    static long seqOf(Path segment) {
        return Long.parseLong(segment.getFileName().toString().substring(0, 20));
    }

    /**
     * Each segment holds exactly the encoded records of the model that belong to it: sealed segments nothing
     * more, the last one nothing but zeros (preallocated space) after them. So no duplicate, no leftover.
     */
    static void assertSegmentsHoldExactly(Path dir, List<Rec> model) throws IOException {
        List<Path> files = segmentFiles(dir);
        long recordsSeen = 0;
        for (Path file : files) {
            List<Rec> records = recordsIn(model, dir, file);
            recordsSeen += records.size();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            for (Rec rec : records) {
                expected.writeBytes(encode(rec.firstSeq(), rec.count(), rec.payload()));
            }
            byte[] actual = Files.readAllBytes(file);
            byte[] want = expected.toByteArray();
            boolean last = file.equals(files.get(files.size() - 1));
            if (last) {
                assertThat(actual.length).as("size of %s", file.getFileName()).isGreaterThanOrEqualTo(want.length);
                assertThat(Arrays.copyOf(actual, want.length)).as("records in %s", file.getFileName()).isEqualTo(want);
                assertThat(firstNonZero(actual, want.length)).as("non-zero byte after the records in %s",
                        file.getFileName()).isEqualTo(-1);
            } else {
                assertThat(actual).as("sealed segment %s", file.getFileName()).isEqualTo(want);
            }
        }
        assertThat(recordsSeen).isEqualTo(model.size());
    }

    static int firstNonZero(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return i;
            }
        }
        return -1;
    }

    /** Bytes of records the model puts in a segment: where its data ends, whatever was preallocated after. */
    static long dataBytes(List<Rec> model, Path dir, Path segment) throws IOException {
        return recordsIn(model, dir, segment).stream().mapToLong(Rec::encodedBytes).sum();
    }

    /** Open must fail with a corruption naming this file and offset, and leave every segment byte-identical. */
    /**
     * Damage is refused and located, by open (the last segment, and the sealed segments' names) or at
     * the latest by a replay from seq 1 (the records of sealed segments, which start-up does not read:
     * recovery replays them from a snapshot on, {@code jango audit} all of them). Nothing is changed.
     */
    static JournalCorruptException assertCorrupt(Path dir, JournalConfig config, Path file, long offset)
            throws IOException {
        Map<String, byte[]> before = contents(dir);
        JournalCorruptException thrown = catchThrowableOfType(JournalCorruptException.class, () -> openAndReplay(dir, config));
        assertThat(thrown).as("open or a full replay must report corruption").isNotNull();
        assertThat(thrown.file()).isEqualTo(file);
        assertThat(thrown.offset()).isEqualTo(offset);
        assertThat(thrown.getMessage()).contains(file.getFileName().toString()).contains("offset " + offset);
        Map<String, byte[]> after = contents(dir);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        for (String name : before.keySet()) {
            // A successful open cuts the zeros preallocated after the last record; no written byte changes.
            assertThat(withoutTrailingZeros(after.get(name))).as("content of %s after failed open", name)
                    .isEqualTo(withoutTrailingZeros(before.get(name)));
        }
        // The lock was released: a second attempt fails the same way rather than with "already open".
        assertThatThrownBy(() -> openAndReplay(dir, config)).isInstanceOf(JournalCorruptException.class);
        return thrown;
    }

    private static byte[] withoutTrailingZeros(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(bytes, end);
    }

    private static void openAndReplay(Path dir, JournalConfig config) throws IOException {
        try (Journal journal = Journal.open(dir, config)) {
            journal.replay(1, (firstSeq, count, payload, offset, length) -> {
            });
        }
    }
}
