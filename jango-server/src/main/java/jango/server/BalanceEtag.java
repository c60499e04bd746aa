package jango.server;

import jango.engine.BalanceView;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The ETag of a balances answer: {@code "n-r-c"}, where {@code n} is the number of balances,
 * {@code r} the sum of their revisions and {@code c} a checksum of their amounts. Revisions only
 * grow, so {@code n-r} changes whenever a listed balance gets a history entry. The checksum is
 * there for what moves without one: in distributed mode a transfer between shards reserves money
 * (available to held) under the same revision until its commit (docs/distributed.md), and a
 * conditional GET must not answer 304 while {@code held} moved.
 *
 * <p>A projection that follows revisions only (the long-poll's revision cache) compares the
 * {@code n-r} part ({@link #sameRevisions}): a long-poll wakes at the next history entry.
 */
public final class BalanceEtag {
    private BalanceEtag() {
    }

    /** The revision part alone, as a projection that follows revisions computes it. */
    public static String of(int balances, long revisionSum) {
        return "\"" + balances + "-" + revisionSum + "\"";
    }

    public static String of(List<BalanceView> balances) {
        long revisions = 0;
        CRC32 amounts = new CRC32();
        for (BalanceView balance : balances) {
            revisions += balance.revision();
            amounts.update((balance.asset() + ":" + balance.available() + ":" + balance.held() + ";").getBytes(StandardCharsets.UTF_8));
        }
        return "\"" + balances.size() + "-" + revisions + "-" + Long.toHexString(amounts.getValue()) + "\"";
    }

    /** Whether two tags name the same revisions (the checksum part, if any, aside). */
    public static boolean sameRevisions(String a, String b) {
        return a != null && b != null && revisionPart(a).equals(revisionPart(b));
    }

    private static String revisionPart(String etag) {
        String bare = etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2 ? etag.substring(1, etag.length() - 1) : etag;
        int first = bare.indexOf('-');
        int second = first < 0 ? -1 : bare.indexOf('-', first + 1);
        return second < 0 ? bare : bare.substring(0, second);
    }
}
