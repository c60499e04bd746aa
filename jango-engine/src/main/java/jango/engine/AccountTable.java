package jango.engine;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Every account (owner, asset) in dense integer slots, its balance as primitive pairs in arrays:
 * {@code money[4 * slot ..]} holds available hi, available lo, held hi, held lo. Owners are
 * interned to ids once; an account is found by one open-addressing lookup of the key
 * {@code ownerId << 20 | assetId}. Nothing here allocates per command; the arrays grow by
 * doubling, bounded by the number of accounts.
 *
 * <p>Accounts and owners are only ever added, so the ones a failing command created are the
 * newest: undoing them is cutting the tables back to their earlier counts ({@link #truncate}).
 */
final class AccountTable {
    static final int NONE = -1;
    static final int AVAILABLE_HI = 0;
    static final int AVAILABLE_LO = 1;
    static final int HELD_HI = 2;
    static final int HELD_LO = 3;

    private final OwnerIndex ownerIds;
    private String[] ownerNames;
    private boolean[] ownerSystem;
    private int ownerCount;

    private final Long2LongHashMap slotsByKey;
    long[] money;
    long[] revisions;
    private int[] ownerOf;
    private int[] assetOf;
    private int count;

    AccountTable() {
        ownerIds = new OwnerIndex();
        ownerNames = new String[64];
        ownerSystem = new boolean[64];
        slotsByKey = new Long2LongHashMap(64, 0.65f, NONE);
        money = new long[4 * 64];
        revisions = new long[64];
        ownerOf = new int[64];
        assetOf = new int[64];
    }

    /** A copy to read on another thread (snapshots): plain array and map copies, no per-account objects. */
    private AccountTable(AccountTable from) {
        ownerIds = from.ownerIds.copy();
        ownerNames = Arrays.copyOf(from.ownerNames, Math.max(1, from.ownerCount));
        ownerSystem = Arrays.copyOf(from.ownerSystem, Math.max(1, from.ownerCount));
        ownerCount = from.ownerCount;
        slotsByKey = new Long2LongHashMap(from.slotsByKey);
        money = Arrays.copyOf(from.money, 4 * Math.max(1, from.count));
        revisions = Arrays.copyOf(from.revisions, Math.max(1, from.count));
        ownerOf = Arrays.copyOf(from.ownerOf, Math.max(1, from.count));
        assetOf = Arrays.copyOf(from.assetOf, Math.max(1, from.count));
        count = from.count;
    }

    AccountTable copy() {
        return new AccountTable(this);
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

    /** Reads where the owner of this hash would be found: {@link OwnerIndex#touch}. */
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
        if (count == revisions.length) {
            int capacity = count * 2;
            money = Arrays.copyOf(money, 4 * capacity);
            revisions = Arrays.copyOf(revisions, capacity);
            ownerOf = Arrays.copyOf(ownerOf, capacity);
            assetOf = Arrays.copyOf(assetOf, capacity);
        }
        int slot = count++;
        ownerOf[slot] = ownerId;
        assetOf[slot] = assetId;
        slotsByKey.put(key(ownerId, assetId), slot);
        return slot;
    }

    /** Forgets the accounts and owners created after the counts were these (a failed command's). */
    void truncate(int accountCount, int ownersCount) {
        while (count > accountCount) {
            int slot = --count;
            slotsByKey.remove(key(ownerOf[slot], assetOf[slot]));
            int base = 4 * slot;
            money[base] = 0;
            money[base + 1] = 0;
            money[base + 2] = 0;
            money[base + 3] = 0;
            revisions[slot] = 0;
        }
        while (ownerCount > ownersCount) {
            int id = --ownerCount;
            ownerIds.remove(ownerNames[id].hashCode(), id);
            ownerNames[id] = null;
        }
    }

    /**
     * Reads what a command reads of the account (its balances, revision and owner id) and returns
     * something of it: for {@link LookAhead}, which reads ahead so that the misses overlap.
     */
    int touch(int slot) {
        return (int) money[4 * slot] + (int) revisions[slot] + ownerOf[slot] + assetOf[slot];
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
        return ownerOf[slot];
    }

    int assetOf(int slot) {
        return assetOf[slot];
    }

    String owner(int slot) {
        return ownerNames[ownerOf[slot]];
    }

    String ownerName(int ownerId) {
        return ownerNames[ownerId];
    }

    boolean isSystem(int slot) {
        return ownerSystem[ownerOf[slot]];
    }

    boolean isSystemOwner(int ownerId) {
        return ownerSystem[ownerId];
    }

    long availableHi(int slot) {
        return money[4 * slot];
    }

    long availableLo(int slot) {
        return money[4 * slot + 1];
    }

    long heldHi(int slot) {
        return money[4 * slot + 2];
    }

    long heldLo(int slot) {
        return money[4 * slot + 3];
    }

    void setAvailable(int slot, long hi, long lo) {
        money[4 * slot] = hi;
        money[4 * slot + 1] = lo;
    }

    void setHeld(int slot, long hi, long lo) {
        money[4 * slot + 2] = hi;
        money[4 * slot + 3] = lo;
    }

    BalanceView view(int slot, AssetTable assets) {
        return new BalanceView(owner(slot), assets.code(assetOf[slot]), Int128.of(availableHi(slot), availableLo(slot)),
                Int128.of(heldHi(slot), heldLo(slot)), revisions[slot]);
    }
}
