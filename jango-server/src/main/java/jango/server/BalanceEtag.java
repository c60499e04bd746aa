package jango.server;

import jango.engine.BalanceView;

import java.util.List;

/**
 * The ETag of a balances answer. Revisions only grow, so the number of balances and the sum of their
 * revisions change whenever any listed balance changes. Public so that a projection holding the
 * same revisions (the long-poll's revision cache) computes the same tag without reading the ledger.
 */
public final class BalanceEtag {
    private BalanceEtag() {
    }

    public static String of(int balances, long revisionSum) {
        return "\"" + balances + "-" + revisionSum + "\"";
    }

    public static String of(List<BalanceView> balances) {
        long revisions = 0;
        for (BalanceView balance : balances) {
            revisions += balance.revision();
        }
        return of(balances.size(), revisions);
    }
}
