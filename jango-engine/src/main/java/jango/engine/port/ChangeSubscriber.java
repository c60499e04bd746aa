package jango.engine.port;

import jango.engine.BalanceChange;

import java.util.List;

/**
 * Receives every applied balance change, in log order (so in revision order per account), for
 * projections: live streams, webhooks, the channel copy. Called on a ledger thread once the
 * changes are durable and readable through {@link Ledger#history}, so a subscriber that resumes
 * from history and then follows the feed misses nothing. It must not block: copy what you need into
 * your own bounded buffer and return.
 */
@FunctionalInterface
public interface ChangeSubscriber {
    void changes(List<BalanceChange> changes);
}
