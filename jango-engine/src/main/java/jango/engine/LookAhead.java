package jango.engine;

/**
 * The next commands of a batch, looked at before they are applied: their ids hashed, the accounts
 * of their legs and holds looked up, and then the id filter's blocks of those ids (and of new hold
 * ids), the accounts' balances and owners, and the holds they use read, in loops of a few
 * instructions each.
 *
 * <p>Why: nearly every command's id is new, and proving it new is one probe of the filter, a read of
 * one cache line somewhere in its 64 MiB: a miss to main memory. Inside {@link Engine#execute} the
 * processor waits for each miss in turn, because a command's work is far longer than the window of
 * instructions it runs ahead in. In the touching loops below an iteration is a few instructions, so
 * dozens of misses are in flight at once and each costs a fraction of its latency. Measured with
 * {@code LookAheadComparison} (the same engine alternating batches with and without it): the filter
 * part, 13-30% more commands a second at 10,000 accounts with 256 looked at ahead (about 5% when the
 * touches ran inside one longer loop, which is why the loops are split); the accounts looked up
 * here instead of in {@code execute}, another 6-13% for transfers at 10,000 accounts and 3-14% for
 * the exchange mix at 1,000,000, nothing measurable otherwise.
 *
 * <p>The account lookups go in stages for the same reason: an account is a chain of dependent misses
 * (the owner map, then the owner's list of accounts, then the balances, the revision, the owner's
 * name that the result writes), so all the owners are looked up in one loop, then all the accounts,
 * then their lines read. Done one account after another, as before, the chains came one after another: at
 * 1,000,000 accounts the stages gave 40-75% more transfers a second and about 27% more exchange
 * commands (docs/performance.md, thirteenth session), nothing measurable at 10,000.
 *
 * <p>Nothing here changes state, and nothing can change an answer:
 * <ul>
 *   <li>the hashes are a pure function of the ids, handed to {@link Engine#execute} in the order the
 *       commands were looked at, and only while that order holds (the very same id object, next in
 *       line); any other command drops what is left, and its id is hashed as before;</li>
 *   <li>an account's slot is handed over only for the command it was looked up for, matched by the
 *       very same owner object and the asset. It is still the account's: accounts are only ever
 *       added, and a failing command takes back only those it created itself, which did not exist
 *       yet when its look-ahead ran (always between commands). An account that did not exist then
 *       is looked up when it is used.</li>
 * </ul>
 */
final class LookAhead {
    /** How many commands a caller looks at ahead at most: a few hundred cache lines, well inside L2. */
    static final int MAX = 256;
    /** Accounts looked up ahead per look-ahead at most (the rest are looked up when used). */
    static final int MAX_ACCOUNTS = 4 * MAX;

    private final IdFilter filter;
    private final AccountTable accounts;
    private final AssetTable assets;
    private final HoldTable holds;

    private final String[] ids = new String[MAX];
    private final long[] hashes = new long[MAX];
    /** The hashes of the new hold ids among the commands looked at: touched, not handed over. */
    private final long[] holdHashes = new long[MAX];
    private int count;
    private int next;

    /** Per command looked at, where its accounts start in the arrays below (the next command's start ends them). */
    private final int[] accountsFrom = new int[MAX + 1];
    private final String[] accountOwners = new String[MAX_ACCOUNTS];
    private final int[] accountAssets = new int[MAX_ACCOUNTS];
    private final int[] accountOwnerHashes = new int[MAX_ACCOUNTS];
    private final int[] accountOwnerIds = new int[MAX_ACCOUNTS];
    private final int[] accountSlots = new int[MAX_ACCOUNTS];
    /** The holds that settlement legs and releases name, looked up ahead to be touched, not handed over. */
    private final String[] usedHoldIds = new String[MAX_ACCOUNTS];
    private final int[] usedHoldHashes = new int[MAX_ACCOUNTS];
    private final int[] usedHoldSlots = new int[MAX_ACCOUNTS];
    /** The accounts of the command being applied, when it is the one looked at: {@code [hintFrom, hintTo)}. */
    private int hintFrom;
    private int hintTo;

    /** Where the touching loops leave what they read, so that the compiler cannot drop the reads. */
    private int touched;
    /** Hashes handed to {@link Engine#execute} so far: tests check that the look-ahead is used, not only harmless. */
    long handedOver;
    /** Account slots handed to the money rules so far, for the same reason. */
    long slotsHandedOver;

    LookAhead(IdFilter filter, AccountTable accounts, AssetTable assets, HoldTable holds) {
        this.filter = filter;
        this.accounts = accounts;
        this.assets = assets;
        this.holds = holds;
    }

    /** Replaces what was looked at before with {@code commands[from, to)}, at most {@link #MAX} of them. */
    void load(Command[] commands, int from, int to) {
        drop();
        if (!filter.present()) {
            return;
        }
        int end = Math.min(to, from + MAX);
        int newHolds = 0;
        int usedHolds = 0;
        int found = 0;
        for (int i = from; i < end; i++) {
            Command command = commands[i];
            if (!isClientCommand(command)) {
                continue;
            }
            ids[count] = command.id();
            hashes[count] = filter.hash(command.id(), IdFilter.COMMAND_SEED);
            accountsFrom[count] = found;
            count++;
            switch (command) {
                case Command.Transfer transfer -> {
                    for (Leg leg : transfer.legs()) {
                        int asset = assets.id(leg.asset());
                        found = note(found, leg.from(), asset);
                        found = note(found, leg.to(), asset);
                        if (leg.holdId() != null && usedHolds < MAX_ACCOUNTS) {
                            usedHoldIds[usedHolds++] = leg.holdId();
                        }
                    }
                }
                case Command.PlaceHold hold -> {
                    holdHashes[newHolds++] = filter.hash(hold.holdId(), IdFilter.HOLD_SEED);
                    if (usedHolds < MAX_ACCOUNTS) {
                        usedHoldIds[usedHolds++] = hold.holdId(); // the hold map's probe that proves it new
                    }
                    found = note(found, hold.account(), assets.id(hold.asset()));
                }
                case Command.Deposit deposit -> found = note(found, deposit.account(), assets.id(deposit.asset()));
                case Command.Withdraw withdraw -> found = note(found, withdraw.account(), assets.id(withdraw.asset()));
                case Command.Adjust adjust -> found = note(found, adjust.account(), assets.id(adjust.asset()));
                case Command.Release release -> {
                    if (usedHolds < MAX_ACCOUNTS) {
                        usedHoldIds[usedHolds++] = release.holdId();
                    }
                }
                default -> { }
            }
        }
        accountsFrom[count] = found;
        // The lookups in stages, each a loop of independent lookups, so that their misses overlap:
        // a lookup is a chain of misses (the owner map, then the account map, then the balances),
        // and done one account after another they came one after another (docs/performance.md).
        for (int i = 0; i < found; i++) {
            accountOwnerHashes[i] = accountOwners[i].hashCode();
        }
        int read = 0;
        for (int i = 0; i < found; i++) {
            read += accounts.touchOwnerEntry(accountOwnerHashes[i]);
        }
        for (int i = 0; i < found; i++) {
            accountOwnerIds[i] = accounts.ownerId(accountOwners[i], accountOwnerHashes[i]);
        }
        for (int i = 0; i < found; i++) {
            int owner = accountOwnerIds[i];
            if (owner != AccountTable.NONE) {
                read += accounts.touchOwnerAccounts(owner);
            }
        }
        for (int i = 0; i < found; i++) {
            accountSlots[i] = accounts.slot(accountOwnerIds[i], accountAssets[i]);
        }
        for (int i = 0; i < usedHolds; i++) {
            usedHoldHashes[i] = usedHoldIds[i].hashCode();
        }
        for (int i = 0; i < usedHolds; i++) {
            read += holds.touchEntry(usedHoldHashes[i]);
        }
        for (int i = 0; i < usedHolds; i++) {
            usedHoldSlots[i] = holds.slot(usedHoldIds[i], usedHoldHashes[i]);
        }
        int sum = read;
        for (int i = 0; i < count; i++) {
            sum += filter.touch(hashes[i]);
        }
        for (int i = 0; i < newHolds; i++) {
            sum += filter.touch(holdHashes[i]);
        }
        for (int i = 0; i < found; i++) {
            int slot = accountSlots[i];
            if (slot != AccountTable.NONE) {
                sum += accounts.touch(slot);
            }
        }
        for (int i = 0; i < found; i++) {
            int owner = accountOwnerIds[i];
            if (owner != AccountTable.NONE) {
                sum += accounts.touchOwner(owner);
            }
        }
        long[] amounts = holds.amounts;
        byte[] states = holds.states;
        for (int i = 0; i < usedHolds; i++) {
            int slot = usedHoldSlots[i];
            if (slot != HoldTable.NONE) {
                sum += (int) amounts[4 * slot] + states[slot];
            }
        }
        java.util.Arrays.fill(usedHoldIds, 0, usedHolds, null);
        touched += sum;
    }

    /** Notes an account to look up ahead (an unknown asset is left to the command, which fails on it). */
    private int note(int found, String owner, int asset) {
        if (found == MAX_ACCOUNTS || asset == AssetTable.NONE) {
            return found;
        }
        accountOwners[found] = owner;
        accountAssets[found] = asset;
        return found + 1;
    }

    /**
     * The slot of an account of the command being applied, looked up ahead, or {@link AccountTable#NONE}
     * (then the caller looks it up); why it is still right, in the class comment.
     */
    int slotOf(String owner, int asset) {
        for (int i = hintFrom; i < hintTo; i++) {
            if (accountOwners[i] == owner && accountAssets[i] == asset) {
                if (accountSlots[i] != AccountTable.NONE) {
                    slotsHandedOver++;
                }
                return accountSlots[i];
            }
        }
        return AccountTable.NONE;
    }

    /** The hash of {@code id} for the command id probe: from the look-ahead when it is the next one there. */
    long hashOf(String id) {
        if (next < count && ids[next] == id) {
            ids[next] = null;
            handedOver++;
            hintFrom = accountsFrom[next];
            hintTo = accountsFrom[next + 1];
            return hashes[next++];
        }
        drop();
        return filter.hashOf(id, IdFilter.COMMAND_SEED);
    }

    /** Forgets what was looked at (and the references to its ids and owners) and the current command's accounts. */
    private void drop() {
        java.util.Arrays.fill(ids, next, count, null);
        java.util.Arrays.fill(accountOwners, 0, accountsFrom[count], null);
        count = 0;
        next = 0;
        hintFrom = 0;
        hintTo = 0;
    }

    /** The commands {@link Engine#execute} runs as a client command, with an id to probe (not assets, ticks or protocol records). */
    private static boolean isClientCommand(Command command) {
        return !(command instanceof Command.RegisterAsset || command instanceof Command.Tick || command instanceof Command.Protocol);
    }
}
