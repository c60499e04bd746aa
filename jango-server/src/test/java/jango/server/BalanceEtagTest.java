package jango.server;

import jango.engine.BalanceView;
import jango.engine.Int128;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The balances ETag: a new history entry changes it, and so does money moved under the same revision. */
class BalanceEtagTest {
    private static BalanceView view(String asset, long available, long held, long revision) {
        return new BalanceView("u1", asset, Int128.of(available), Int128.of(held), revision);
    }

    @Test
    void moneyReservedUnderTheSameRevisionChangesTheTagButNotItsRevisions() {
        String before = BalanceEtag.of(List.of(view("BTC", 100, 0, 3), view("USDT", 5, 0, 1)));
        // A transfer between shards reserved 40 (available -> held) with no history entry: the revision stays 3.
        String inFlight = BalanceEtag.of(List.of(view("BTC", 60, 40, 3), view("USDT", 5, 0, 1)));
        assertThat(inFlight).isNotEqualTo(before);
        assertThat(BalanceEtag.sameRevisions(inFlight, before)).isTrue();
        // The long-poll's revision cache computes the revision part alone: the same revisions.
        assertThat(BalanceEtag.sameRevisions(BalanceEtag.of(2, 4), before)).isTrue();
        assertThat(BalanceEtag.sameRevisions(BalanceEtag.of(2, 5), before)).isFalse();
        assertThat(BalanceEtag.of(List.of(view("BTC", 100, 0, 3), view("USDT", 5, 0, 1)))).as("stable").isEqualTo(before);
        assertThat(BalanceEtag.sameRevisions("\"1-0\"", before)).isFalse();
        assertThat(BalanceEtag.sameRevisions(null, before)).isFalse();
    }
}
