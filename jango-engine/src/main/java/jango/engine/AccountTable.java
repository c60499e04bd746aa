package jango.engine;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Every account (owner, asset) in a dense integer slot, all of it in one record of eight longs in
 * {@code money}, from {@link #at(int)}: available hi, available lo, held hi, held lo, revision,
 * owner id and asset id ({@code ownerId << 32 | assetId}), 1 for a system owner, one unused. Owners
 * are interned to ids once; an account is found by one open-addressing lookup of the key
 * {@code ownerId << 20 | assetId}. Nothing here allocates per command; the arrays grow by
 * doubling, bounded by the number of accounts.
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

    private final NameIndex ownerIds;
    private String[] ownerNames;
    private boolean[] ownerSystem;
    private int ownerCount;

    private final Long2LongHashMap slotsByKey;
    long[] money;
    private int capacity;
    private int count;

    AccountTable() {
        ownerIds = new NameIndex();
        ownerNames = new String[64];
        ownerSystem = new boolean[64];
        slotsByKey = new Long2LongHashMap(64, 0.65f, NONE);
        capacity = 64;
        money = new long[FIRST + STRIDE * capacity];
    }

    /** A copy to read on another thread (snapshots): plain array and map copies, no per-account objects. */
    private AccountTable(AccountTable from) {
        ownerIds = from.ownerIds.copy();
        ownerNames = Arrays.copyOf(from.ownerNames, Math.max(1, from.ownerCount));
        ownerSystem = Arrays.copyOf(from.ownerSystem, Math.max(1, from.ownerCount));
        ownerCount = from.ownerCount;
        slotsByKey = new Long2LongHashMap(from.slotsByKey);
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
        }
        id = ownerCount++;
        ownerNames[id] = owner;
        ownerSystem[id] = Names.isSystem(owner);
        ownerIds.add(hash, id);
        return id;
    }

    /** The slot of (owner, asset), or {@link #NONE}. */
    int slot(int ownerId, int assetId) {
        return ownerId == NONE ? NONE : (int) slotsByKey.get(key(ownerId, assetId));
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
        slotsByKey.put(key(ownerId, assetId), slot);
        return slot;
    }

    /** Forgets the accounts and owners created after the counts were these (a failed command's). */
    void truncate(int accountCount, int ownersCount) {
        while (count > accountCount) {
            int slot = --count;
            slotsByKey.remove(key(ownerIdOf(slot), assetOf(slot)));
            int at = at(slot);
            Arrays.fill(money, at, at + STRIDE, 0);
        }
        while (ownerCount > ownersCount) {
            int id = --ownerCount;
            ownerIds.remove(ownerNames[id].hashCode(), id);
            ownerNames[id] = null;
        }
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
