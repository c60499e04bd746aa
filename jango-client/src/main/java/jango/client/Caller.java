package jango.client;

import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unary calls with bounded retries. A call that the server could not serve (UNAVAILABLE, which
 * includes SHARD_HALTED, a refused connection and a broken one) or whose attempt timed out is sent
 * again, unchanged, to the next endpoint after an exponential backoff with jitter, until the
 * call's deadline. A command keeps its id across attempts, so a retry is answered with the one
 * stored result, never applied twice. Every other failure is final.
 */
final class Caller {
    private static final Metadata.Key<String> ERROR_CODE = Metadata.Key.of("jango-error", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

    private final Endpoints endpoints;
    private final ScheduledExecutorService scheduler;
    private final long attemptTimeoutNanos;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    final AtomicLong retries = new AtomicLong();
    final AtomicLong failovers = new AtomicLong();

    Caller(Endpoints endpoints, ScheduledExecutorService scheduler, long attemptTimeoutNanos, long initialBackoffNanos, long maxBackoffNanos) {
        this.endpoints = endpoints;
        this.scheduler = scheduler;
        this.attemptTimeoutNanos = attemptTimeoutNanos;
        this.initialBackoffNanos = initialBackoffNanos;
        this.maxBackoffNanos = maxBackoffNanos;
    }

    /** The answer, or a {@link JangoException} once the failure is final or {@code deadlineNanos} (System.nanoTime) passed. */
    <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, long deadlineNanos) {
        CompletableFuture<R> answer = new CompletableFuture<>();
        attempt(method, request, deadlineNanos, 0, answer);
        return answer;
    }

    private <Q, R> void attempt(MethodDescriptor<Q, R> method, Q request, long deadlineNanos, int attempt, CompletableFuture<R> answer) {
        long remaining = deadlineNanos - System.nanoTime();
        int endpoint = endpoints.current();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(Math.max(1, Math.min(remaining, attemptTimeoutNanos)), TimeUnit.NANOSECONDS);
        ClientCalls.asyncUnaryCall(endpoints.channel(endpoint).newCall(method, options), request, new StreamObserver<>() {
            private R value;

            @Override
            public void onNext(R value) {
                this.value = value;
            }

            @Override
            public void onError(Throwable error) {
                retryOrFail(method, request, deadlineNanos, attempt, endpoint, error, answer);
            }

            @Override
            public void onCompleted() {
                answer.complete(value);
            }
        });
    }

    private <Q, R> void retryOrFail(MethodDescriptor<Q, R> method, Q request, long deadlineNanos, int attempt, int endpoint,
                                    Throwable error, CompletableFuture<R> answer) {
        Status status = Status.fromThrowable(error);
        Metadata trailers = Status.trailersFromThrowable(error);
        String code = trailers == null ? null : trailers.get(ERROR_CODE);
        boolean retry = status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
        long backoff = backoffNanos(attempt, trailers);
        if (!retry || System.nanoTime() + backoff >= deadlineNanos) {
            answer.completeExceptionally(exception(status, code, endpoints.address(endpoint), attempt + 1, error));
            return;
        }
        retries.incrementAndGet();
        if (endpoints.failOver(endpoint)) {
            failovers.incrementAndGet();
        }
        scheduler.schedule(() -> attempt(method, request, deadlineNanos, attempt + 1, answer), backoff, TimeUnit.NANOSECONDS);
    }

    /** Exponential from the initial backoff, at most the maximum, jittered; at least the server's Retry-After if it fits. */
    private long backoffNanos(int attempt, Metadata trailers) {
        long exponential = initialBackoffNanos << Math.min(attempt, 20);
        long backoff = Math.min(maxBackoffNanos, exponential);
        backoff = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        String retryAfter = trailers == null ? null : trailers.get(RETRY_AFTER);
        if (retryAfter != null) {
            try {
                backoff = Math.max(backoff, Math.min(maxBackoffNanos, TimeUnit.SECONDS.toNanos(Long.parseLong(retryAfter))));
            } catch (NumberFormatException ignored) {
                // a malformed hint is no reason to fail the call
            }
        }
        return backoff;
    }

    static JangoException exception(Status status, String code, String endpoint, int attempts, Throwable cause) {
        String named = code != null ? code : switch (status.getCode()) {
            case INVALID_ARGUMENT -> "MALFORMED";
            case RESOURCE_EXHAUSTED -> "TOO_LARGE";
            case NOT_FOUND -> "NOT_FOUND";
            case UNAUTHENTICATED -> "UNAUTHENTICATED";
            case PERMISSION_DENIED -> "FORBIDDEN";
            case UNAVAILABLE, DEADLINE_EXCEEDED -> "UNAVAILABLE";
            default -> "INTERNAL";
        };
        String message = (status.getDescription() == null ? status.getCode().name() : status.getDescription())
                + (attempts > 1 ? " (after " + attempts + " attempts, last to " + endpoint + ")" : "");
        return new JangoException(named, message, cause);
    }
}
