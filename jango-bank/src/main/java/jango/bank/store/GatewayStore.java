package jango.bank.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import jango.bank.Deposit;
import jango.bank.Withdrawal;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The gateway's own durable state, in RocksDB under {@code <data-dir>/bank}: withdrawals (with an
 * index of the open ones, one per account, one per bank transaction number), deposits, suspense,
 * virtual accounts and each bank's operator settings. A write with {@code sync} is fsynced (the
 * WAL) before it returns; one without is in the WAL, safe from kill -9 but not from power loss, and
 * becomes durable with the next synced write. The gateway syncs what it must never forget: a new
 * withdrawal before its hold, and SENT before the telegram leaves; it can redo every other step.
 *
 * <p>Keys are text: {@code w/<id>}, {@code o/<bank>/<id>} (open), {@code u/<account>/<createdAt>/<id>},
 * {@code t/<bank>/<txNo>}, {@code r/<bank>/<date>/W|D/<txNo>} (bank decisions by business date),
 * {@code d/<bank>/<txNo>}, {@code s/<bank>/<txNo>} (unresolved suspense), {@code v/<virtual account>},
 * {@code b/<bank>} (settings).
 */
public final class GatewayStore implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    static {
        RocksDB.loadLibrary();
    }

    private final RocksDB db;
    private final Options options;
    private final WriteOptions synced = new WriteOptions().setSync(true);
    private final WriteOptions buffered = new WriteOptions().setSync(false);

    /**
     * Read-held by every use of the native handles, write-held by {@link #close}. A lane, dispatcher
     * or ledger callback still running when the gateway closes gets a StoreException; without it,
     * it used a freed RocksDB and the JVM aborted ("pthread lock: Invalid argument", seen in CI).
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private GatewayStore(RocksDB db, Options options) {
        this.db = db;
        this.options = options;
    }

    public static GatewayStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new GatewayStore(RocksDB.open(options, dir.toString()), options);
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("bank gateway store: cannot open " + dir + ": " + e.getMessage(), e);
        }
    }

    // ---- withdrawals ------------------------------------------------------------------------

    public Withdrawal withdrawal(String id) {
        return read(key("w/", id), Withdrawal.class);
    }

    /**
     * Writes {@code next} (a new withdrawal when {@code previous} is null) and its indexes in one
     * atomic batch.
     */
    public void put(Withdrawal previous, Withdrawal next, boolean sync) {
        putAll(List.<Withdrawal[]>of(new Withdrawal[] {previous, next}), sync);
    }

    /** Writes each {previous, next} pair as {@link #put} does, all in one atomic batch (one fsync when {@code sync}). */
    public void putAll(List<Withdrawal[]> transitions, boolean sync) {
        guarded(() -> "writing " + transitions.size() + " withdrawals", () -> {
            try (WriteBatch batch = new WriteBatch()) {
                for (Withdrawal[] transition : transitions) {
                    addWithdrawal(batch, transition[0], transition[1]);
                }
                db.write(sync ? synced : buffered, batch);
                return null;
            }
        });
    }

    private void addWithdrawal(WriteBatch batch, Withdrawal previous, Withdrawal next) throws RocksDBException {
        batch.put(key("w/", next.id()), json(next));
        byte[] open = key("o/", next.bank() + "/" + next.id());
        if (next.status().ended()) {
            batch.delete(open);
        } else if (previous == null) {
            batch.put(open, new byte[0]);
        }
        if (previous == null) {
            batch.put(key("u/", next.account() + "/" + String.format("%016d", next.createdAtMillis()) + "/" + next.id()), new byte[0]);
            batch.put(key("t/", next.bank() + "/" + txNo(next.txNo())), next.id().getBytes(StandardCharsets.UTF_8));
        }
        if (next.bankDate() != 0 && (previous == null || previous.bankDate() == 0)) {
            batch.put(key("r/", next.bank() + "/" + next.bankDate() + "/W/" + txNo(next.txNo())), next.id().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Every withdrawal that has not ended, of every bank. */
    public List<Withdrawal> openWithdrawals() {
        List<Withdrawal> open = new ArrayList<>();
        scan("o/", false, (k, v) -> {
            String id = k.substring(k.indexOf('/', 2) + 1);
            Withdrawal withdrawal = withdrawal(id);
            if (withdrawal == null) {
                throw new StoreException("open marker " + k + " without its withdrawal", null);
            }
            open.add(withdrawal);
            return true;
        });
        return open;
    }

    /** The highest bank transaction number ever given out for {@code bank}, 0 if none. */
    public long lastTxNo(String bank) {
        byte[] prefix = key("t/", bank + "/");
        return guarded(() -> "reading the last transaction number of bank " + bank, () -> {
            try (RocksIterator it = db.newIterator()) {
                byte[] after = Arrays.copyOf(prefix, prefix.length + 1);
                after[prefix.length] = (byte) 0xff;
                it.seekForPrev(after);
                if (it.isValid() && startsWith(it.key(), prefix)) {
                    return Long.parseLong(new String(it.key(), prefix.length, it.key().length - prefix.length, StandardCharsets.UTF_8));
                }
                return 0L;
            }
        });
    }

    public record Page<T>(List<T> items, String next) {
    }

    /**
     * An account's withdrawals, newest first. {@code after} is the {@code next} of the previous page
     * (a key suffix the caller checked), or null.
     */
    public Page<Withdrawal> withdrawalsOf(String account, int limit, String after) {
        String prefix = "u/" + account + "/";
        List<Withdrawal> items = new ArrayList<>();
        String[] last = new String[1];
        scanFrom(prefix, after == null ? null : prefix + after, true, (k, v) -> {
            if (items.size() == limit) {
                return false;
            }
            String suffix = k.substring(prefix.length());
            Withdrawal withdrawal = withdrawal(suffix.substring(suffix.indexOf('/') + 1));
            if (withdrawal != null) {
                items.add(withdrawal);
            }
            last[0] = suffix;
            return true;
        });
        boolean more = items.size() == limit && hasBefore(prefix, prefix + last[0]);
        return new Page<>(items, more ? last[0] : null);
    }

    private boolean hasBefore(String prefix, String key) {
        boolean[] found = {false};
        scanFrom(prefix, key, true, (k, v) -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    // ---- deposits ---------------------------------------------------------------------------

    public Deposit deposit(String bank, long txNo) {
        return read(key("d/", bank + "/" + txNo(txNo)), Deposit.class);
    }

    public void put(Deposit deposit, boolean sync) {
        guarded(() -> "writing deposit " + deposit.id(), () -> {
            try (WriteBatch batch = new WriteBatch()) {
                String where = deposit.bank() + "/" + txNo(deposit.txNo());
                batch.put(key("d/", where), json(deposit));
                if (deposit.status() == Deposit.Status.SUSPENSE) {
                    batch.put(key("s/", where), new byte[0]);
                } else {
                    batch.delete(key("s/", where));
                }
                batch.put(key("r/", deposit.bank() + "/" + deposit.bankDate() + "/D/" + txNo(deposit.txNo())), new byte[0]);
                db.write(sync ? synced : buffered, batch);
                return null;
            }
        });
    }

    /** Deposits waiting in suspense, oldest bank number first, at most {@code limit}. */
    public List<Deposit> suspense(int limit) {
        List<Deposit> out = new ArrayList<>();
        scan("s/", false, (k, v) -> {
            String[] parts = k.split("/");
            out.add(deposit(parts[1], Long.parseLong(parts[2])));
            return out.size() < limit;
        });
        return out;
    }

    /** A bank decision recorded for a business date: a withdrawal ('W', by id) or a deposit ('D'). */
    public record DecisionKey(String bank, long date, char kind, long txNo, String withdrawalId) {
    }

    /** The bank's decisions on {@code date} (yyyyMMdd), in (kind, txNo) order, after {@code cursor} (exclusive). */
    public List<DecisionKey> decisions(String bank, long date, String cursor, int limit) {
        String prefix = "r/" + bank + "/" + date + "/";
        List<DecisionKey> out = new ArrayList<>();
        scanFrom(prefix, cursor == null ? null : prefix + cursor, false, (k, v) -> {
            String suffix = k.substring(prefix.length());
            if (suffix.equals(cursor)) {
                return true;
            }
            char kind = suffix.charAt(0);
            long txNo = Long.parseLong(suffix.substring(2));
            out.add(new DecisionKey(bank, date, kind, txNo, kind == 'W' ? new String(v, StandardCharsets.UTF_8) : null));
            return out.size() < limit;
        });
        return out;
    }

    public static String decisionCursor(DecisionKey key) {
        return key.kind() + "/" + txNo(key.txNo());
    }

    // ---- virtual accounts and settings ------------------------------------------------------

    public String virtualAccountOwner(String number) {
        byte[] value = get(key("v/", number));
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    public void putVirtualAccount(String number, String owner) {
        write(key("v/", number), owner.getBytes(StandardCharsets.UTF_8));
    }

    public BankSettings settings(String bank) {
        return read(key("b/", bank), BankSettings.class);
    }

    public void putSettings(String bank, BankSettings settings) {
        write(key("b/", bank), json(settings));
    }

    // ---- plumbing ---------------------------------------------------------------------------

    /** A use of the native handles; see {@link #guarded}. */
    private interface NativeCall<T> {
        T call() throws RocksDBException;
    }

    /** Runs {@code call} under the lifecycle's read lock: never on a closed (freed) database. */
    private <T> T guarded(Supplier<String> what, NativeCall<T> call) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new StoreException(what.get() + ": the store is closed", null);
            }
            return call.call();
        } catch (RocksDBException e) {
            throw new StoreException(what.get(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void write(byte[] key, byte[] value) {
        guarded(() -> "writing " + new String(key, StandardCharsets.UTF_8), () -> {
            db.put(synced, key, value);
            return null;
        });
    }

    private byte[] get(byte[] key) {
        return guarded(() -> "reading " + new String(key, StandardCharsets.UTF_8), () -> db.get(key));
    }

    private <T> T read(byte[] key, Class<T> type) {
        byte[] value = get(key);
        if (value == null) {
            return null;
        }
        try {
            return JSON.readValue(value, type);
        } catch (IOException e) {
            throw new StoreException("decoding " + new String(key, StandardCharsets.UTF_8), e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Visitor {
        /** @return false to stop */
        boolean visit(String key, byte[] value);
    }

    private void scan(String prefix, boolean reverse, Visitor visitor) {
        scanFrom(prefix, null, reverse, visitor);
    }

    /**
     * Visits the keys under {@code prefix} in order (or reverse order), starting after
     * {@code startKey} (exclusive) when it is set.
     */
    private void scanFrom(String prefix, String startKey, boolean reverse, Visitor visitor) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        guarded(() -> "scanning " + prefix, () -> {
            scanOpen(p, startKey, reverse, visitor);
            return null;
        });
    }

    private void scanOpen(byte[] p, String startKey, boolean reverse, Visitor visitor) {
        try (ReadOptions read = new ReadOptions(); RocksIterator it = db.newIterator(read)) {
            if (reverse) {
                if (startKey == null) {
                    byte[] end = Arrays.copyOf(p, p.length + 1);
                    end[p.length] = (byte) 0xff;
                    it.seekForPrev(end);
                } else {
                    it.seekForPrev(startKey.getBytes(StandardCharsets.UTF_8));
                    if (it.isValid() && new String(it.key(), StandardCharsets.UTF_8).equals(startKey)) {
                        it.prev();
                    }
                }
            } else if (startKey == null) {
                it.seek(p);
            } else {
                it.seek(startKey.getBytes(StandardCharsets.UTF_8));
            }
            while (it.isValid() && startsWith(it.key(), p)) {
                if (!visitor.visit(new String(it.key(), StandardCharsets.UTF_8), it.value())) {
                    return;
                }
                if (reverse) {
                    it.prev();
                } else {
                    it.next();
                }
            }
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] key(String space, String rest) {
        return (space + rest).getBytes(StandardCharsets.UTF_8);
    }

    static String txNo(long txNo) {
        return String.format("%012d", txNo);
    }

    /** Closes the database once; waits for every use in progress, and later uses fail. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            db.close();
            options.close();
            synced.close();
            buffered.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
