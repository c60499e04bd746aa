package jango.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import jango.api.v1.GetBalancesRequest;
import jango.api.v1.GetCommandRequest;
import jango.api.v1.GetHistoryRequest;
import jango.api.v1.GetHoldRequest;
import jango.api.v1.HealthRequest;
import jango.api.v1.JangoGrpc;
import jango.api.v1.ListAssetsRequest;
import jango.api.v1.LookupCommandsRequest;
import jango.api.v1.PutAssetRequest;
import jango.api.v1.StoredResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Jango from Java, over gRPC (jango.v1). Thread-safe; make one and share it.
 *
 * <p>Commands from every thread are packed into batch requests for you ({@link #submitAsync});
 * a call the server could not serve is retried with the same id, with backoff, on the next
 * endpoint, until the call's deadline. See the README's "Use from Java".
 */
public final class JangoClient implements AutoCloseable {
    private final Endpoints endpoints;
    private final ScheduledExecutorService scheduler;
    private final Caller caller;
    private final Batcher batcher;
    private final long callDeadlineNanos;

    private JangoClient(Builder builder) {
        this.endpoints = new Endpoints(builder.endpoints, builder.credentials(), builder.apiKey);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("jango-client-retry").factory());
        this.caller = new Caller(endpoints, scheduler, builder.attemptTimeout.toNanos(), builder.initialBackoff.toNanos(),
                builder.maxBackoff.toNanos());
        this.batcher = new Batcher(caller, builder.maxBatchCommands, builder.maxBatchDelay.toNanos(), builder.maxInFlightBatches,
                builder.maxQueuedCommands);
        this.callDeadlineNanos = builder.callDeadline.toNanos();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client of one server, with the defaults. */
    public static JangoClient connect(String endpoint) {
        return builder().endpoints(endpoint).build();
    }

    // ---- commands -----------------------------------------------------------------------------

    /**
     * Sends the command in the next batch. The future completes with its stored result (APPLIED
     * or REJECTED), or with a {@link JangoException}: MALFORMED, ID_CONFLICT, CLIENT_BUSY, or
     * UNAVAILABLE / SHARD_HALTED once the retries reached the deadline (then the outcome may be
     * unknown: submit the same id again later to learn it).
     */
    public CompletableFuture<CommandResult> submitAsync(Command command) {
        Objects.requireNonNull(command, "command");
        return batcher.submit(command, System.nanoTime() + callDeadlineNanos);
    }

    /** {@link #submitAsync} and wait for the answer. */
    public CommandResult submit(Command command) {
        return await(submitAsync(command));
    }

    // ---- queries ------------------------------------------------------------------------------

    /** The account's balances, ordered by asset (an account nobody touched has none). */
    public List<Balance> balances(String account) {
        return balances(account, null);
    }

    /** The account's balance of {@code asset} (or all with null). */
    public List<Balance> balances(String account, String asset) {
        GetBalancesRequest.Builder request = GetBalancesRequest.newBuilder().setAccount(account);
        if (asset != null) {
            request.setAsset(asset);
        }
        jango.api.v1.Balances answer = call(JangoGrpc.getGetBalancesMethod(), request.build());
        return answer.getBalancesList().stream().map(ProtoMapping::balance).toList();
    }

    /** A page of history, newest first; {@code asset} and {@code cursor} may be null, {@code limit} 1..1000. */
    public HistoryPage history(String account, String asset, int limit, String cursor) {
        GetHistoryRequest.Builder request = GetHistoryRequest.newBuilder().setAccount(account).setLimit(limit);
        if (asset != null) {
            request.setAsset(asset);
        }
        if (cursor != null) {
            request.setCursor(cursor);
        }
        return ProtoMapping.history(call(JangoGrpc.getGetHistoryMethod(), request.build()));
    }

    /** The stored result of a command, if there is one. */
    public Optional<CommandResult> command(String id) {
        try {
            return Optional.of(ProtoMapping.result(call(JangoGrpc.getGetCommandMethod(), GetCommandRequest.newBuilder().setId(id).build())));
        } catch (JangoException e) {
            if (e.code().equals("NOT_FOUND")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The stored results of up to 10,000 ids, in order, with null where there is none. */
    public List<CommandResult> lookup(List<String> ids) {
        List<CommandResult> results = new ArrayList<>(ids.size());
        for (StoredResult stored : call(JangoGrpc.getLookupCommandsMethod(), LookupCommandsRequest.newBuilder().addAllIds(ids).build())
                .getResultsList()) {
            results.add(stored.hasResult() ? ProtoMapping.result(stored.getResult()) : null);
        }
        return results;
    }

    public Optional<Hold> hold(String hold) {
        try {
            return Optional.of(ProtoMapping.hold(call(JangoGrpc.getGetHoldMethod(), GetHoldRequest.newBuilder().setHold(hold).build())));
        } catch (JangoException e) {
            if (e.code().equals("NOT_FOUND")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Creates the asset, or finds it with the same scale (true when this call created it); ASSET_CONFLICT with another. */
    public boolean putAsset(String code, int scale) {
        return call(JangoGrpc.getPutAssetMethod(), PutAssetRequest.newBuilder().setCode(code).setScale(scale).build()).getCreated();
    }

    /** Asset code -> scale. */
    public Map<String, Integer> assets() {
        Map<String, Integer> assets = new LinkedHashMap<>();
        call(JangoGrpc.getListAssetsMethod(), ListAssetsRequest.getDefaultInstance()).getAssetsList()
                .forEach(asset -> assets.put(asset.getCode(), asset.getScale()));
        return assets;
    }

    public Health health() {
        return ProtoMapping.health(call(JangoGrpc.getHealthMethod(), HealthRequest.getDefaultInstance()));
    }

    /** Counters of this client: batch requests sent, commands in them, retried attempts, failovers. */
    public record Stats(long batches, long commands, long retries, long failovers) {
    }

    public Stats stats() {
        return new Stats(batcher.batches.get(), batcher.commands.get(), caller.retries.get(), caller.failovers.get());
    }

    private <Q, R> R call(io.grpc.MethodDescriptor<Q, R> method, Q request) {
        return await(caller.call(method, request, System.nanoTime() + callDeadlineNanos));
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof JangoException jango) {
                // A fresh exception, so the stack trace shows this caller and not the client's threads.
                JangoException here = new JangoException(jango.code(), jango.getMessage().substring(jango.code().length() + 2), jango);
                throw here;
            }
            throw new JangoException("INTERNAL", String.valueOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JangoException("UNAVAILABLE", "interrupted while waiting for the answer", e);
        }
    }

    /** Fails what is still queued (UNAVAILABLE), then closes the connections. */
    @Override
    public void close() {
        batcher.close();
        scheduler.shutdownNow();
        endpoints.close();
    }

    /** The client's settings; every queue, batch, wait and retry has a bound. */
    public static final class Builder {
        private List<String> endpoints = List.of("127.0.0.1:8080");
        private String apiKey;
        private Path trustedCertificate;
        private int maxBatchCommands = 1_000;
        private Duration maxBatchDelay = Duration.ZERO;
        private int maxInFlightBatches = 4;
        private int maxQueuedCommands = 100_000;
        private Duration callDeadline = Duration.ofSeconds(30);
        private Duration attemptTimeout = Duration.ofSeconds(10);
        private Duration initialBackoff = Duration.ofMillis(20);
        private Duration maxBackoff = Duration.ofSeconds(1);

        private Builder() {
        }

        /** host:port of each instance (several in distributed mode): calls fail over between them. */
        public Builder endpoints(String... endpoints) {
            if (endpoints.length == 0) {
                throw new IllegalArgumentException("endpoints: none (expected: at least one host:port)");
            }
            this.endpoints = List.of(endpoints);
            return this;
        }

        /** Sent as "authorization: Bearer KEY" on every call (jango keys create). */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** TLS, trusting the server certificate (or its CA) in this PEM file. */
        public Builder tls(Path trustedCertificate) {
            this.trustedCertificate = trustedCertificate;
            return this;
        }

        /** Commands per batch request: 1..10,000 (default 1,000). */
        public Builder maxBatchCommands(int commands) {
            this.maxBatchCommands = check(commands, 1, 10_000, "maxBatchCommands");
            return this;
        }

        /** How long a command may wait for others to join its batch (default 0: only while earlier batches are in flight). */
        public Builder maxBatchDelay(Duration delay) {
            if (delay.isNegative() || delay.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("maxBatchDelay: " + delay + " (expected: 0..1s)");
            }
            this.maxBatchDelay = delay;
            return this;
        }

        /** Batch requests on the way at once: 1..64 (default 4). */
        public Builder maxInFlightBatches(int batches) {
            this.maxInFlightBatches = check(batches, 1, 64, "maxInFlightBatches");
            return this;
        }

        /** Commands waiting to be sent before submitAsync refuses more (CLIENT_BUSY): 1..10,000,000 (default 100,000). */
        public Builder maxQueuedCommands(int commands) {
            this.maxQueuedCommands = check(commands, 1, 10_000_000, "maxQueuedCommands");
            return this;
        }

        /** How long one call may take, retries included (default 30 s). */
        public Builder callDeadline(Duration deadline) {
            this.callDeadline = positive(deadline, "callDeadline");
            return this;
        }

        /** How long one attempt may take before it is retried (default 10 s). */
        public Builder attemptTimeout(Duration timeout) {
            this.attemptTimeout = positive(timeout, "attemptTimeout");
            return this;
        }

        /** Backoff between attempts: from {@code initial}, doubling, at most {@code max}, jittered (default 20 ms..1 s). */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initialBackoff");
            this.maxBackoff = positive(max, "maxBackoff");
            return this;
        }

        public JangoClient build() {
            return new JangoClient(this);
        }

        private ChannelCredentials credentials() {
            if (trustedCertificate == null) {
                return InsecureChannelCredentials.create();
            }
            try {
                return TlsChannelCredentials.newBuilder().trustManager(trustedCertificate.toFile()).build();
            } catch (IOException e) {
                throw new UncheckedIOException("tls: cannot read " + trustedCertificate, e);
            }
        }

        private static int check(int value, int min, int max, String name) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
            }
            return value;
        }

        private static Duration positive(Duration value, String name) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: positive)");
            }
            return value;
        }
    }
}
