package jango.embedded.history;

import jango.engine.BalanceChange;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * Account history in RocksDB, fed with the engine's {@link BalanceChange}s in log order and read a
 * page at a time, newest first. Every change is stored twice, once per query (see
 * {@link HistoryKeys}), so both "all assets of an owner" and "one asset of an owner" are a single
 * prefix scan with nothing filtered out. The changes of an append and the new
 * {@link #indexedSeq()} go in one atomic write batch, so after a crash the index holds exactly
 * the changes up to its indexedSeq and the caller re-feeds from there.
 *
 * <p>One thread appends; any number of threads call {@link #page} and {@link #indexedSeq()}.
 * Writes go to the WAL without fsync; {@link #sync()} makes them durable.
 */
public final class HistoryIndex implements AutoCloseable {
    public static final int MAX_PAGE_LIMIT = 1000;

    private static final Logger log = LoggerFactory.getLogger(HistoryIndex.class);
    private static final long FORMAT = 1;

    static {
        RocksDB.loadLibrary();
    }

    /** RocksDB memory: a block cache shared by reads, and the size of one memtable. */
    public record Settings(long blockCacheBytes, long writeBufferBytes) {
        public static final Settings DEFAULTS = new Settings(32L << 20, 64L << 20);

        public Settings {
            if (blockCacheBytes < 1 << 20) {
                throw new IllegalArgumentException("blockCacheBytes: " + blockCacheBytes + " (expected: >= 1 MiB)");
            }
            if (writeBufferBytes < 1 << 20) {
                throw new IllegalArgumentException("writeBufferBytes: " + writeBufferBytes + " (expected: >= 1 MiB)");
            }
        }
    }

    private final Path dir;
    private final RocksDB db;
    private final Options options;
    private final LRUCache blockCache;
    private final WriteOptions writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);
    private final ReadOptions readOptions = new ReadOptions();

    /** Held by the appender; guards the reused batch and buffers. */
    private final ReentrantLock appendLock = new ReentrantLock();
    private final WriteBatch batch = new WriteBatch();
    private final ByteBuffer keyBuffer = ByteBuffer.allocateDirect(HistoryKeys.MAX_KEY_BYTES);
    private final ByteBuffer valueBuffer = ByteBuffer.allocateDirect(HistoryValues.MAX_VALUE_BYTES);

    /** Read-held by every use of the native handles, write-held by close: no use after free. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private volatile long indexedSeq;

    private HistoryIndex(Path dir, RocksDB db, Options options, LRUCache blockCache, long indexedSeq) {
        this.dir = dir;
        this.db = db;
        this.options = options;
        this.blockCache = blockCache;
        this.indexedSeq = indexedSeq;
    }

    public static HistoryIndex open(Path dir) throws IOException {
        return open(dir, Settings.DEFAULTS);
    }

    public static HistoryIndex open(Path dir, Settings settings) throws IOException {
        Files.createDirectories(dir);
        LRUCache blockCache = new LRUCache(settings.blockCacheBytes());
        Options options = newOptions(settings, blockCache);
        RocksDB db = null;
        boolean opened = false;
        try {
            db = RocksDB.open(options, dir.toString());
            HistoryIndex index = new HistoryIndex(dir, db, options, blockCache, readIndexedSeq(db, dir));
            opened = true;
            return index;
        } catch (RocksDBException e) {
            throw new IOException("history index: cannot open " + dir + ": " + e.getMessage(), e);
        } finally {
            if (!opened) {
                if (db != null) {
                    db.close();
                }
                options.close();
                blockCache.close();
            }
        }
    }

    private static Options newOptions(Settings settings, LRUCache blockCache) {
        // No bloom filter: every read is a prefix range scan, which a whole-key filter cannot help.
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setBlockSize(16 * 1024);
        return new Options()
                .setCreateIfMissing(true)
                .setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(settings.writeBufferBytes())
                .setMaxWriteBufferNumber(3)
                .setMaxBackgroundJobs(2)
                .setBytesPerSync(1L << 20)
                .setKeepLogFileNum(5)
                .setMaxLogFileSize(16L << 20);
    }

    private static long readIndexedSeq(RocksDB db, Path dir) throws RocksDBException, IOException {
        byte[] format = db.get(HistoryKeys.FORMAT_KEY);
        if (format == null) {
            db.put(HistoryKeys.FORMAT_KEY, HistoryKeys.longBytes(FORMAT));
        } else if (HistoryKeys.getLong(format, 0) != FORMAT) {
            throw new IOException("history index " + dir + ": format " + HistoryKeys.getLong(format, 0)
                    + " (expected: " + FORMAT + "); destroy it and rebuild from the journal");
        }
        byte[] seq = db.get(HistoryKeys.INDEXED_SEQ_KEY);
        return seq == null ? 0 : HistoryKeys.getLong(seq, 0);
    }

    /** Highest seq whose changes are all stored (0 when empty). */
    public long indexedSeq() {
        return indexedSeq;
    }

    /**
     * Stores the changes and sets indexedSeq = upToSeq in one atomic write batch. Changes come in
     * log order (seq never decreasing) and all have seq <= upToSeq, which promises that every
     * change of a seq up to upToSeq is in this call or an earlier one. A change with
     * seq <= indexedSeq() is skipped, so re-feeding after a restart is harmless. A change that
     * fails validation throws IllegalArgumentException and nothing of the call is stored.
     */
    public void append(List<BalanceChange> changes, long upToSeq) throws IOException {
        Objects.requireNonNull(changes, "changes");
        appendLock.lock();
        lifecycle.readLock().lock();
        try {
            checkOpen();
            writeBatch(changes, upToSeq);
        } finally {
            lifecycle.readLock().unlock();
            appendLock.unlock();
        }
    }

    private void writeBatch(List<BalanceChange> changes, long upToSeq) throws IOException {
        try {
            long from = indexedSeq;
            long to = Math.max(from, upToSeq);
            long previousSeq = 0;
            for (BalanceChange change : changes) {
                checkChange(change, previousSeq, upToSeq);
                previousSeq = change.seq();
                if (change.seq() > from) {
                    putChange(change);
                }
            }
            if (to == from) {
                return;
            }
            batch.put(HistoryKeys.INDEXED_SEQ_KEY, HistoryKeys.longBytes(to));
            db.write(writeOptions, batch);
            indexedSeq = to;
        } catch (RocksDBException e) {
            throw new IOException("history index: append up to seq " + upToSeq + " failed: " + e.getMessage(), e);
        } finally {
            batch.clear();
        }
    }

    private static void checkChange(BalanceChange change, long previousSeq, long upToSeq) {
        Objects.requireNonNull(change, "change");
        if (change.seq() < previousSeq) {
            throw new IllegalArgumentException("seq: " + change.seq() + " after " + previousSeq + " (expected: log order)");
        }
        if (change.seq() > upToSeq) {
            throw new IllegalArgumentException("seq: " + change.seq() + " (expected: <= upToSeq " + upToSeq + ")");
        }
        if (change.revision() < 0) {
            throw new IllegalArgumentException("revision: " + change.revision() + " (expected: >= 0)");
        }
        HistoryKeys.checkOwner(change.account());
        HistoryKeys.checkAsset(change.asset());
        HistoryValues.check(change);
    }

    private void putChange(BalanceChange change) throws RocksDBException {
        valueBuffer.clear();
        HistoryValues.put(valueBuffer, change);
        valueBuffer.flip();

        keyBuffer.clear();
        HistoryKeys.putByOwnerKey(keyBuffer, change.account(), change.seq(), change.asset(), change.revision());
        keyBuffer.flip();
        batch.put(keyBuffer, valueBuffer);

        valueBuffer.rewind();
        keyBuffer.clear();
        HistoryKeys.putByOwnerAssetKey(keyBuffer, change.account(), change.asset(), change.revision());
        keyBuffer.flip();
        batch.put(keyBuffer, valueBuffer);
    }

    /**
     * Newest first (seq descending, then asset ascending, then revision descending) for one
     * owner, one asset or all ({@code asset} null). {@code cursor} is null for the first page,
     * else the {@code next} of the previous page of the same query.
     *
     * @throws IllegalArgumentException for a limit outside 1..1000 or a cursor that does not decode
     */
    public HistoryPage page(String owner, String asset, int limit, String cursor) {
        HistoryKeys.checkOwner(owner);
        if (asset != null) {
            HistoryKeys.checkAsset(asset);
        }
        if (limit < 1 || limit > MAX_PAGE_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_PAGE_LIMIT + ")");
        }
        byte[] prefix = asset == null ? HistoryKeys.byOwnerPrefix(owner) : HistoryKeys.byOwnerAssetPrefix(owner, asset);
        byte[] start = cursor == null ? prefix : afterPosition(prefix, HistoryCursor.decode(cursor, owner, asset));
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return scan(owner, asset, limit, prefix, start);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * The smallest key greater than prefix+position. Appending 0x00 is enough because no key is
     * a proper prefix of another: each ends with a fixed 8-byte revision after the asset's end.
     */
    private static byte[] afterPosition(byte[] prefix, byte[] position) {
        byte[] start = new byte[prefix.length + position.length + 1];
        System.arraycopy(prefix, 0, start, 0, prefix.length);
        System.arraycopy(position, 0, start, prefix.length, position.length);
        return start;
    }

    private HistoryPage scan(String owner, String asset, int limit, byte[] prefix, byte[] start) {
        // The iterator reads one implicit snapshot, so a page never shows half of an append.
        try (RocksIterator iterator = db.newIterator(readOptions)) {
            List<HistoryEntry> entries = new ArrayList<>(Math.min(limit, 128));
            byte[] lastKey = null;
            iterator.seek(start);
            while (entries.size() < limit && iterator.isValid()) {
                byte[] key = iterator.key();
                if (!HistoryKeys.startsWith(key, prefix)) {
                    break;
                }
                String entryAsset = asset != null ? asset : HistoryKeys.byOwnerAsset(key, prefix.length);
                entries.add(HistoryValues.read(iterator.value(), entryAsset, HistoryKeys.revision(key)));
                lastKey = key;
                iterator.next();
            }
            boolean more = entries.size() == limit && iterator.isValid()
                    && HistoryKeys.startsWith(iterator.key(), prefix);
            iterator.status();
            String next = more ? HistoryCursor.encode(owner, asset, lastKey, prefix.length) : null;
            return new HistoryPage(List.copyOf(entries), next);
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("history index: read of " + owner + " failed: " + e.getMessage(), e));
        }
    }

    /** Makes everything appended so far durable (flushes the WAL with fsync). */
    public void sync() throws IOException {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new IOException("history index: sync of " + dir + " failed: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Syncs and closes; waits for pages and an append in progress. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                db.flushWal(true);
            } catch (RocksDBException e) {
                log.warn("event=history_close_sync_failed dir={} error={}", dir, e.getMessage());
            }
            batch.close();
            writeOptions.close();
            readOptions.close();
            db.close();
            options.close();
            blockCache.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Deletes the index directory (to rebuild it from the journal). The index must be closed. */
    public static void destroy(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("history index " + dir + " is closed");
        }
    }
}
