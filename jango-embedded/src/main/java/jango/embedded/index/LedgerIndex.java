package jango.embedded.index;

import jango.engine.BalanceChange;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.WriteBufferManager;
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
 * The journal's projection on local disk, in RocksDB: account history, stored results and closed
 * holds. The engine keeps none of the last two in memory (its memory is set by accounts and open
 * holds); they live here, found by id, behind the engine's id filter.
 *
 * <p>History is fed with the engine's {@link BalanceChange}s in log order and read a page at a
 * time, newest first. Every change is stored twice, once per query (see {@link HistoryKeys}), so
 * both "all assets of an owner" and "one asset of an owner" are a single prefix scan with nothing
 * filtered out. Results ({@code results} column family, by command id) and closed holds
 * ({@code holds}, by hold id) carry the seq that stored them. Everything of an {@link Chunk} and
 * the new {@link #indexedSeq()} go in one atomic write batch, so after a crash the index holds
 * exactly what entries up to its indexedSeq made, and the caller re-feeds from there.
 *
 * <p>Memory is bounded whatever the data size: index and filter blocks live in the block cache
 * (partitioned, so a lookup loads only the part it needs), and every memtable is charged to one
 * write buffer budget.
 *
 * <p>One thread appends; any number of threads read. Writes go to the WAL without fsync;
 * {@link #sync()} makes them durable (the journal is the truth: the index can always be rebuilt).
 */
public final class LedgerIndex implements AutoCloseable {
    public static final int MAX_PAGE_LIMIT = 1000;

    private static final Logger log = LoggerFactory.getLogger(LedgerIndex.class);
    private static final long FORMAT = 2;
    private static final long MAX_TOTAL_WAL_BYTES = 32L << 20;
    private static final byte[] RESULTS_FAMILY = "results".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final byte[] HOLDS_FAMILY = "holds".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    /** RocksDB memory: a block cache shared by reads (index and filter blocks included), and all memtables together. */
    public record Settings(long blockCacheBytes, long writeBufferBytes) {
        public static final Settings DEFAULTS = new Settings(64L << 20, 96L << 20);

        public Settings {
            if (blockCacheBytes < 1 << 20) {
                throw new IllegalArgumentException("blockCacheBytes: " + blockCacheBytes + " (expected: >= 1 MiB)");
            }
            if (writeBufferBytes < 1 << 20) {
                throw new IllegalArgumentException("writeBufferBytes: " + writeBufferBytes + " (expected: >= 1 MiB)");
            }
        }
    }

    /** The index was written by another version of Jango: it is rebuilt from the journal. */
    public static final class WrongFormat extends IOException {
        WrongFormat(String message) {
            super(message);
        }
    }

    /**
     * What a stretch of the log made, for one append: the balance changes (history), results and
     * closed holds in the {@link ArchiveRecords} encoding, and the seq everything up to which is in.
     */
    public record Chunk(List<BalanceChange> changes, ArchiveRecords results, ArchiveRecords holds, long upToSeq) {
    }

    private final Path dir;
    private final RocksDB db;
    private final DBOptions options;
    private final List<ColumnFamilyOptions> familyOptions;
    private final List<ColumnFamilyHandle> families;
    private final ColumnFamilyHandle results;
    private final ColumnFamilyHandle holds;
    private final LRUCache blockCache;
    private final WriteBufferManager writeBuffers;
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

    private LedgerIndex(Path dir, RocksDB db, DBOptions options, List<ColumnFamilyOptions> familyOptions,
                        List<ColumnFamilyHandle> families, LRUCache blockCache, WriteBufferManager writeBuffers) {
        this.dir = dir;
        this.db = db;
        this.options = options;
        this.familyOptions = familyOptions;
        this.families = families;
        this.results = families.get(1);
        this.holds = families.get(2);
        this.blockCache = blockCache;
        this.writeBuffers = writeBuffers;
    }

    public static LedgerIndex open(Path dir) throws IOException {
        return open(dir, Settings.DEFAULTS);
    }

    public static LedgerIndex open(Path dir, Settings settings) throws IOException {
        Files.createDirectories(dir);
        LRUCache blockCache = new LRUCache(settings.blockCacheBytes());
        WriteBufferManager writeBuffers = new WriteBufferManager(settings.writeBufferBytes(), blockCache);
        DBOptions options = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setWriteBufferManager(writeBuffers)
                // One flush and three compactions at once, a level-0 compaction split in two: with two
                // jobs RocksDB ran one compaction for all three families, and level 0 piled up
                // (below). On 2 cores they share the CPU with the writer; they run when it waits.
                .setMaxBackgroundJobs(4)
                .setMaxSubcompactions(2)
                .setBytesPerSync(1L << 20)
                .setKeepLogFileNum(5)
                .setMaxLogFileSize(16L << 20)
                // Open without reading every table file's properties for compaction statistics: at
                // 76 million commands (18 GB) that was seconds of a restart, read from a cold disk.
                .setSkipStatsUpdateOnDbOpen(true)
                // A restart after a kill replays the write-ahead log into memtables: 62 MB of it took
                // 1.4 s at 100 million commands, and the flush after it 0.3 s more. Past this size
                // RocksDB flushes the families that hold the oldest log, so the replay stays short;
                // the recovered memtables are flushed later, as usual, not before the start goes on.
                .setMaxTotalWalSize(MAX_TOTAL_WAL_BYTES)
                .setAvoidFlushDuringRecovery(true);
        // Every table file stays open (RocksDB's default; 609 files at 100 million commands, 0.5 s
        // of a start to open them): a recovery's replay looks up ids in a cold index, and a bounded
        // table cache would add a file open to many of those lookups.
        // History is read by prefix range scans, which a whole-key filter cannot help; results and
        // holds are point lookups by id, mostly of ids that are not there: a Bloom filter answers those.
        List<ColumnFamilyOptions> familyOptions = List.of(familyOptions(blockCache, settings, false),
                familyOptions(blockCache, settings, true), familyOptions(blockCache, settings, true));
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions.get(0)),
                new ColumnFamilyDescriptor(RESULTS_FAMILY, familyOptions.get(1)),
                new ColumnFamilyDescriptor(HOLDS_FAMILY, familyOptions.get(2)));
        List<ColumnFamilyHandle> families = new ArrayList<>();
        RocksDB db = null;
        boolean opened = false;
        try {
            db = RocksDB.open(options, dir.toString(), descriptors, families);
            LedgerIndex index = new LedgerIndex(dir, db, options, familyOptions, families, blockCache, writeBuffers);
            index.indexedSeq = readIndexedSeq(db, dir);
            opened = true;
            return index;
        } catch (RocksDBException e) {
            throw new IOException("ledger index: cannot open " + dir + ": " + e.getMessage(), e);
        } finally {
            if (!opened) {
                families.forEach(ColumnFamilyHandle::close);
                if (db != null) {
                    db.close();
                }
                options.close();
                familyOptions.forEach(ColumnFamilyOptions::close);
                writeBuffers.close();
                blockCache.close();
            }
        }
    }

    private static ColumnFamilyOptions familyOptions(LRUCache blockCache, Settings settings, boolean pointLookups) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setBlockSize(16 * 1024)
                // Index and filter blocks in the bounded cache, not held per open file: memory stays
                // flat as the data grows. Partitioned, so a lookup loads only the partition it needs.
                .setCacheIndexAndFilterBlocks(true)
                .setPinTopLevelIndexAndFilter(true)
                .setIndexType(IndexType.kTwoLevelIndexSearch)
                .setPartitionFilters(pointLookups);
        if (pointLookups) {
            table.setFilterPolicy(new BloomFilter(10, false));
        }
        return new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(Math.max(1L << 20, settings.writeBufferBytes() / 3))
                .setMaxWriteBufferNumber(3)
                // RocksDB slows writes at 20 level-0 files and stops them at 36. On 2 busy cores the
                // compaction thread fell that far behind during a 10-million-command soak and stopped
                // the writer (through the index's backpressure) for more than 10 s: requests timed out.
                // At 48/96 a 100-million-command soak on a machine also running tests stalled at 38.5
                // million: 57-78 level-0 files, and the slowdown's rate, cut by a fifth each time the
                // count rose, fell to 36 KB/s; the index all but stopped, the writer waited on it, and
                // requests timed out for over two minutes. The index is a projection the writer must
                // not wait on for long, so level 0 may now grow far deeper before RocksDB slows it: a
                // deeper level 0 costs reads instead (a bloom filter per file for ids, one more
                // iterator per file for history scans) while the backlog lasts, and it is worked off
                // when the CPU frees. The projector's bounded queue still holds the writer back if
                // the index truly cannot write.
                .setLevel0SlowdownWritesTrigger(400)
                .setLevel0StopWritesTrigger(800);
    }

    private static long readIndexedSeq(RocksDB db, Path dir) throws RocksDBException, IOException {
        byte[] format = db.get(HistoryKeys.FORMAT_KEY);
        byte[] seq = db.get(HistoryKeys.INDEXED_SEQ_KEY);
        if (format == null && seq == null) {
            db.put(HistoryKeys.FORMAT_KEY, HistoryKeys.longBytes(FORMAT));
        } else if (format == null || HistoryKeys.getLong(format, 0) != FORMAT) {
            throw new WrongFormat("ledger index " + dir + ": format " + (format == null ? "unknown" : HistoryKeys.getLong(format, 0))
                    + " (expected: " + FORMAT + ")");
        }
        return seq == null ? 0 : HistoryKeys.getLong(seq, 0);
    }

    /** Highest seq whose changes are all stored (0 when empty). */
    public long indexedSeq() {
        return indexedSeq;
    }

    /**
     * Stores a chunk and sets indexedSeq = upToSeq in one atomic write batch. Chunks come in log
     * order and each promises that everything entries up to its upToSeq made is in it or an earlier
     * one. A change with seq <= indexedSeq() is skipped, so re-feeding after a restart is harmless
     * (results and holds are overwritten with the same values). A change that fails validation
     * throws IllegalArgumentException and nothing of the call is stored.
     */
    public void append(Chunk chunk) throws IOException {
        Objects.requireNonNull(chunk, "chunk");
        appendLock.lock();
        lifecycle.readLock().lock();
        try {
            checkOpen();
            writeBatch(chunk);
        } finally {
            lifecycle.readLock().unlock();
            appendLock.unlock();
        }
    }

    /** History only (tests and tools). */
    public void append(List<BalanceChange> changes, long upToSeq) throws IOException {
        append(new Chunk(changes, ArchiveRecords.EMPTY, ArchiveRecords.EMPTY, upToSeq));
    }

    private void writeBatch(Chunk chunk) throws IOException {
        long upToSeq = chunk.upToSeq();
        try {
            long from = indexedSeq;
            long to = Math.max(from, upToSeq);
            long previousSeq = 0;
            for (BalanceChange change : chunk.changes()) {
                checkChange(change, previousSeq, upToSeq);
                previousSeq = change.seq();
                if (change.seq() > from) {
                    putChange(change);
                }
            }
            putRecords(results, chunk.results(), from);
            putRecords(holds, chunk.holds(), from);
            if (to == from) {
                return;
            }
            batch.put(HistoryKeys.INDEXED_SEQ_KEY, HistoryKeys.longBytes(to));
            db.write(writeOptions, batch);
            indexedSeq = to;
        } catch (RocksDBException e) {
            throw new IOException("ledger index: append up to seq " + upToSeq + " failed: " + e.getMessage(), e);
        } finally {
            batch.clear();
        }
    }

    private void putRecords(ColumnFamilyHandle family, ArchiveRecords records, long indexedBefore) throws RocksDBException {
        for (int i = 0; i < records.count(); i++) {
            if (records.seq(i) > indexedBefore) {
                batch.put(family, records.key(i), records.value(i));
            }
        }
    }

    /** How many results are stored (RocksDB's estimate) and the bytes their files take on disk. */
    public record ResultStats(long results, long bytes) {
    }

    public ResultStats resultStats() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            try (org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
                db.flush(flush, results);
            }
            // Counted from every table file's properties: "rocksdb.estimate-num-keys" adds up
            // statistics the open skips reading (skip_stats_update_on_db_open), and the 12-million
            // soak reported 0 stored results for 1.2 GB of them.
            long count = 0;
            for (org.rocksdb.TableProperties table : db.getPropertiesOfAllTables(results).values()) {
                count += table.getNumEntries() - table.getNumDeletions();
            }
            return new ResultStats(count, db.getLongProperty(results, "rocksdb.total-sst-files-size"));
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("ledger index: statistics failed: " + e.getMessage(), e));
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** The stored result of a command id as {@link ArchiveRecords#value} bytes, or null. */
    public byte[] result(String commandId) {
        return get(results, commandId);
    }

    /** A closed hold as {@link ArchiveRecords#value} bytes, or null. */
    public byte[] hold(String holdId) {
        return get(holds, holdId);
    }

    private byte[] get(ColumnFamilyHandle family, String id) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return db.get(family, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("ledger index: read of " + id + " failed: " + e.getMessage(), e));
        } finally {
            lifecycle.readLock().unlock();
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
            throw new UncheckedIOException(new IOException("ledger index: history of " + owner + " failed: " + e.getMessage(), e));
        }
    }

    /**
     * Every command id with a stored result, in key order, to {@code ids}; for rebuilding the
     * engine's id filter. Reads the whole family once without filling the block cache.
     */
    public void forEachResultId(java.util.function.Consumer<String> ids) throws IOException {
        forEachKey(results, ids);
    }

    /** Every closed hold's id, as {@link #forEachResultId}. */
    public void forEachHoldId(java.util.function.Consumer<String> ids) throws IOException {
        forEachKey(holds, ids);
    }

    private void forEachKey(ColumnFamilyHandle family, java.util.function.Consumer<String> ids) throws IOException {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            try (ReadOptions scan = new ReadOptions().setFillCache(false).setReadaheadSize(4L << 20);
                 RocksIterator iterator = db.newIterator(family, scan)) {
                for (iterator.seekToFirst(); iterator.isValid(); iterator.next()) {
                    ids.accept(ArchiveRecords.key(iterator.key()));
                }
                iterator.status();
            }
        } catch (RocksDBException e) {
            throw new IOException("ledger index: reading the stored ids failed: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Makes everything appended so far durable (flushes the WAL with fsync). */
    public void sync() throws IOException {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new IOException("ledger index: sync of " + dir + " failed: " + e.getMessage(), e);
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
            // Memtables into table files, so the next start has no write-ahead log to replay.
            try (org.rocksdb.FlushOptions wait = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
                db.flush(wait, families);
            } catch (RocksDBException e) {
                log.warn("event=index_close_flush_failed dir={} error={}", dir, e.getMessage());
                try {
                    db.flushWal(true);
                } catch (RocksDBException again) {
                    log.warn("event=history_close_sync_failed dir={} error={}", dir, again.getMessage());
                }
            }
            batch.close();
            writeOptions.close();
            readOptions.close();
            families.forEach(ColumnFamilyHandle::close);
            db.close();
            options.close();
            familyOptions.forEach(ColumnFamilyOptions::close);
            writeBuffers.close();
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
            throw new IllegalStateException("ledger index " + dir + " is closed");
        }
    }
}
