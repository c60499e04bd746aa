package jango.embedded.index;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import jango.engine.port.HistoryEntry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded stream of balance changes shaped like the engine's: deposits (one change), trades
 * (two owners x two assets in one seq, emitted in a shuffled order) and expiry ticks (two holds of
 * one owner and asset in one seq, no command id). Keeps every change for expected answers.
 */
final class HistoryWorkload {
    static final Comparator<HistoryEntry> NEWEST_FIRST = Comparator
            .comparingLong(HistoryEntry::seq).reversed()
            .thenComparing(HistoryEntry::asset)
            .thenComparing(Comparator.comparingLong(HistoryEntry::revision).reversed());

    private final Random random;
    private final List<String> owners;
    private final List<String> assets;
    private final Map<String, Long> revisions = new HashMap<>();
    private final List<BalanceChange> all = new ArrayList<>();
    private long seq;

    HistoryWorkload(long seed, List<String> owners, List<String> assets) {
        this.random = new Random(seed);
        this.owners = owners;
        this.assets = assets;
    }

    /** The changes of the next {@code commands} seqs, in log order. */
    List<BalanceChange> nextSeqs(int commands) {
        List<BalanceChange> batch = new ArrayList<>();
        for (int i = 0; i < commands; i++) {
            seq++;
            int kind = random.nextInt(10);
            List<BalanceChange> ofSeq = new ArrayList<>();
            if (kind < 6) {
                ofSeq.add(change(pick(owners), pick(assets), "c-" + seq, "deposit"));
            } else if (kind < 9 && owners.size() > 1 && assets.size() > 1) {
                String buyer = pick(owners);
                String seller = otherThan(buyer, owners);
                String base = pick(assets);
                String quote = otherThan(base, assets);
                for (String owner : List.of(buyer, seller)) {
                    ofSeq.add(change(owner, base, "c-" + seq, "transfer"));
                    ofSeq.add(change(owner, quote, "c-" + seq, "transfer"));
                }
                Collections.shuffle(ofSeq, random);
            } else {
                String owner = pick(owners);
                String asset = pick(assets);
                ofSeq.add(change(owner, asset, null, "expire"));
                ofSeq.add(change(owner, asset, null, "expire"));
            }
            batch.addAll(ofSeq);
        }
        all.addAll(batch);
        return batch;
    }

    /** The changes needed until {@code owner} has at least {@code entries} entries. */
    List<BalanceChange> untilOwnerHas(String owner, int entries) {
        List<BalanceChange> batch = new ArrayList<>();
        while (expected(owner, null, Long.MAX_VALUE).size() < entries) {
            batch.addAll(nextSeqs(100));
        }
        return batch;
    }

    long seq() {
        return seq;
    }

    /** Every entry of owner (and asset, null for all) with seq <= maxSeq, newest first. */
    List<HistoryEntry> expected(String owner, String asset, long maxSeq) {
        return all.stream()
                .filter(c -> c.account().equals(owner) && (asset == null || c.asset().equals(asset)) && c.seq() <= maxSeq)
                .map(HistoryWorkload::entry)
                .sorted(NEWEST_FIRST)
                .toList();
    }

    static HistoryEntry entry(BalanceChange c) {
        return new HistoryEntry(c.seq(), c.atMicros(), c.commandId(), c.type(), c.asset(),
                c.available(), c.held(), c.availableDelta(), c.heldDelta(), c.revision());
    }

    private BalanceChange change(String owner, String asset, String commandId, String type) {
        long revision = revisions.merge(owner + "/" + asset, 1L, Long::sum);
        long delta = random.nextLong(-1_000_000, 1_000_000);
        Int128 available = random.nextInt(20) == 0 ? Int128.of(random.nextLong(), random.nextLong()) : Int128.of(revision * 7);
        return new BalanceChange(seq, 1_700_000_000_000_000L + seq * 1000, commandId, type, owner, asset,
                available, Int128.of(random.nextInt(1000)), Int128.of(delta), Int128.of(-delta), revision);
    }

    private String pick(List<String> from) {
        return from.get(random.nextInt(from.size()));
    }

    private String otherThan(String one, List<String> from) {
        String other;
        do {
            other = pick(from);
        } while (other.equals(one));
        return other;
    }
}
