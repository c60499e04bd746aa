package jango.engine;

import java.util.Arrays;

/**
 * The holds that are open, in reusable slots: a hold that is released, settled or expires leaves
 * this table when its command commits (its final state goes to the {@link Archive}), so memory is
 * set by the number of open holds, never by how many holds were ever placed. The holds with an
 * expiry sit in an indexed binary heap ordered by (expiry, hold id), so a hold that closes early
 * leaves the heap at once instead of lingering until its time. Hold ids find their slots through a
 * {@link NameIndex} (as owners do), so the look-ahead can read a hold's entry before looking it up.
 */
final class HoldTable {
    static final int NONE = -1;

    static final byte OPEN = 0;
    static final byte RELEASED = 1;
    static final byte SETTLED = 2;
    static final byte EXPIRED = 3;
    private static final HoldState[] STATES = {HoldState.OPEN, HoldState.RELEASED, HoldState.SETTLED, HoldState.EXPIRED};

    private final NameIndex slotsById;
    private String[] ids;
    private int[] accountOf;
    /** amount hi, amount lo, remaining hi, remaining lo, per slot. */
    long[] amounts;
    private long[] expiresAt;
    byte[] states;
    private int[] heapIndex;

    private int[] free;
    private int freeCount;
    private int highWater;
    private int count;

    private int[] heap;
    private int heapSize;

    HoldTable() {
        slotsById = new NameIndex();
        ids = new String[64];
        accountOf = new int[64];
        amounts = new long[4 * 64];
        expiresAt = new long[64];
        states = new byte[64];
        heapIndex = new int[64];
        free = new int[64];
        heap = new int[64];
    }

    /** A copy to read on another thread (snapshots). */
    private HoldTable(HoldTable from) {
        slotsById = from.slotsById.copy();
        ids = from.ids.clone();
        accountOf = from.accountOf.clone();
        amounts = from.amounts.clone();
        expiresAt = from.expiresAt.clone();
        states = from.states.clone();
        heapIndex = from.heapIndex.clone();
        free = from.free.clone();
        freeCount = from.freeCount;
        highWater = from.highWater;
        count = from.count;
        heap = from.heap.clone();
        heapSize = from.heapSize;
    }

    HoldTable copy() {
        return new HoldTable(this);
    }

    int slot(String holdId) {
        return slotsById.find(holdId, holdId.hashCode(), ids);
    }

    /** {@link #slot(String)} with the id's hash already taken (the look-ahead). */
    int slot(String holdId, int hash) {
        return slotsById.find(holdId, hash, ids);
    }

    /** Reads where the hold of this id hash would be found: {@link NameIndex#touch}. */
    int touchEntry(int hash) {
        return slotsById.touch(hash, ids);
    }

    int count() {
        return count;
    }

    /** A new open hold; the caller checked the id is not taken. */
    int open(String holdId, int accountSlot, long amountHi, long amountLo, long expiresAtMicros) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (highWater == ids.length) {
                grow(highWater * 2);
            }
            slot = highWater++;
        }
        ids[slot] = holdId;
        accountOf[slot] = accountSlot;
        int base = 4 * slot;
        amounts[base] = amountHi;
        amounts[base + 1] = amountLo;
        amounts[base + 2] = amountHi;
        amounts[base + 3] = amountLo;
        expiresAt[slot] = expiresAtMicros;
        states[slot] = OPEN;
        heapIndex[slot] = NONE;
        slotsById.add(holdId.hashCode(), slot);
        count++;
        return slot;
    }

    /** Takes the hold out of the table (closed, or a failed command's new hold), and out of the heap. */
    void remove(int slot) {
        if (heapIndex[slot] != NONE) {
            heapRemove(heapIndex[slot]);
        }
        slotsById.remove(ids[slot].hashCode(), slot);
        ids[slot] = null;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, freeCount * 2);
        }
        free[freeCount++] = slot;
        count--;
    }

    private void grow(int capacity) {
        ids = Arrays.copyOf(ids, capacity);
        accountOf = Arrays.copyOf(accountOf, capacity);
        amounts = Arrays.copyOf(amounts, 4 * capacity);
        expiresAt = Arrays.copyOf(expiresAt, capacity);
        states = Arrays.copyOf(states, capacity);
        heapIndex = Arrays.copyOf(heapIndex, capacity);
    }

    String id(int slot) {
        return ids[slot];
    }

    int accountOf(int slot) {
        return accountOf[slot];
    }

    long expiresAt(int slot) {
        return expiresAt[slot];
    }

    byte state(int slot) {
        return states[slot];
    }

    long remainingHi(int slot) {
        return amounts[4 * slot + 2];
    }

    long remainingLo(int slot) {
        return amounts[4 * slot + 3];
    }

    void setRemaining(int slot, long hi, long lo) {
        amounts[4 * slot + 2] = hi;
        amounts[4 * slot + 3] = lo;
    }

    /** Every slot in use, for snapshots and full checks: the live slots are those with an id. */
    int highWater() {
        return highWater;
    }

    boolean inUse(int slot) {
        return ids[slot] != null;
    }

    static HoldState state(byte code) {
        return STATES[code];
    }

    HoldView view(int slot, AccountTable accounts, AssetTable assets) {
        int base = 4 * slot;
        int account = accountOf[slot];
        return new HoldView(ids[slot], accounts.owner(account), assets.code(accounts.assetOf(account)),
                Int128.of(amounts[base], amounts[base + 1]), Int128.of(amounts[base + 2], amounts[base + 3]),
                expiresAt[slot], STATES[states[slot]]);
    }

    // ---- expiries: an indexed min-heap of slots by (expiresAt, id) --------------------------------

    void scheduleExpiry(int slot) {
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heapSize * 2);
        }
        heap[heapSize] = slot;
        heapIndex[slot] = heapSize;
        heapSize++;
        siftUp(heapSize - 1);
    }

    /** The hold leaves the expiry heap (its expiry happened while transfers between shards locked part of it). */
    void unscheduleExpiry(int slot) {
        if (heapIndex[slot] != NONE) {
            heapRemove(heapIndex[slot]);
        }
    }

    /** Whether the hold waits in the expiry heap. */
    boolean scheduled(int slot) {
        return heapIndex[slot] != NONE;
    }

    /** The open hold due first, or {@link #NONE}. */
    int firstExpiring() {
        return heapSize == 0 ? NONE : heap[0];
    }

    private boolean before(int a, int b) {
        if (expiresAt[a] != expiresAt[b]) {
            return expiresAt[a] < expiresAt[b];
        }
        return ids[a].compareTo(ids[b]) < 0;
    }

    private void heapRemove(int index) {
        int removed = heap[index];
        heapIndex[removed] = NONE;
        heapSize--;
        if (index == heapSize) {
            return;
        }
        int last = heap[heapSize];
        heap[index] = last;
        heapIndex[last] = index;
        siftDown(index);
        siftUp(heapIndex[last]);
    }

    private void siftUp(int index) {
        int slot = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            int parentSlot = heap[parent];
            if (!before(slot, parentSlot)) {
                break;
            }
            heap[index] = parentSlot;
            heapIndex[parentSlot] = index;
            index = parent;
        }
        heap[index] = slot;
        heapIndex[slot] = index;
    }

    private void siftDown(int index) {
        int slot = heap[index];
        while (true) {
            int child = 2 * index + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && before(heap[child + 1], heap[child])) {
                child++;
            }
            int childSlot = heap[child];
            if (!before(childSlot, slot)) {
                break;
            }
            heap[index] = childSlot;
            heapIndex[childSlot] = index;
            index = child;
        }
        heap[index] = slot;
        heapIndex[slot] = index;
    }
}
