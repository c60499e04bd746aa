package jango.streams;

import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiPredicate;

/**
 * The channel side's own store under the data directory: the feed log and the webhook
 * subscriptions and deliveries, in one RocksDB. Each user of it has its own key space (the first
 * byte of every key). Writes go to RocksDB's write-ahead log without an fsync, so they survive the
 * process being killed (the OS has them) but not a power cut, except the few that ask for
 * {@link #writeSynced}: subscriptions, which clients cannot replay.
 */
public final class StreamsDb implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private static final int MAX_OPEN_FILES = 128;
    private static final long WRITE_BUFFER_BYTES = 16L << 20;

    private final Options options;
    private final RocksDB db;
    private final WriteOptions unsynced = new WriteOptions();
    private final WriteOptions synced = new WriteOptions().setSync(true);

    /**
     * Read-held by every use of the native handles, write-held by {@link #close}: a feed or webhook
     * thread still running at shutdown gets an exception, never a freed RocksDB (which aborts the
     * JVM: "pthread lock: Invalid argument").
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    /** A use of the native handles; see {@link #guarded}. */
    private interface NativeCall<T> {
        T call() throws RocksDBException;
    }

    private <T> T guarded(String what, NativeCall<T> call) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new UncheckedIOException(new IOException("streams store " + what + " failed: the store is closed"));
            }
            return call.call();
        } catch (RocksDBException e) {
            throw failed(what, e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private StreamsDb(Options options, RocksDB db) {
        this.options = options;
        this.db = db;
    }

    public static StreamsDb open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true)
                // Start-up time, measured at 100 million commands (a 4.6 GB feed in about 100 table
                // files): with every file opened at start (RocksDB's default), opening took 0.4 s
                // alone and 3 to 5 s of a restart beside the index's compactions; a bounded table
                // cache opens a quarter of it at start and the rest when read (40 ms alone).
                .setMaxOpenFiles(MAX_OPEN_FILES)
                .setSkipStatsUpdateOnDbOpen(true)
                // The write-ahead log replayed after a kill is at most about two memtables: 64 MiB
                // each by default (1.5 s of a restart), 16 MiB here.
                .setWriteBufferSize(WRITE_BUFFER_BYTES);
        try {
            return new StreamsDb(options, RocksDB.open(options, dir.toString()));
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open the streams store in " + dir + ": " + e.getMessage(), e);
        }
    }

    public byte[] get(byte[] key) {
        return guarded("read", () -> db.get(key));
    }

    public void put(byte[] key, byte[] value) {
        guarded("write", () -> {
            db.put(unsynced, key, value);
            return null;
        });
    }

    public void write(WriteBatch batch) {
        guarded("write", () -> {
            db.write(unsynced, batch);
            return null;
        });
    }

    public void writeSynced(WriteBatch batch) {
        guarded("write", () -> {
            db.write(synced, batch);
            return null;
        });
    }

    /**
     * Deletes the keys in the range, and gives their disk back: a range delete alone only writes a
     * tombstone, which compaction acts on when it reaches the range's files, and the feed's old
     * positions are files compaction seldom reaches again (measured: a soak's feed, which keeps 10
     * million positions, held 25 million positions' worth of disk at 25 million commands). The files
     * wholly inside the range are dropped at once; compaction handles the two at its edges.
     */
    public void deleteRange(byte[] fromInclusive, byte[] toExclusive) {
        guarded("delete", () -> {
            db.deleteRange(unsynced, fromInclusive, toExclusive);
            db.deleteFilesInRanges(db.getDefaultColumnFamily(), List.of(fromInclusive, toExclusive), false);
            return null;
        });
    }

    /** The bytes of the store's table files on disk (not its write-ahead log); for tests. */
    long diskBytes() {
        return guarded("read", () -> db.getLongProperty("rocksdb.live-sst-files-size"));
    }

    /** Writes what is in memory to table files (tests use it to see what is on disk). */
    void flush() {
        guarded("flush", () -> {
            try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
                db.flush(wait);
            }
            return null;
        });
    }

    /**
     * Visits keys from {@code from} (inclusive) while they start with {@code prefix}, in key order,
     * until {@code visitor} returns false.
     */
    public void scan(byte[] prefix, byte[] from, BiPredicate<byte[], byte[]> visitor) {
        guarded("read", () -> {
            scanOpen(prefix, from, visitor);
            return null;
        });
    }

    private void scanOpen(byte[] prefix, byte[] from, BiPredicate<byte[], byte[]> visitor) {
        byte[] upper = upperBound(prefix);
        try (Slice bound = upper == null ? null : new Slice(upper);
             ReadOptions read = new ReadOptions();
             RocksIterator it = newIterator(read, bound)) {
            for (it.seek(from); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!startsWith(key, prefix) || !visitor.test(key, it.value())) {
                    return;
                }
            }
            try {
                it.status();
            } catch (RocksDBException e) {
                throw failed("read", e);
            }
        }
    }

    private RocksIterator newIterator(ReadOptions read, Slice bound) {
        if (bound != null) {
            read.setIterateUpperBound(bound);
        }
        return db.newIterator(read);
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null when none is. */
    public static byte[] upperBound(byte[] prefix) {
        byte[] upper = Arrays.copyOf(prefix, prefix.length);
        for (int i = upper.length - 1; i >= 0; i--) {
            if (upper[i] != (byte) 0xFF) {
                upper[i]++;
                return Arrays.copyOf(upper, i + 1);
            }
        }
        return null;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static UncheckedIOException failed(String what, RocksDBException e) {
        return new UncheckedIOException(new IOException("streams store " + what + " failed: " + e.getMessage(), e));
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            // Into table files, so the next start has no write-ahead log to replay.
            try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
                db.flush(wait);
            } catch (RocksDBException e) {
                try {
                    db.syncWal(); // closing anyway; the next start replays the log
                } catch (RocksDBException ignored) {
                    // the WAL is in the OS already
                }
            }
            db.close();
            unsynced.close();
            synced.close();
            options.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
