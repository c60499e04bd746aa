package jango.streams.live;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.port.Ledger;
import jango.streams.StreamsConfig;
import jango.streams.feed.ChangeHub;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection following the changes of one or more accounts (an SSE stream, or a
 * WebSocket). Everything but {@link #offer} runs on the connection's event loop.
 *
 * <p>Bounded everywhere: the hub hands changes to a queue of at most {@code subscriberBufferEvents};
 * the stream takes from it only when the client has consumed the previous write, so a client that
 * reads slower than its accounts change fills the queue and is closed (SLOW_CONSUMER), and one that
 * stops reading is closed when a write waits longer than the stall timeout (STALLED). Either way the
 * last frame tells where each account stands, and reconnecting from there resumes from history with
 * no gap and no duplicate. A stream also ends after {@code maxStreamMs}, and a closed stream whose
 * client does not take its last frame is dropped after {@code closeGraceMs}.
 */
final class LiveStream {
    private static final Logger log = LoggerFactory.getLogger(LiveStream.class);
    private static final int FRAMES_PER_WRITE = 256;

    private final ChangeHub hub;
    private final Ledger ledger;
    private final StreamsConfig config;
    private final Frames frames;
    private final StreamMetrics metrics;
    private final ScheduledExecutorService loop;
    private final Executor blocking;
    private final boolean socket;
    private final String peer;

    // The hub's thread hands changes over here; guarded by itself.
    private final ArrayDeque<BalanceChange> inbox = new ArrayDeque<>();
    private boolean inboxOverflowed;
    private boolean pumpScheduled;

    // Event loop only.
    private final Map<String, Follow> follows = new LinkedHashMap<>();
    private final ArrayDeque<String> outbox = new ArrayDeque<>();
    private int held;
    private Sink sink;
    private boolean writing;
    private long writingSinceNanos;
    private boolean ended;
    private ScheduledFuture<?> heartbeat;
    private ScheduledFuture<?> maxAge;

    /** One followed account: where its stream stands, and the live changes held back while history is read. */
    private static final class Follow {
        final String account;
        final String asset;
        final ArrayDeque<BalanceChange> heldBack = new ArrayDeque<>();
        Position position = new Position();
        boolean catchingUp = true;
        AutoCloseable listening;

        Follow(String account, String asset) {
            this.account = account;
            this.asset = asset;
        }
    }

    LiveStream(ChangeHub hub, Ledger ledger, StreamsConfig config, Frames frames, StreamMetrics metrics,
               ScheduledExecutorService loop, Executor blocking, boolean socket, String peer) {
        this.hub = hub;
        this.ledger = ledger;
        this.config = config;
        this.frames = frames;
        this.metrics = metrics;
        this.loop = loop;
        this.blocking = blocking;
        this.socket = socket;
        this.peer = peer;
    }

    int follows() {
        return follows.size();
    }

    boolean follows(String account) {
        return follows.containsKey(account);
    }

    /**
     * Starts following {@code account} ({@code asset} null for all) from {@code from} (null: send
     * its balances first). Completes, on the loop, once the catch-up is queued; exceptionally with
     * {@link CatchUp.TooFar} or {@link CatchUp.Ahead} when the position cannot be resumed.
     */
    CompletableFuture<Void> follow(String account, String asset, Position from) {
        Follow follow = new Follow(account, asset);
        if (from != null) {
            follow.position = from;
        }
        follows.put(account, follow);
        follow.listening = hub.listen(account, this::offer);
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture.supplyAsync(() -> CatchUp.read(ledger, account, asset, from, config.maxResumeEntries()), blocking)
                .whenCompleteAsync((catchUp, error) -> {
                    if (ended || follows.get(account) != follow) {
                        done.completeExceptionally(new IllegalStateException("the stream ended"));
                        return;
                    }
                    if (error != null) {
                        unfollow(account);
                        done.completeExceptionally(error instanceof java.util.concurrent.CompletionException ? error.getCause() : error);
                        return;
                    }
                    caughtUp(follow, catchUp, from == null);
                    done.complete(null);
                }, loop);
        return done;
    }

    private void caughtUp(Follow follow, CatchUp catchUp, boolean snapshot) {
        if (snapshot) {
            for (BalanceView balance : catchUp.balances()) {
                follow.position.set(balance.asset(), balance.revision());
            }
            outbox.add(frames.snapshot(follow.account, catchUp.balances(), follow.position));
        } else {
            for (BalanceChange change : catchUp.missed()) {
                deliver(follow, change);
            }
        }
        follow.catchingUp = false;
        BalanceChange change;
        while (!ended && (change = follow.heldBack.poll()) != null) {
            held--;
            deliver(follow, change);
        }
        flush();
    }

    void unfollow(String account) {
        Follow follow = follows.remove(account);
        if (follow != null) {
            held -= follow.heldBack.size();
            closeQuietly(follow.listening);
        }
    }

    /**
     * Queues a frame of the stream's own (a WebSocket's answers to its client's messages). A client
     * that sends faster than it reads fills the buffer and is closed like any slow one.
     */
    void notice(String frame) {
        if (ended) {
            return;
        }
        if (outbox.size() >= config.subscriberBufferEvents()) {
            end(CloseReason.SLOW_CONSUMER, "more than " + config.subscriberBufferEvents() + " frames waited for this client");
            return;
        }
        outbox.add(frame);
        flush();
    }

    /** Starts writing to the client; until then everything waits in the buffers. */
    void attach(Sink attached) {
        sink = attached;
        metrics.open(socket).incrementAndGet();
        heartbeat = loop.scheduleAtFixedRate(this::tick, config.heartbeatMs(), config.heartbeatMs(), TimeUnit.MILLISECONDS);
        maxAge = loop.schedule(() -> end(CloseReason.MAX_AGE, "the stream reached its longest life ("
                + config.maxStreamMs() + " ms); reconnect with the position to resume"), config.maxStreamMs(), TimeUnit.MILLISECONDS);
        attached.whenEnded().whenCompleteAsync((ok, error) -> end(CloseReason.CLIENT_GONE, null), loop);
        pump();
    }

    /** Called by the hub on its thread: never blocks, never waits for the client. */
    private void offer(BalanceChange change) {
        boolean schedule;
        synchronized (inbox) {
            if (inbox.size() >= config.subscriberBufferEvents()) {
                inboxOverflowed = true;
            } else {
                inbox.add(change);
            }
            schedule = !pumpScheduled;
            pumpScheduled = true;
        }
        if (schedule) {
            loop.execute(this::pump);
        }
    }

    private void pump() {
        boolean overflowed;
        synchronized (inbox) {
            pumpScheduled = false;
            overflowed = inboxOverflowed;
        }
        if (ended) {
            return;
        }
        if (overflowed) {
            end(CloseReason.SLOW_CONSUMER, "more than " + config.subscriberBufferEvents()
                    + " changes waited for this client; reconnect with the position to resume");
            return;
        }
        if (sink == null || writing) {
            return;
        }
        if (outbox.isEmpty()) {
            takeFromInbox();
        }
        flush();
    }

    private void takeFromInbox() {
        for (int i = 0; i < FRAMES_PER_WRITE && !ended; i++) {
            BalanceChange change;
            synchronized (inbox) {
                change = inbox.poll();
            }
            if (change == null) {
                return;
            }
            route(change);
        }
        // More is waiting: come back once this write is consumed.
    }

    private void route(BalanceChange change) {
        Follow follow = follows.get(change.account());
        if (follow == null || (follow.asset != null && !follow.asset.equals(change.asset()))) {
            return;
        }
        if (follow.catchingUp) {
            follow.heldBack.add(change);
            if (++held > config.subscriberBufferEvents()) {
                end(CloseReason.SLOW_CONSUMER, "more than " + config.subscriberBufferEvents()
                        + " changes arrived while history was read; reconnect with the position to resume");
            }
            return;
        }
        deliver(follow, change);
    }

    private void deliver(Follow follow, BalanceChange change) {
        switch (follow.position.offer(change)) {
            case DELIVER -> {
                outbox.add(frames.change(change, follow.position));
                metrics.sent(1);
            }
            case DUPLICATE -> {
            }
            case GAP -> {
                log.warn("event=stream_gap account={} asset={} have={} got={}", change.account(), change.asset(),
                        follow.position.revision(change.asset()), change.revision());
                end(CloseReason.GAP, "revision " + (follow.position.revision(change.asset()) + 1) + " of " + change.account()
                        + " " + change.asset() + " is missing here; reconnect with the position to fill it from history");
            }
        }
    }

    private void flush() {
        if (ended || sink == null || writing || outbox.isEmpty()) {
            return;
        }
        java.util.List<String> frames = new java.util.ArrayList<>(Math.min(outbox.size(), FRAMES_PER_WRITE));
        while (frames.size() < FRAMES_PER_WRITE && !outbox.isEmpty()) {
            frames.add(outbox.poll());
        }
        if (!sink.writeAll(frames)) {
            end(CloseReason.CLIENT_GONE, null);
            return;
        }
        writing = true;
        writingSinceNanos = System.nanoTime();
        sink.whenConsumed().whenCompleteAsync((ok, error) -> {
            writing = false;
            if (error != null) {
                end(CloseReason.CLIENT_GONE, null);
            } else {
                pump();
            }
        }, loop);
    }

    private void tick() {
        if (ended || sink == null) {
            return;
        }
        if (writing) {
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writingSinceNanos);
            if (waitedMs >= config.stallTimeoutMs()) {
                end(CloseReason.STALLED, "the client took nothing for " + waitedMs + " ms");
            }
            return;
        }
        if (outbox.isEmpty()) {
            outbox.add(frames.heartbeat());
            flush();
        }
    }

    /** Ends the stream (once): the last frame says why and where each account stands. */
    void end(CloseReason reason, String message) {
        if (ended) {
            return;
        }
        ended = true;
        for (Follow follow : follows.values()) {
            closeQuietly(follow.listening);
        }
        synchronized (inbox) {
            inbox.clear();
        }
        outbox.clear();
        if (heartbeat != null) {
            heartbeat.cancel(false);
            maxAge.cancel(false);
        }
        if (sink == null) {
            return; // never started (its catch-up failed): nothing was sent, nothing to count
        }
        metrics.closed(reason);
        metrics.open(socket).decrementAndGet();
        if (reason != CloseReason.CLIENT_GONE) {
            log.info("event=stream_closed kind={} peer={} reason={} accounts={}", socket ? "websocket" : "sse", peer, reason, follows.size());
            Map<String, Position> positions = new LinkedHashMap<>();
            follows.forEach((account, follow) -> positions.put(account, follow.position));
            sink.write(frames.closed(reason, message, positions));
            sink.close();
            Sink closing = sink;
            loop.schedule(() -> {
                if (!closing.whenEnded().isDone()) {
                    closing.abort();
                }
            }, config.closeGraceMs(), TimeUnit.MILLISECONDS);
        }
    }

    /** {@link #end} from any thread. */
    void endSoon(CloseReason reason, String message) {
        loop.execute(() -> end(reason, message));
    }

    boolean ended() {
        return ended;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // a hub handle does not fail
        }
    }
}
