package jango.streams.live;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.engine.Names;
import jango.engine.port.Ledger;
import jango.server.BalanceEtag;
import jango.streams.StreamsConfig;
import jango.streams.feed.ChangeHub;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The polling fallback: {@code GET /v1/accounts/{a}/balances} with {@code If-None-Match} and
 * {@code Prefer: wait=N} waits up to N seconds (at most {@code maxWaitSeconds}) for a change. It
 * answers 304 when nothing changed in that time, decided from the {@link RevisionCache} without
 * reading the ledger, or the new balances (200) as soon as the account changes. Without the two
 * headers, or past {@code maxWaiters} waiting, the route answers as before, at once.
 */
final class LongPoll implements DecoratingHttpServiceFunction {
    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,6})\"?", Pattern.CASE_INSENSITIVE);
    private static final String PREFERENCE_APPLIED = "preference-applied";

    private final Ledger ledger;
    private final ChangeHub hub;
    private final RevisionCache revisions;
    private final StreamsConfig config;
    private final StreamMetrics metrics;

    LongPoll(Ledger ledger, ChangeHub hub, RevisionCache revisions, StreamsConfig config, StreamMetrics metrics) {
        this.ledger = ledger;
        this.hub = hub;
        this.revisions = revisions;
        this.config = config;
        this.metrics = metrics;
    }

    /** The seconds asked for in a Prefer header, or 0. */
    static int waitSeconds(String prefer) {
        if (prefer == null) {
            return 0;
        }
        Matcher matcher = WAIT.matcher(prefer);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
    }

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
        String ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        int asked = waitSeconds(req.headers().get(HttpHeaderNames.PREFER));
        String account = ctx.pathParam("account");
        String asset = ctx.queryParam("asset");
        asset = asset == null || asset.isEmpty() ? null : asset;
        if (req.method() != HttpMethod.GET || ifNoneMatch == null || asked == 0 || !Names.OWNER.matches(account)
                || (asset != null && !Names.ASSET.matches(asset)) || !ledger.followsRevisions(account)) {
            // The route answers (and refuses bad names) as always; so for an owner whose changes do not
            // carry its balance's revisions (a system owner over several shards), which the cache cannot follow.
            return delegate.serve(ctx, req);
        }
        if (metrics.waiting().incrementAndGet() > config.maxWaiters()) {
            metrics.waiting().decrementAndGet();
            return delegate.serve(ctx, req);
        }
        int waitSeconds = Math.min(asked, config.maxWaitSeconds());
        String wantedAsset = asset;
        CompletableFuture<Void> changed = new CompletableFuture<>();
        // Listen before looking: a change between the look and the listen would otherwise be missed.
        AutoCloseable listening = hub.listen(account, change -> {
            if (wantedAsset == null || wantedAsset.equals(change.asset())) {
                changed.complete(null);
            }
        });
        Runnable release = releaseOnce(listening);
        String current;
        try {
            current = revisions.etag(account, asset);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        // The cache follows revisions: a tag of the same revisions waits for the next history entry. (Money a
        // transfer between shards reserves moves under the same revision: a plain GET shows it, this wait does not.)
        if (!BalanceEtag.sameRevisions(ifNoneMatch, current)) {
            release.run();
            return delegate.serve(ctx, req);
        }
        CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
        answer.whenComplete((response, error) -> release.run());
        ctx.setRequestTimeout(TimeoutMode.SET_FROM_NOW, Duration.ofSeconds(waitSeconds + 10L));
        var timeout = ctx.eventLoop().schedule(() -> answer.complete(notModified(ifNoneMatch, waitSeconds)), waitSeconds, TimeUnit.SECONDS);
        changed.thenRunAsync(() -> {
            timeout.cancel(false);
            try {
                answer.complete(applied(delegate.serve(ctx, req), waitSeconds));
            } catch (Exception e) {
                answer.completeExceptionally(e);
            }
        }, ledger.readsBlock() ? ctx.blockingTaskExecutor() : ctx.eventLoop());
        ctx.whenRequestCancelled().thenRun(() -> {
            timeout.cancel(false);
            answer.cancel(false);
        });
        return HttpResponse.of(answer);
    }

    /** Stops listening and counts the waiter out, once however often it runs. */
    private Runnable releaseOnce(AutoCloseable listening) {
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                metrics.waiting().decrementAndGet();
                closeQuietly(listening);
            }
        };
    }

    private static HttpResponse notModified(String etag, int waitSeconds) {
        return HttpResponse.of(ResponseHeaders.builder(HttpStatus.NOT_MODIFIED).add(HttpHeaderNames.ETAG, etag)
                .add(PREFERENCE_APPLIED, "wait=" + waitSeconds).build());
    }

    private static HttpResponse applied(HttpResponse response, int waitSeconds) {
        return response.mapHeaders(headers -> headers.toBuilder().add(PREFERENCE_APPLIED, "wait=" + waitSeconds).build());
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // a hub handle does not fail
        }
    }
}
