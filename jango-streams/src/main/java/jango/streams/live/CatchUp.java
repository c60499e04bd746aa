package jango.streams.live;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a stream sends before the live changes: the balances (a stream without a position), or the
 * changes the client missed since its position, read from the ledger's history. Runs after the
 * stream listens to the hub, so together the two miss nothing; the overlap is dropped by revision.
 *
 * @param balances the account's balances now (shown when the stream starts without a position)
 * @param missed   the changes after the client's position, in log order (empty without one)
 */
record CatchUp(List<BalanceView> balances, List<BalanceChange> missed) {
    private static final int PAGE = 1_000;
    private static final Comparator<BalanceChange> LOG_ORDER =
            Comparator.comparingLong(BalanceChange::seq).thenComparing(BalanceChange::asset);

    /** The client is further behind than one resume replays: it should reload balances and history. */
    static final class TooFar extends RuntimeException {
        TooFar(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The ledger's changes of this owner do not follow its balance's revisions (a system owner with
     * several shards: an account per shard, and a balance that is their sum), so no stream can
     * promise "every revision once".
     */
    static final class NotFollowed extends RuntimeException {
        NotFollowed(String message) {
            super(message, null, false, false);
        }
    }

    /** The client's position is ahead of the ledger: it came from somewhere else. */
    static final class Ahead extends RuntimeException {
        Ahead(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads (blocking: history may wait for the index) what a stream of {@code account} ({@code asset}
     * null for all) starting at {@code from} (null: no position) must send first.
     */
    static CatchUp read(Ledger ledger, String account, String asset, Position from, int maxEntries) {
        if (!ledger.followsRevisions(account)) {
            throw new NotFollowed(account + " has an account on every shard, each with its own revisions, and its balance is"
                    + " their sum: it cannot be streamed; read GET /v1/accounts/" + account + "/balances");
        }
        List<BalanceView> balances = ledger.balances(account, asset);
        if (from == null) {
            return new CatchUp(balances, List.of());
        }
        List<BalanceChange> missed = new ArrayList<>();
        for (BalanceView balance : balances) {
            long have = from.revision(balance.asset());
            if (have > balance.revision()) {
                throw new Ahead("position " + balance.asset() + ":" + have + " is ahead of the ledger ("
                        + account + " " + balance.asset() + " is at revision " + balance.revision() + ")");
            }
            if (balance.revision() - have > maxEntries - missed.size()) {
                throw new TooFar(tooFar(account, balance.asset(), have, balance.revision(), maxEntries));
            }
            readAfter(ledger, account, balance.asset(), have, missed, maxEntries);
        }
        missed.sort(LOG_ORDER);
        return new CatchUp(balances, missed);
    }

    /** Adds the asset's changes with a revision above {@code have}, newest first through history's pages. */
    private static void readAfter(Ledger ledger, String account, String asset, long have, List<BalanceChange> into, int maxEntries) {
        String cursor = null;
        do {
            HistoryPage page = ledger.history(account, asset, PAGE, cursor);
            for (HistoryEntry entry : page.entries()) {
                if (entry.revision() <= have) {
                    return;
                }
                if (into.size() >= maxEntries) {
                    throw new TooFar(tooFar(account, asset, have, entry.revision(), maxEntries));
                }
                into.add(new BalanceChange(entry.seq(), entry.atMicros(), entry.commandId(), entry.type(), account, entry.asset(),
                        entry.available(), entry.held(), entry.availableDelta(), entry.heldDelta(), entry.revision()));
            }
            cursor = page.next();
        } while (cursor != null);
    }

    private static String tooFar(String account, String asset, long have, long now, int maxEntries) {
        return account + " " + asset + " moved from revision " + have + " to " + now + ", more than the " + maxEntries
                + " changes one resume replays: read the balances and history, then stream without a position";
    }
}
