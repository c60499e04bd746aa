package jango.client;

import jango.api.v1.BatchAnswer;
import jango.api.v1.JangoGrpc;
import jango.api.v1.SubmitBatchRequest;
import jango.api.v1.SubmitBatchResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packs the commands of every calling thread into batch requests. One sender thread takes what
 * is queued, up to {@code maxCommands} and {@code maxBytes}, waiting at most {@code maxDelayNanos}
 * for more, and sends it as soon as fewer than {@code maxInFlight} batches are on the way. So at
 * low load a command goes out at once, alone, and under load batches grow while the earlier ones
 * are answered, as the server's group commit does with fsyncs. The queue is bounded: when it is
 * full a command is refused (CLIENT_BUSY) instead of waiting without limit.
 */
final class Batcher implements AutoCloseable {
    /** The server's body limit is 1 MiB; this leaves room for the framing of every command. */
    static final int MAX_BATCH_BYTES = 900_000;
    private static final Pattern MALFORMED_ITEM = Pattern.compile("^commands\\[(\\d+)]\\.?(.*)$", Pattern.DOTALL);

    private record Pending(jango.api.v1.Command proto, int bytes, long deadlineNanos, CompletableFuture<CommandResult> answer) {
    }

    private final Caller caller;
    private final int maxCommands;
    private final long maxDelayNanos;
    private final ArrayBlockingQueue<Pending> queue;
    private final Semaphore inFlight;
    private final Thread sender;
    private volatile boolean closed;
    /** Taken from the queue but did not fit the last batch (the sender thread's alone). */
    private Pending carried;
    final AtomicLong batches = new AtomicLong();
    final AtomicLong commands = new AtomicLong();

    Batcher(Caller caller, int maxCommands, long maxDelayNanos, int maxInFlight, int maxQueued) {
        this.caller = caller;
        this.maxCommands = maxCommands;
        this.maxDelayNanos = maxDelayNanos;
        this.queue = new ArrayBlockingQueue<>(maxQueued);
        this.inFlight = new Semaphore(maxInFlight);
        this.sender = Thread.ofPlatform().daemon().name("jango-client-batcher").start(this::sendLoop);
    }

    CompletableFuture<CommandResult> submit(Command command, long deadlineNanos) {
        jango.api.v1.Command proto = ProtoMapping.command(command);
        CompletableFuture<CommandResult> answer = new CompletableFuture<>();
        if (closed) {
            answer.completeExceptionally(new JangoException("UNAVAILABLE", "the client is closed", null));
        } else if (!queue.offer(new Pending(proto, proto.getSerializedSize() + 8, deadlineNanos, answer))) {
            answer.completeExceptionally(new JangoException("CLIENT_BUSY", queue.size() + " commands are queued in this client (the limit);"
                    + " retry with the same id", null));
        }
        return answer;
    }

    private void sendLoop() {
        while (!closed) {
            try {
                inFlight.acquire();
                List<Pending> batch = nextBatch();
                if (batch.isEmpty()) {
                    inFlight.release();
                    continue;
                }
                try {
                    send(batch).whenComplete((ignored, error) -> inFlight.release());
                } catch (RuntimeException e) {
                    inFlight.release();
                    batch.forEach(pending -> pending.answer().completeExceptionally(new JangoException("INTERNAL", "not sent: " + e, e)));
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** What is queued now, up to the bounds, lingering at most maxDelay after the first command for more. */
    private List<Pending> nextBatch() throws InterruptedException {
        List<Pending> batch = new ArrayList<>();
        Pending first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
        carried = null;
        if (first == null) {
            return batch;
        }
        batch.add(first);
        int bytes = first.bytes();
        long lingerUntil = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxCommands) {
            Pending next = queue.poll();
            if (next == null) {
                long wait = lingerUntil - System.nanoTime();
                next = wait <= 0 ? null : queue.poll(wait, TimeUnit.NANOSECONDS);
                if (next == null) {
                    break;
                }
            }
            if (bytes + next.bytes() > MAX_BATCH_BYTES) {
                carried = next; // the first of the next batch
                break;
            }
            batch.add(next);
            bytes += next.bytes();
        }
        return batch;
    }

    /** Sends one batch (retried by the caller with the same ids) and answers each command's future. */
    private CompletableFuture<Void> send(List<Pending> batch) {
        batches.incrementAndGet();
        commands.addAndGet(batch.size());
        SubmitBatchRequest.Builder request = SubmitBatchRequest.newBuilder();
        long deadline = Long.MAX_VALUE;
        for (Pending pending : batch) {
            request.addCommands(pending.proto());
            deadline = Math.min(deadline, pending.deadlineNanos());
        }
        return caller.call(JangoGrpc.getSubmitBatchMethod(), request.build(), deadline)
                .handle((response, error) -> {
                    if (error == null) {
                        answer(batch, response);
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    return failed(batch, error instanceof CompletionException ? error.getCause() : error);
                })
                .thenCompose(next -> next);
    }

    /** Completes every command's future, whatever the response holds: no caller is left waiting. */
    private static void answer(List<Pending> batch, SubmitBatchResponse response) {
        if (response.getAnswersCount() != batch.size()) {
            JangoException wrong = new JangoException("INTERNAL", response.getAnswersCount() + " answers to " + batch.size() + " commands", null);
            batch.forEach(pending -> pending.answer().completeExceptionally(wrong));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            BatchAnswer answer = response.getAnswers(i);
            CompletableFuture<CommandResult> future = batch.get(i).answer();
            try {
                if (answer.hasResult()) {
                    future.complete(ProtoMapping.result(answer.getResult()));
                } else {
                    future.completeExceptionally(new JangoException(answer.getError().getCode(), answer.getError().getMessage(), null));
                }
            } catch (RuntimeException e) {
                future.completeExceptionally(new JangoException("INTERNAL", "an answer could not be read: " + e, e));
            }
        }
    }

    /**
     * A batch refused as malformed names the command at fault ({@code commands[3].amount: ...}):
     * only that caller gets the refusal, and the others go again without it. Any other failure
     * is every command's.
     */
    private CompletableFuture<Void> failed(List<Pending> batch, Throwable error) {
        if (error instanceof JangoException refused && refused.code().equals("MALFORMED")) {
            String message = refused.getMessage().substring("MALFORMED: ".length());
            Matcher item = MALFORMED_ITEM.matcher(message);
            if (item.matches() && Integer.parseInt(item.group(1)) < batch.size()) {
                int index = Integer.parseInt(item.group(1));
                batch.get(index).answer().completeExceptionally(new JangoException("MALFORMED", item.group(2), refused));
                List<Pending> rest = new ArrayList<>(batch);
                rest.remove(index);
                return rest.isEmpty() ? CompletableFuture.completedFuture(null) : send(rest);
            }
        }
        for (Pending pending : batch) {
            pending.answer().completeExceptionally(error);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        closed = true;
        sender.interrupt();
        try {
            sender.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (carried != null) {
            carried.answer().completeExceptionally(new JangoException("UNAVAILABLE", "the client was closed before sending this command", null));
        }
        for (Pending pending = queue.poll(); pending != null; pending = queue.poll()) {
            pending.answer().completeExceptionally(new JangoException("UNAVAILABLE", "the client was closed before sending this command", null));
        }
    }
}
