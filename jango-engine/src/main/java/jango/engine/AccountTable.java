package jango.engine;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Every account (owner, asset) in a dense integer slot, all of it in one record of eight longs in
 * {@code money}, from {@link #at(int)}: available hi, available lo, held hi, held lo, revision,
 * owner id and asset id ({@code ownerId << 32 | assetId}), 1 for a system owner, one unused. Owners
 * are interned to ids once; an owner's first {@link #INLINE} accounts are listed with the owner
 * ({@code byOwner}: asset id and slot in one long each, 32 bytes an owner), and only the accounts
 * past those go in a map keyed by {@code ownerId << 20 | assetId}. Nothing here allocates per
 * command; the arrays grow by doubling, bounded by the number of accounts.
 *
 * <p>Why the list with the owner: an owner's accounts were found by a hash map lookup, its own
 * cache line (a miss at a million accounts) and a hash and probe (8% of the engine for transfers at
 * 10,000 accounts); the owner's list is 32 bytes read straight from the owner's id, which the
 * look-ahead has found anyway. Most owners hold a few assets; the map keeps the rest exact.
 *
 * <p>Why one record: at a million accounts every account a command names is a cache miss, one per
 * array it is spread over. With the balances, revision, owner and asset in four arrays a command
 * read four or five cache lines per account; a record of 64 bytes is one line (two when the array
 * does not start on a line: the records start {@link #FIRST} longs in, which puts them on line
 * boundaries when the array itself starts on one, as a large array does in G1, where it gets
 * regions of its own). Measured in docs/performance.md ("Lookups in stages").
 *
 * <p>Accounts and owners are only ever added, so the ones a failing command created are the
 * newest: undoing them is cutting the tables back to their earlier counts ({@link #truncate}).
 */
final class AccountTable {
    static final int NONE = -1;
    /** Longs per account. */
    static final int STRIDE = 8;
    /** Where the first record starts: 6 longs past the array's 16-byte header is 64 bytes in. */
    static final int FIRST = 6;
    private static final int REVISION = 4;
    private static final int OWNER_ASSET = 5;
    private static final int SYSTEM = 6;
    /** Accounts listed with their owner; an owner's further accounts are in {@code moreSlots}. */
    static final int INLINE = 4;

    private final NameIndex ownerIds;
    private String[] ownerNames;
    private boolean[] ownerSystem;
    /** Per owner, {@link #INLINE} entries of {@code (assetId + 1) << 32 | slot}, filled in order; 0 is empty. */
    private long[] byOwner;
    private int ownerCount;

    private final Long2LongHashMap moreSlots;
    long[] money;
    private int capacity;
    private int count;

    AccountTable() {
        ownerIds = new NameIndex();
        ownerNames = new String[64];
        ownerSystem = new boolean[64];
        byOwner = new long[INLINE * 64];
        moreSlots = new Long2LongHashMap(64, 0.65f, NONE);
        capacity = 64;
        money = new long[FIRST + STRIDE * capacity];
    }

    /** A copy to read on another thread (snapshots): plain array and map copies, no per-account objects. */
    private AccountTable(AccountTable from) {
        ownerIds = from.ownerIds.copy();
        ownerNames = Arrays.copyOf(from.ownerNames, Math.max(1, from.ownerCount));
        ownerSystem = Arrays.copyOf(from.ownerSystem, Math.max(1, from.ownerCount));
        byOwner = Arrays.copyOf(from.byOwner, INLINE * Math.max(1, from.ownerCount));
        ownerCount = from.ownerCount;
        moreSlots = new Long2LongHashMap(from.moreSlots);
        capacity = Math.max(1, from.count);
        money = Arrays.copyOf(from.money, FIRST + STRIDE * capacity);
        count = from.count;
    }

    AccountTable copy() {
        return new AccountTable(this);
    }

    /** Where the account's record starts in {@code money}. */
    static int at(int slot) {
        return FIRST + STRIDE * slot;
    }

    private static long key(int ownerId, int assetId) {
        return ((long) ownerId << 20) | assetId;
    }

    int ownerId(String owner) {
        return ownerIds.find(owner, owner.hashCode(), ownerNames);
    }

    /** As {@link #ownerId(String)}, for the owner's {@link String#hashCode} that the caller has. */
    int ownerId(String owner, int hash) {
        return ownerIds.find(owner, hash, ownerNames);
    }

    /** Reads where the owner of this hash would be found: {@link NameIndex#touch}. */
    int touchOwnerEntry(int hash) {
        return ownerIds.touch(hash, ownerNames);
    }

    /** The owner's id, interning it if new. */
    int internOwner(String owner) {
        int hash = owner.hashCode();
        int id = ownerIds.find(owner, hash, ownerNames);
        if (id != NONE) {
            return id;
        }
        if (ownerCount == ownerNames.length) {
            ownerNames = Arrays.copyOf(ownerNames, ownerCount * 2);
            ownerSystem = Arrays.copyOf(ownerSystem, ownerCount * 2);
            byOwner = Arrays.copyOf(byOwner, INLINE * ownerCount * 2);
        }
        id = ownerCount++;
        ownerNames[id] = owner;
        ownerSystem[id] = Names.isSystem(owner);
        ownerIds.add(hash, id);
        return id;
    }

    /** The slot of (owner, asset), or {@link #NONE}. */
    int slot(int ownerId, int assetId) {
        if (ownerId == NONE) {
            return NONE;
        }
        long wanted = (long) (assetId + 1) << 32;
        int base = INLINE * ownerId;
        for (int i = 0; i < INLINE; i++) {
            long entry = byOwner[base + i];
            if (entry == 0) {
                return NONE;
            }
            if ((entry & 0xFFFF_FFFF_0000_0000L) == wanted) {
                return (int) entry;
            }
        }
        return (int) moreSlots.get(key(ownerId, assetId));
    }

    int slot(String owner, int assetId) {
        return slot(ownerId(owner), assetId);
    }

    /** A new zero account; the caller checked it does not exist. */
    int create(int ownerId, int assetId) {
        if (count == capacity) {
            capacity = count * 2;
            money = Arrays.copyOf(money, FIRST + STRIDE * capacity);
        }
        int slot = count++;
        int at = at(slot);
        money[at + OWNER_ASSET] = ((long) ownerId << 32) | assetId;
        money[at + SYSTEM] = ownerSystem[ownerId] ? 1 : 0;
        int base = INLINE * ownerId;
        for (int i = 0; i < INLINE; i++) {
            if (byOwner[base + i] == 0) {
                byOwner[base + i] = ((long) (assetId + 1) << 32) | slot;
                return slot;
            }
        }
        moreSlots.put(key(ownerId, assetId), slot);
        return slot;
    }

    /** Forgets the accounts and owners created after the counts were these (a failed command's). */
    void truncate(int accountCount, int ownersCount) {
        while (count > accountCount) {
            int slot = --count;
            forget(ownerIdOf(slot), assetOf(slot), slot);
            int at = at(slot);
            Arrays.fill(money, at, at + STRIDE, 0);
        }
        while (ownerCount > ownersCount) {
            int id = --ownerCount;
            ownerIds.remove(ownerNames[id].hashCode(), id);
            ownerNames[id] = null;
            Arrays.fill(byOwner, INLINE * id, INLINE * id + INLINE, 0);
        }
    }

    /** Takes the newest account out of its owner's list (where it is the last entry) or the map. */
    private void forget(int ownerId, int assetId, int slot) {
        long entry = ((long) (assetId + 1) << 32) | slot;
        int base = INLINE * ownerId;
        for (int i = INLINE - 1; i >= 0; i--) {
            if (byOwner[base + i] == entry) {
                byOwner[base + i] = 0;
                return;
            }
        }
        moreSlots.remove(key(ownerId, assetId));
    }

    /** Reads the owner's list of accounts, for {@link LookAhead}. */
    int touchOwnerAccounts(int ownerId) {
        return (int) byOwner[INLINE * ownerId];
    }

    /**
     * Reads the account's record (its first and last longs: one cache line, or two when the array
     * does not start on a line) and returns something of it: for {@link LookAhead}, which reads
     * ahead so that the misses overlap.
     */
    int touch(int slot) {
        int at = at(slot);
        return (int) money[at] + (int) money[at + STRIDE - 1];
    }

    /** The same for the owner: its system flag, and its name's bytes, which the result writes. */
    int touchOwner(int ownerId) {
        return ownerNames[ownerId].length() + (ownerSystem[ownerId] ? 1 : 0);
    }

    int count() {
        return count;
    }

    int ownerCount() {
        return ownerCount;
    }

    int ownerIdOf(int slot) {
        return (int) (money[at(slot) + OWNER_ASSET] >>> 32);
    }

    int assetOf(int slot) {
        return (int) money[at(slot) + OWNER_ASSET];
    }

    String owner(int slot) {
        return ownerNames[ownerIdOf(slot)];
    }

    String ownerName(int ownerId) {
        return ownerNames[ownerId];
    }

    boolean isSystem(int slot) {
        return money[at(slot) + SYSTEM] != 0;
    }

    boolean isSystemOwner(int ownerId) {
        return ownerSystem[ownerId];
    }

    long availableHi(int slot) {
        return money[at(slot)];
    }

    long availableLo(int slot) {
        return money[at(slot) + 1];
    }

    long heldHi(int slot) {
        return money[at(slot) + 2];
    }

    long heldLo(int slot) {
        return money[at(slot) + 3];
    }

    void setAvailable(int slot, long hi, long lo) {
        money[at(slot)] = hi;
        money[at(slot) + 1] = lo;
    }

    void setHeld(int slot, long hi, long lo) {
        money[at(slot) + 2] = hi;
        money[at(slot) + 3] = lo;
    }

    long revision(int slot) {
        return money[at(slot) + REVISION];
    }

    void setRevision(int slot, long revision) {
        money[at(slot) + REVISION] = revision;
    }

    void addRevision(int slot, int delta) {
        money[at(slot) + REVISION] += delta;
    }

    BalanceView view(int slot, AssetTable assets) {
        return new BalanceView(owner(slot), assets.code(assetOf(slot)), Int128.of(availableHi(slot), availableLo(slot)),
                Int128.of(heldHi(slot), heldLo(slot)), revision(slot));
    }
}
