package jango.streams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

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
}
