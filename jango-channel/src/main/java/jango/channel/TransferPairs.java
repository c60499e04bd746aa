package jango.channel;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who paid whom in a transfer, read from its balance changes (the feed carries balances, not
 * legs): per asset, the account whose total went down paid each account whose total went up, the
 * amount that one received. A 3-leg settlement (buyer to seller, seller to buyer, buyer to
 * {@code @fees}) gives three pairs. A transfer with several payers and several payees in one asset
 * (rare) cannot be split into pairs this way and is left out of the duplicate check.
 */
final class TransferPairs {
    private TransferPairs() {
    }

    record Pair(long seq, String commandId, String payer, String payee, String asset, BigDecimal amount, long atMicros) {
    }

    static List<Pair> of(List<ChangeRecord> changes) {
        Map<String, List<ChangeRecord>> byCommandAndAsset = new LinkedHashMap<>();
        for (ChangeRecord change : changes) {
            if ("transfer".equals(change.type()) && change.commandId() != null) {
                // By command, not seq: with several shards, two shards' entries may share a seq.
                byCommandAndAsset.computeIfAbsent(change.commandId() + "/" + change.asset(), k -> new ArrayList<>()).add(change);
            }
        }
        List<Pair> pairs = new ArrayList<>();
        for (List<ChangeRecord> legs : byCommandAndAsset.values()) {
            List<ChangeRecord> payers = legs.stream().filter(c -> c.totalDelta().signum() < 0).toList();
            List<ChangeRecord> payees = legs.stream().filter(c -> c.totalDelta().signum() > 0).toList();
            if (payers.size() == 1) {
                for (ChangeRecord payee : payees) {
                    pairs.add(pair(payers.get(0), payee, payee.totalDelta()));
                }
            } else if (payees.size() == 1) {
                for (ChangeRecord payer : payers) {
                    pairs.add(pair(payer, payees.get(0), payer.totalDelta().negate()));
                }
            }
        }
        return pairs;
    }

    private static Pair pair(ChangeRecord payer, ChangeRecord payee, BigDecimal amount) {
        return new Pair(payer.seq(), payer.commandId(), payer.account(), payee.account(), payer.asset(), amount, payer.atMicros());
    }
}
