package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.port.ChangeSubscriber;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each published change to whoever listens to its account (live streams, long-polls), on
 * the publishing thread. Listeners copy what they need into their own bounded buffer and return:
 * the hub never waits for one, so a slow client cannot slow the ledger or another client.
 */
public final class ChangeHub implements ChangeSubscriber {
    private static final Logger log = LoggerFactory.getLogger(ChangeHub.class);

    /** Receives the changes of one account; must not block. */
    @FunctionalInterface
    public interface Listener {
        void onChange(BalanceChange change);
    }

    private final Map<String, List<Listener>> byAccount = new ConcurrentHashMap<>();
    private final List<ChangeSubscriber> everything = new CopyOnWriteArrayList<>();
    private final AtomicInteger listeners = new AtomicInteger();

    /** Follows one account's changes until the returned handle is closed. */
    public AutoCloseable listen(String account, Listener listener) {
        byAccount.compute(account, (key, list) -> {
            List<Listener> updated = list == null ? new CopyOnWriteArrayList<>() : list;
            updated.add(listener);
            return updated;
        });
        listeners.incrementAndGet();
        return () -> {
            byAccount.computeIfPresent(account, (key, list) -> {
                if (list.remove(listener)) {
                    listeners.decrementAndGet();
                }
                return list.isEmpty() ? null : list;
            });
        };
    }

    /** Follows every change (in batches) until the returned handle is closed; must not block. */
    public AutoCloseable listenAll(ChangeSubscriber subscriber) {
        everything.add(subscriber);
        return () -> everything.remove(subscriber);
    }

    public int listeners() {
        return listeners.get();
    }

    @Override
    public void changes(List<BalanceChange> changes) {
        for (ChangeSubscriber subscriber : everything) {
            try {
                subscriber.changes(changes);
            } catch (RuntimeException e) {
                log.warn("event=hub_subscriber_failed error=\"{}\"", e.toString());
            }
        }
        if (byAccount.isEmpty()) {
            return;
        }
        for (BalanceChange change : changes) {
            List<Listener> list = byAccount.get(change.account());
            if (list == null) {
                continue;
            }
            for (Listener listener : list) {
                try {
                    listener.onChange(change);
                } catch (RuntimeException e) {
                    log.warn("event=hub_listener_failed account={} error=\"{}\"", change.account(), e.toString());
                }
            }
        }
    }
}
