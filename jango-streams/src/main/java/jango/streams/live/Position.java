package jango.streams.live;

import jango.engine.BalanceChange;
import jango.engine.Names;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where one account's stream stands: the last revision delivered of each asset. Revisions count an
 * account's changes of one asset with no gaps, so "deliver revision r only if it is the next one"
 * rules out both duplicates and gaps, wherever the change came from (history or the live feed).
 * Its text, the SSE event id, is {@code BTC:7,KRW:12}; an asset not listed stands at 0.
 */
final class Position {
    static final int MAX_ASSETS = 256;

    private final TreeMap<String, Long> revisions = new TreeMap<>();

    /** @throws IllegalArgumentException naming what is wrong with {@code text} */
    static Position parse(String text) {
        Position position = new Position();
        if (text == null || text.isEmpty()) {
            return position;
        }
        String[] parts = text.split(",", MAX_ASSETS + 1);
        if (parts.length > MAX_ASSETS) {
            throw new IllegalArgumentException("more than " + MAX_ASSETS + " assets");
        }
        for (String part : parts) {
            int colon = part.indexOf(':');
            String asset = colon < 0 ? "" : part.substring(0, colon);
            long revision = -1;
            try {
                revision = colon < 0 ? -1 : Long.parseLong(part.substring(colon + 1));
            } catch (NumberFormatException e) {
                // below
            }
            if (!Names.ASSET.matches(asset) || revision < 0 || position.revisions.containsKey(asset)) {
                throw new IllegalArgumentException("\"" + abbreviate(part) + "\" (expected: ASSET:REVISION, each asset once, e.g. BTC:7,KRW:12)");
            }
            position.revisions.put(asset, revision);
        }
        return position;
    }

    long revision(String asset) {
        return revisions.getOrDefault(asset, 0L);
    }

    void set(String asset, long revision) {
        revisions.put(asset, revision);
    }

    /** What to do with a change: deliver it (and move on), drop it (already delivered), or a gap. */
    enum Verdict { DELIVER, DUPLICATE, GAP }

    Verdict offer(BalanceChange change) {
        long have = revision(change.asset());
        if (change.revision() <= have) {
            return Verdict.DUPLICATE;
        }
        if (change.revision() != have + 1) {
            return Verdict.GAP;
        }
        revisions.put(change.asset(), change.revision());
        return Verdict.DELIVER;
    }

    Map<String, Long> revisions() {
        return revisions;
    }

    String text() {
        StringBuilder text = new StringBuilder(revisions.size() * 12);
        for (Map.Entry<String, Long> entry : revisions.entrySet()) {
            if (!text.isEmpty()) {
                text.append(',');
            }
            text.append(entry.getKey()).append(':').append(entry.getValue());
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return text();
    }

    private static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
