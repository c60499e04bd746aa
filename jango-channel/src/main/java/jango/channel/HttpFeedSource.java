package jango.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import jango.streams.client.SseReader;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the ledger's admin feed ({@code GET /v1/admin/feed?after=}, Server-Sent Events): embedded
 * mode's source (distributed mode's instances serve the feed too, over the topic; {@link TopicChangeSource}
 * reads the topic itself). The reader pauses (TCP backpressure on the ledger) while two events wait to be
 * stored, so memory holds a couple of chunks at most. Silence longer than {@code readTimeoutMs}
 * (heartbeats come every 15 s) counts as a dead connection; every failure reconnects from the last
 * stored position after a backoff that doubles up to {@code maxBackoffMs}.
 */
public final class HttpFeedSource implements ChangeSource {
    private static final Logger log = LoggerFactory.getLogger(HttpFeedSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object END = new Object();
    private static final int MAX_WAITING_EVENTS = 2;

    private final String baseUrl;
    private final LedgerClient ledger;
    private final long readTimeoutMs;
    private final long maxBackoffMs;
    private final ClientFactory factory = ClientFactory.builder().idleTimeout(Duration.ofSeconds(30)).build();
    private volatile boolean closed;
    private volatile SseReader current;

    public HttpFeedSource(String baseUrl, LedgerClient ledger, long readTimeoutMs, long maxBackoffMs) {
        this.baseUrl = baseUrl;
        this.ledger = ledger;
        this.readTimeoutMs = readTimeoutMs;
        this.maxBackoffMs = maxBackoffMs;
    }

    @Override
    public void run(String position, Sink sink, Status status) throws InterruptedException {
        String at = position;
        long backoffMs = 100;
        while (!closed) {
            String reason;
            try {
                at = follow(at, sink, status);
                reason = "the feed ended";
            } catch (Truncated e) {
                String resumeFrom = feedEndOr(at);
                status.truncated(e.getMessage(), resumeFrom);
                at = resumeFrom;
                reason = e.getMessage();
            } catch (IllegalStateException e) {
                if (closed) {
                    return; // the client factory is closing with us
                }
                reason = e.toString();
            } catch (FollowFailed e) {
                at = e.position;
                reason = e.getMessage();
                if (e.connected) {
                    backoffMs = 100;
                }
            }
            if (closed) {
                return;
            }
            status.disconnected(reason);
            log.warn("event=feed_disconnected position={} retry_ms={} reason=\"{}\"", at, backoffMs, reason);
            TimeUnit.MILLISECONDS.sleep(backoffMs);
            backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        }
    }

    /** Follows from {@code position} until the connection ends; returns the position reached. */
    private String follow(String position, Sink sink, Status status) throws InterruptedException {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        SseReader[] reader = new SseReader[1];
        reader[0] = new SseReader(new SseReader.Handler() {
            @Override
            public void onHeaders(ResponseHeaders headers) {
                events.add(headers);
            }

            @Override
            public void onEvent(SseReader.Event event) {
                events.add(event);
                if (events.size() >= MAX_WAITING_EVENTS) {
                    reader[0].pause();
                }
            }
        });
        reader[0].ended().whenComplete((ok, error) -> events.add(error != null ? error : END));
        current = reader[0];
        WebClient.builder(baseUrl).factory(factory).responseTimeout(Duration.ZERO).maxResponseLength(0).build()
                .execute(RequestHeaders.of(HttpMethod.GET, "/v1/admin/feed?after=" + URLEncoder.encode(position, StandardCharsets.UTF_8)))
                .subscribe(reader[0]);
        String at = position;
        boolean connected = false;
        try {
            while (!closed) {
                Object item = events.poll(readTimeoutMs, TimeUnit.MILLISECONDS);
                if (item == null) {
                    throw new FollowFailed("nothing from the feed for " + readTimeoutMs + " ms", at, connected);
                }
                reader[0].resume();
                if (item instanceof ResponseHeaders headers) {
                    int code = headers.status().code();
                    if (code == 410) {
                        throw new Truncated("the feed no longer has position " + at);
                    }
                    if (code != 200) {
                        throw new FollowFailed("the feed answered " + code, at, false);
                    }
                    connected = true;
                    status.connected();
                } else if (item instanceof SseReader.Event event) {
                    if ("changes".equals(event.event())) {
                        FeedBatch batch = parse(event.data());
                        store(sink, batch, at, connected);
                        at = batch.next();
                    } else if ("error".equals(event.event())) {
                        throw new FollowFailed("the feed failed: " + event.data(), at, connected);
                    }
                } else if (item instanceof Throwable error) {
                    throw new FollowFailed("the connection failed: " + error, at, connected);
                } else {
                    return at;
                }
            }
            return at;
        } finally {
            reader[0].cancel();
        }
    }

    private static void store(Sink sink, FeedBatch batch, String at, boolean connected) {
        try {
            sink.accept(batch);
        } catch (Exception e) {
            throw new FollowFailed("storing a batch failed: " + e, at, connected);
        }
    }

    private String feedEndOr(String fallback) {
        try {
            return ledger.feedEnd();
        } catch (IOException e) {
            return fallback;
        }
    }

    static FeedBatch parse(String data) {
        JsonNode node;
        try {
            node = JSON.readTree(data);
        } catch (IOException e) {
            throw new IllegalArgumentException("a feed event that is not JSON: " + e.getMessage(), e);
        }
        List<ChangeRecord> changes = new ArrayList<>();
        for (JsonNode change : node.get("changes")) {
            ChangeRecord record = ChangeRecord.parse(change, null);
            // A feed of several shards names each change's shard: a system owner has an account (and
            // revisions) on each, which the copy leaves out, as the topic source does.
            if (!(change.has("shard") && jango.engine.Names.isSystem(record.account()))) {
                changes.add(record);
            }
        }
        List<FeedBatch.Hole> holes = new ArrayList<>();
        for (JsonNode hole : node.get("holes")) {
            holes.add(new FeedBatch.Hole(hole.get("from").asLong(), hole.get("to").asLong()));
        }
        return new FeedBatch(changes, holes, node.get("next").asText());
    }

    @Override
    public void close() {
        closed = true;
        SseReader reader = current;
        if (reader != null) {
            reader.cancel();
        }
        factory.close();
    }

    /** The connection ended or failed at {@code position}. */
    private static final class FollowFailed extends RuntimeException {
        final String position;
        final boolean connected;

        FollowFailed(String message, String position, boolean connected) {
            super(message, null, false, false);
            this.position = position;
            this.connected = connected;
        }
    }

    private static final class Truncated extends RuntimeException {
        Truncated(String message) {
            super(message, null, false, false);
        }
    }
}
