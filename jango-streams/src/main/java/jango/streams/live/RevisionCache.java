package jango.streams.live;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.port.ChangeSubscriber;
import jango.engine.port.Ledger;
import jango.server.BalanceEtag;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The revision of every asset of recently asked-about accounts, kept current from the change feed,
 * so a long-poll whose client already has the newest balances is told "nothing new" without reading
 * the ledger (the messenger's feed revisions). An account is read from the ledger once, when it
 * enters the cache; changes that arrive meanwhile are merged by taking the higher revision, so the
 * order of the read and the feed does not matter. At most {@code capacity} accounts; the one least
 * recently asked about or changed goes first.
 */
final class RevisionCache implements ChangeSubscriber {
    private final Ledger ledger;
    private final LinkedHashMap<String, Revisions> accounts;

    /** One account's revisions by asset; {@code seeded} once the ledger's read is merged in. */
    private static final class Revisions {
        final Map<String, Long> byAsset = new HashMap<>();
        boolean seeded;

        void merge(String asset, long revision) {
            byAsset.merge(asset, revision, Math::max);
        }

        String etag(String asset) {
            if (asset != null) {
                Long revision = byAsset.get(asset);
                return revision == null ? BalanceEtag.of(0, 0) : BalanceEtag.of(1, revision);
            }
            long sum = 0;
            for (long revision : byAsset.values()) {
                sum += revision;
            }
            return BalanceEtag.of(byAsset.size(), sum);
        }
    }

    RevisionCache(Ledger ledger, int capacity) {
        this.ledger = ledger;
        this.accounts = new LinkedHashMap<>(1_024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Revisions> eldest) {
                return size() > capacity;
            }
        };
    }

    @Override
    public void changes(List<BalanceChange> changes) {
        synchronized (this) {
            if (accounts.isEmpty()) {
                return;
            }
            for (BalanceChange change : changes) {
                Revisions revisions = accounts.get(change.account());
                if (revisions != null) {
                    revisions.merge(change.asset(), change.revision());
                }
            }
        }
    }

    /**
     * The ETag GET balances would answer for ({@code account}, {@code asset}), from memory; the
     * first question about an account reads its balances from the ledger once.
     */
    String etag(String account, String asset) {
        Revisions revisions;
        synchronized (this) {
            revisions = accounts.computeIfAbsent(account, key -> new Revisions());
            if (revisions.seeded) {
                return revisions.etag(asset);
            }
        }
        List<BalanceView> balances = ledger.balances(account, null);
        synchronized (this) {
            for (BalanceView balance : balances) {
                revisions.merge(balance.asset(), balance.revision());
            }
            revisions.seeded = true;
            return revisions.etag(asset);
        }
    }
}
