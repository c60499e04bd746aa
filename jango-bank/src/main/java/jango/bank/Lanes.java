package jango.bank;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Work keyed by user: every step of a user's withdrawals (and of a virtual account's deposits)
 * runs on the one lane its key hashes to, in order, so two steps of one withdrawal never race and
 * no global lock is needed; other users' work runs on the other lanes meanwhile. Each lane's queue
 * is bounded; a full lane refuses new work ({@link RejectedExecutionException}), which callers
 * answer with 503 rather than wait.
 */
final class Lanes implements AutoCloseable {
    private final List<ExecutorService> lanes = new ArrayList<>();

    Lanes(int count, int queueCapacity) {
        for (int i = 0; i < count; i++) {
            lanes.add(new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity),
                    Thread.ofPlatform().daemon().name("bank-lane-" + i).factory()));
        }
    }

    void run(String key, Runnable step) {
        lane(key).execute(step);
    }

    <T> CompletableFuture<T> call(String key, Supplier<CompletableFuture<T>> step) {
        CompletableFuture<T> result = new CompletableFuture<>();
        lane(key).execute(() -> {
            try {
                step.get().whenComplete((value, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    } else {
                        result.complete(value);
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private ExecutorService lane(String key) {
        return lanes.get(Math.floorMod(key.hashCode(), lanes.size()));
    }

    @Override
    public void close() {
        lanes.forEach(ExecutorService::shutdown);
        for (ExecutorService lane : lanes) {
            try {
                lane.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
