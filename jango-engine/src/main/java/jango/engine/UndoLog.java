package jango.engine;

import java.util.Arrays;

/**
 * One command's transaction: what it touched and how each was before, so a failing leg undoes
 * every posting ({@link #rollback}) and a successful command reports exactly what changed
 * ({@link #commit}). All or nothing, without copying any state: a command touches at most a few
 * dozen accounts and holds.
 */
final class UndoLog {
    private final AccountTable accounts;
    private final HoldTable holds;

    private int accountsAtStart;
    private int ownersAtStart;

    int touchCount;
    int[] touched = new int[32];
    /** available hi, lo, held hi, lo before the command, per touch. */
    long[] before = new long[4 * 32];

    private int holdTouchCount;
    private int[] touchedHolds = new int[16];
    private long[] remainingBefore = new long[2 * 16];
    private byte[] stateBefore = new byte[16];
    private boolean[] created = new boolean[16];

    private final Wide available = new Wide();
    private final Wide held = new Wide();

    UndoLog(AccountTable accounts, HoldTable holds) {
        this.accounts = accounts;
        this.holds = holds;
    }

    void begin() {
        accountsAtStart = accounts.count();
        ownersAtStart = accounts.ownerCount();
        touchCount = 0;
        holdTouchCount = 0;
    }

    /** Remembers the account as it is now, the first time the command touches it. */
    void touch(int slot) {
        for (int i = 0; i < touchCount; i++) {
            if (touched[i] == slot) {
                return;
            }
        }
        if (touchCount == touched.length) {
            touched = Arrays.copyOf(touched, touchCount * 2);
            before = Arrays.copyOf(before, 4 * touchCount * 2);
        }
        int i = touchCount++;
        touched[i] = slot;
        System.arraycopy(accounts.money, AccountTable.at(slot), before, 4 * i, 4);
    }

    void touchHold(int slot, boolean isNew) {
        for (int i = 0; i < holdTouchCount; i++) {
            if (touchedHolds[i] == slot) {
                return;
            }
        }
        if (holdTouchCount == touchedHolds.length) {
            int capacity = holdTouchCount * 2;
            touchedHolds = Arrays.copyOf(touchedHolds, capacity);
            remainingBefore = Arrays.copyOf(remainingBefore, 2 * capacity);
            stateBefore = Arrays.copyOf(stateBefore, capacity);
            created = Arrays.copyOf(created, capacity);
        }
        int i = holdTouchCount++;
        touchedHolds[i] = slot;
        remainingBefore[2 * i] = holds.remainingHi(slot);
        remainingBefore[2 * i + 1] = holds.remainingLo(slot);
        stateBefore[i] = holds.state(slot);
        created[i] = isNew;
    }

    long beforeAvailableHi(int i) {
        return before[4 * i];
    }

    long beforeAvailableLo(int i) {
        return before[4 * i + 1];
    }

    long beforeHeldHi(int i) {
        return before[4 * i + 2];
    }

    long beforeHeldLo(int i) {
        return before[4 * i + 3];
    }

    /** Puts every touched account and hold back, and forgets what the command created. */
    void rollback() {
        for (int i = touchCount - 1; i >= 0; i--) {
            System.arraycopy(before, 4 * i, accounts.money, AccountTable.at(touched[i]), 4);
        }
        for (int i = holdTouchCount - 1; i >= 0; i--) {
            int slot = touchedHolds[i];
            if (created[i]) {
                holds.remove(slot);
            } else {
                holds.setRemaining(slot, remainingBefore[2 * i], remainingBefore[2 * i + 1]);
                holds.states[slot] = stateBefore[i];
            }
        }
        accounts.truncate(accountsAtStart, ownersAtStart);
        touchCount = 0;
        holdTouchCount = 0;
    }

    /**
     * The command stands: each changed account gets a new revision, and {@code applied} lists every
     * touched account and hold as it is now. Closed holds go to the archive and leave the table; new
     * holds with an expiry join the expiry heap. Deltas fit 128 bits (checked before, by the rules).
     */
    void commit(Applied applied, Archive archive, IdFilter filter) {
        for (int i = 0; i < touchCount; i++) {
            int slot = touched[i];
            available.subtract(accounts.availableHi(slot), accounts.availableLo(slot), beforeAvailableHi(i), beforeAvailableLo(i));
            held.subtract(accounts.heldHi(slot), accounts.heldLo(slot), beforeHeldHi(i), beforeHeldLo(i));
            boolean isChanged = !available.isZero() || !held.isZero();
            if (isChanged) {
                accounts.addRevision(slot, 1);
            }
            applied.addBalance(slot, isChanged, available.hi, available.lo, held.hi, held.lo);
        }
        for (int i = 0; i < holdTouchCount; i++) {
            int slot = touchedHolds[i];
            applied.addHold(holds, slot);
            if (holds.state(slot) != HoldTable.OPEN) {
                archive.holdClosed(applied, applied.holdCount - 1);
                holds.remove(slot);
            } else if (created[i]) {
                filter.put(holds.id(slot), IdFilter.HOLD_SEED);
                if (holds.expiresAt(slot) != Command.NO_EXPIRY) {
                    holds.scheduleExpiry(slot);
                }
            }
        }
        touchCount = 0;
        holdTouchCount = 0;
    }
}
