package jango.streams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamsDbTest {
    private static byte[] key(long position) {
        return ByteBuffer.allocate(9).put((byte) 'c').putLong(position).array();
    }

    /**
     * The feed keeps its last positions and deletes older ones in ranges: the disk they took must
     * come back, not wait for a compaction that may never reach them.
     */
    @Test
    void aDeletedRangeGivesItsDiskBack(@TempDir Path dir) throws Exception {
        try (StreamsDb db = StreamsDb.open(dir)) {
            java.util.Random random = new java.util.Random(7);
            byte[] value = new byte[200];
            long position = 0;
            for (int file = 0; file < 10; file++) {
                for (int i = 0; i < 5_000; i++) {
                    random.nextBytes(value); // random bytes: compression cannot shrink them
                    db.put(key(position++), value);
                }
                db.flush();
            }
            long before = db.diskBytes();
            assertThat(before).as("ten files of 5,000 entries of 200 bytes").isGreaterThan(5_000_000L);

            db.deleteRange(key(0), key(45_000));

            assertThat(db.diskBytes()).as("the files wholly inside the range are gone").isLessThan(before / 5);
            assertThat(db.get(key(44_999))).isNull();
            assertThat(db.get(key(45_000))).hasSize(200);
            assertThat(db.get(key(49_999))).hasSize(200);
        }
    }

    /** A stop writes the memtable into table files: the next start has no write-ahead log to replay. */
    @Test
    void aCleanCloseLeavesNoWriteAheadLogToReplay(@TempDir Path dir) throws Exception {
        try (StreamsDb db = StreamsDb.open(dir)) {
            for (long position = 0; position < 1_000; position++) {
                db.put(key(position), new byte[100]);
            }
            assertThat(writeAheadLogBytes(dir)).as("what was written is in the log until a flush").isPositive();
        }
        assertThat(writeAheadLogBytes(dir)).isZero();
        try (StreamsDb db = StreamsDb.open(dir)) {
            assertThat(db.get(key(999))).hasSize(100);
        }
    }

    /** A store opened ahead and not taken (the start failed first) is closed: its lock is free again. */
    @Test
    void aStoreOpenedAheadAndNotTakenIsClosed(@TempDir Path dir) throws Exception {
        Streams.Opening opening = Streams.openAhead(StreamsConfig.defaults(dir));
        opening.close();
        try (StreamsDb db = StreamsDb.open(dir)) {
            assertThat(db.get(key(1))).isNull();
        }
    }

    private static long writeAheadLogBytes(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9]+\\.log")).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /**
     * A feed or webhook thread still using the store when it closes gets an exception, not a freed
     * RocksDB (which aborts the whole JVM).
     */
    @Test
    void threadsStillWorkingWhenTheStoreClosesGetAnErrorNotACrash(@TempDir Path dir) throws Exception {
        StreamsDb db = StreamsDb.open(dir);
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (long i = 0; ; i++) {
                        db.put(key(i), new byte[8]);
                        db.get(key(i / 2));
                        db.scan(new byte[]{'c'}, key(i / 2), (k, v) -> false);
                        done.incrementAndGet();
                    }
                } catch (UncheckedIOException e) {
                    if (!e.getMessage().contains("the store is closed")) {
                        unexpected.set(e);
                    }
                } catch (Throwable e) {
                    unexpected.set(e);
                }
            }));
        }
        while (done.get() < 100) {
            Thread.onSpinWait();
        }

        db.close();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertThat(thread.isAlive()).as("every worker stopped on the closed store").isFalse();
        }

        assertThat(unexpected.get()).isNull();
        assertThatThrownBy(() -> db.get(key(0))).hasMessageContaining("the store is closed");
        db.close(); // a second close does nothing
    }
}
