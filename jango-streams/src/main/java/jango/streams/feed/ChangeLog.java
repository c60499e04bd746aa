package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.ByteWriter;
import jango.streams.StreamsDb;
import org.rocksdb.WriteBatch;
import org.rocksdb.RocksDBException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embedded mode's {@link ChangeFeed}: every balance change the ledger publishes, stored in log
 * order in the streams store, kept for the last {@code retainSeqs} log positions. Positions are
 * log sequence numbers written in decimal.
 *
 * <p>The ledger publishes a batch after it is durable, so a process killed in between leaves
 * changes the ledger has and this log does not. That cannot be told apart from log entries that
 * changed nothing (rejections), so at start the log records a <em>hole</em> over every position the
 * ledger applied past the log's last change unless the previous run stopped cleanly; followers treat
 * a hole by comparing with the ledger (the channel copy resyncs).
 *
 * <pre>
 * 'c' seq:u64 index:u32   one change (ChangeCodec)
 * 'a' account             an account the log has carried
 * 'h' fromSeq:u64         a hole, value toSeq:u64
 * 'm' name                meta: last (seq of the last change), first (oldest seq kept), clean (1 after a clean stop)
 * </pre>
 */
public final class ChangeLog implements ChangeFeed, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeLog.class);
    private static final byte CHANGE = 'c';
    private static final byte ACCOUNT = 'a';
    private static final byte HOLE = 'h';
    private static final byte[] META_LAST = meta("last");
    private static final byte[] META_FIRST = meta("first");
    private static final byte[] META_CLEAN = meta("clean");

    private final StreamsDb db;
    private final long retainSeqs;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ByteWriter scratch = new ByteWriter(256);
    /** Accounts registered lately: most changes are of accounts the log already has (cleared when full). */
    private final java.util.Set<String> registered = new java.util.HashSet<>();
    private static final int MAX_REGISTERED_CACHE = 1_000_000;

    private volatile long lastSeq;
    private volatile long firstSeq;
    private final java.util.concurrent.atomic.AtomicLong failedWrites = new java.util.concurrent.atomic.AtomicLong();

    private ChangeLog(StreamsDb db, long retainSeqs, long lastSeq, long firstSeq) {
        this.db = db;
        this.retainSeqs = retainSeqs;
        this.lastSeq = lastSeq;
        this.firstSeq = firstSeq;
    }

    /**
     * Opens the log in {@code db}; {@code ledgerSeq} is where the ledger stands now, before any
     * change of this run is published (see the class comment for the hole this may record).
     */
    public static ChangeLog open(StreamsDb db, long retainSeqs, long ledgerSeq) {
        byte[] last = db.get(META_LAST);
        byte[] first = db.get(META_FIRST);
        boolean clean = db.get(META_CLEAN) != null && db.get(META_CLEAN)[0] == 1;
        ChangeLog changeLog = new ChangeLog(db, retainSeqs, last == null ? 0 : getLong(last), first == null ? 1 : getLong(first));
        long logged = changeLog.lastSeq;
        if (ledgerSeq > logged && (last == null || !clean)) {
            changeLog.recordHole(logged + 1, ledgerSeq);
            log.warn("event=feed_hole from={} to={} reason=\"{}\"", logged + 1, ledgerSeq,
                    last == null ? "the feed starts after the ledger" : "the previous run did not stop cleanly");
        }
        if (ledgerSeq > changeLog.lastSeq) {
            changeLog.lastSeq = ledgerSeq; // positions up to here are accounted for (logged, or in the hole)
            db.put(META_LAST, longBytes(ledgerSeq));
        }
        db.put(META_CLEAN, new byte[]{0});
        return changeLog;
    }

    /** Stores published changes, in log order (one thread: the {@link FeedWriter}'s). */
    public void append(List<BalanceChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        long newLast = changes.get(changes.size() - 1).seq();
        try (WriteBatch batch = new WriteBatch()) {
            long seq = -1;
            int index = 0;
            for (BalanceChange change : changes) {
                index = change.seq() == seq ? index + 1 : 0;
                seq = change.seq();
                batch.put(changeKey(seq, index), ChangeCodec.encode(change, scratch));
                if (registered.add(change.account())) {
                    batch.put(accountKey(change.account()), new byte[0]);
                }
            }
            batch.put(META_LAST, longBytes(newLast));
            db.write(batch);
        } catch (RocksDBException | RuntimeException e) {
            // The ledger goes on; followers learn of the loss through a hole and resync.
            log.error("event=feed_write_failed from={} to={} error=\"{}\"", changes.get(0).seq(), newLast, e.toString());
            registered.clear(); // some may not be stored
            recordLost(changes.get(0).seq(), newLast);
        }
        if (registered.size() > MAX_REGISTERED_CACHE) {
            registered.clear();
        }
        lastSeq = Math.max(lastSeq, newLast);
        prune();
        for (Runnable listener : listeners) {
            listener.run();
        }
    }

    private void prune() {
        long keepFrom = lastSeq - retainSeqs + 1;
        // In steps of a tenth, so the range delete runs rarely.
        if (keepFrom - firstSeq < Math.max(1, retainSeqs / 10)) {
            return;
        }
        db.deleteRange(changeKey(firstSeq, 0), changeKey(keepFrom, 0));
        db.deleteRange(holeKey(0), holeKey(keepFrom));
        db.put(META_FIRST, longBytes(keepFrom));
        firstSeq = keepFrom;
    }

    public long lastSeq() {
        return lastSeq;
    }

    /** Batches that did not reach the log (a failed write, or the log too far behind): each is a hole. */
    public long failedWrites() {
        return failedWrites.get();
    }

    @Override
    public String start() {
        return "0";
    }

    @Override
    public String end() {
        return Long.toString(lastSeq);
    }

    @Override
    public void check(String position) {
        long afterSeq = parsePosition(position);
        if (afterSeq + 1 < firstSeq) {
            throw new FeedTruncatedException("the feed keeps positions from " + firstSeq + " on; " + position + " is older (resync)");
        }
    }

    @Override
    public FeedChunk read(String after, int maxChanges) {
        check(after);
        long afterSeq = parsePosition(after);
        long upTo = lastSeq;
        List<BalanceChange> changes = new ArrayList<>();
        long[] stop = {upTo};
        db.scan(new byte[]{CHANGE}, changeKey(afterSeq + 1, 0), (key, value) -> {
            long seq = ByteBuffer.wrap(key, 1, 8).getLong();
            if (seq > upTo || (changes.size() >= maxChanges && !changes.isEmpty() && seq != changes.get(changes.size() - 1).seq())) {
                stop[0] = Math.min(upTo, seq - 1);
                return false;
            }
            changes.add(ChangeCodec.decode(value));
            return true;
        });
        long next = stop[0];
        List<FeedChunk.Hole> holes = new ArrayList<>();
        db.scan(new byte[]{HOLE}, holeKey(0), (key, value) -> {
            long from = ByteBuffer.wrap(key, 1, 8).getLong();
            long to = getLong(value);
            if (from > next) {
                return false;
            }
            if (to > afterSeq) {
                holes.add(new FeedChunk.Hole(Math.max(from, afterSeq + 1), Math.min(to, next)));
            }
            return true;
        });
        return new FeedChunk(changes, holes, Long.toString(Math.max(next, afterSeq)));
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public List<String> accounts(String after, int limit) {
        List<String> accounts = new ArrayList<>(Math.min(limit, 1_000));
        byte[] from = after == null ? new byte[]{ACCOUNT} : successor(accountKey(after));
        db.scan(new byte[]{ACCOUNT}, from, (key, value) -> {
            accounts.add(new String(key, 1, key.length - 1, StandardCharsets.UTF_8));
            return accounts.size() < limit;
        });
        return accounts;
    }

    /** A clean stop: every change the ledger published is stored, so the next start records no hole. */
    @Override
    public void close() {
        db.put(META_CLEAN, new byte[]{1});
    }

    static long parsePosition(String position) {
        try {
            long seq = Long.parseLong(position);
            if (seq >= 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("position: \"" + abbreviate(position) + "\" (expected: a log position from this feed, 0 or more)");
    }

    private void recordHole(long from, long to) {
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(holeKey(from), longBytes(to));
            db.writeSynced(batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changes of positions {@code from..to} did not reach the log: a hole, so followers compare with the ledger. */
    public void recordLost(long from, long to) {
        failedWrites.incrementAndGet();
        try {
            recordHole(from, to);
        } catch (RuntimeException e) {
            log.error("event=feed_hole_not_recorded from={} to={} error=\"{}\"", from, to, e.toString());
        }
        lastSeq = Math.max(lastSeq, to);
    }

    private static byte[] changeKey(long seq, int index) {
        return ByteBuffer.allocate(1 + 8 + 4).put(CHANGE).putLong(seq).putInt(index).array();
    }

    private static byte[] holeKey(long from) {
        return ByteBuffer.allocate(1 + 8).put(HOLE).putLong(from).array();
    }

    private static byte[] accountKey(String account) {
        byte[] utf8 = account.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + utf8.length).put(ACCOUNT).put(utf8).array();
    }

    private static byte[] successor(byte[] key) {
        byte[] next = java.util.Arrays.copyOf(key, key.length + 1);
        return next; // the key followed by 0x00: the smallest key after it
    }

    private static byte[] meta(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + utf8.length).put((byte) 'm').put(utf8).array();
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    private static long getLong(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getLong();
    }

    private static String abbreviate(String value) {
        return value == null ? "null" : value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
