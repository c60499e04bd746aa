package jango.streams.webhook;

import jango.engine.BalanceChange;

import java.util.Set;

/**
 * A webhook subscription: where to send, the secret that signs, and which changes: those its filter
 * takes that were applied after it was made (by the sequencer's time, so any feed position format
 * works). The secret is never shown back nor logged.
 */
record Subscription(String id, String url, String secret, Filter filter, long createdAtMillis) {

    boolean wants(BalanceChange change) {
        return change.atMicros() >= createdAtMillis * 1_000L && filter.matches(change);
    }

    /** Which changes a subscription wants; an empty set means any. */
    record Filter(Set<String> accounts, Set<String> assets, Set<String> types) {
        Filter {
            accounts = Set.copyOf(accounts);
            assets = Set.copyOf(assets);
            types = Set.copyOf(types);
        }

        boolean matches(BalanceChange change) {
            return (accounts.isEmpty() || accounts.contains(change.account()))
                    && (assets.isEmpty() || assets.contains(change.asset()))
                    && (types.isEmpty() || types.contains(change.type()));
        }
    }
}
