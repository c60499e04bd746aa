package jango.embedded;

import jango.embedded.journal.Journal;
import jango.engine.Applied;
import jango.engine.ByteWriter;
import jango.engine.Command;
import jango.engine.Outcome;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.LedgerUnavailableException.Code;
import jango.writer.CommandLog;
import jango.writer.LogBatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Embedded mode's log: the sequencer and the journal. {@link #next} drains whatever submissions
 * wait into one batch (bounded by {@code maxBatchCommands}, so one API batch always fits one
 * record), stamps it with one time ({@code max(clock, last time)}, epoch microseconds), puts a tick
 * first when holds are due, and appends it to the journal as one CRC-checked record with one fsync
 * (group commit). Only then does the writer apply it. A failed append keeps the batch: the next
 * call appends the same record again (the journal truncates back to its last good end first).
 *
 * <p>Admission is bounded: past {@code maxPendingCommands} admitted but not yet written, callers
 * get 503 UNAVAILABLE. Tasks queued with {@link #runOnWriter} run on the writer thread between
 * batches, after every submission queued before them.
 */
final class JournalLog implements CommandLog {
    private static final int HALTED_RETRY_AFTER_S = 5;

    private sealed interface Work permits Submission, Task {
    }

    private record Submission(List<Command> commands, CompletableFuture<List<Outcome>> future) implements Work {
    }

    private record Task(Runnable action) implements Work {
    }

    private final Journal journal;
    private final EmbeddedConfig config;
    private final LongSupplier clockMicros;
    private final BlockingQueue<Work> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger pendingCommands = new AtomicInteger();

    // Writer-thread state: the batch being written, kept until it is answered (or appended again).
    private final ArrayList<Submission> submissions = new ArrayList<>();
    private final ArrayList<Command> entries = new ArrayList<>();
    private final ByteWriter payload = new ByteWriter(1 << 20);
    private final int[] entryEnds;
    private Outcome[] outcomes = new Outcome[1024];
    private boolean built;
    private long batchAtMicros;
    private long lastAtMicros;
    private boolean tickDue;

    private volatile String haltReason;
    private volatile boolean closing;
    private volatile boolean appending;

    JournalLog(Journal journal, EmbeddedConfig config, long lastAtMicros) {
        this.journal = journal;
        this.config = config;
        this.clockMicros = config.clockMicros();
        this.lastAtMicros = lastAtMicros;
        this.entryEnds = new int[config.maxBatchCommands() + 1];
    }

    // ---- callers' side (any thread) -------------------------------------------------------------

    CompletableFuture<List<Outcome>> submit(List<Command> commands) {
        String halted = haltReason;
        if (halted != null) {
            return CompletableFuture.failedFuture(haltedError(halted));
        }
        if (closing) {
            return CompletableFuture.failedFuture(new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1));
        }
        int size = commands.size();
        if (pendingCommands.addAndGet(size) > config.maxPendingCommands()) {
            pendingCommands.addAndGet(-size);
            return CompletableFuture.failedFuture(new LedgerUnavailableException(Code.UNAVAILABLE,
                    "more than " + config.maxPendingCommands() + " commands are waiting to be written", 1));
        }
        CompletableFuture<List<Outcome>> future = new CompletableFuture<>();
        queue.add(new Submission(List.copyOf(commands), future));
        return future;
    }

    /** Runs {@code action} on the writer thread after every submission queued before it (or at once when stopped). */
    void runOnWriter(Runnable action) {
        queue.add(new Task(action));
    }

    String haltReason() {
        return haltReason;
    }

    /** No more submissions; what is queued is still written. */
    void close() {
        closing = true;
    }

    boolean drained() {
        return queue.isEmpty() && !built;
    }

    // ---- the writer's side ----------------------------------------------------------------------

    @Override
    public void next(LogBatch batch, long timeoutMs) throws IOException, InterruptedException {
        batch.clear();
        if (!built && !build(timeoutMs)) {
            return;
        }
        long firstSeq = journal.nextSeq();
        long started = System.nanoTime();
        appending = true;
        try {
            journal.append(firstSeq, entries.size(), payload.array(), 0, payload.size());
        } catch (IOException e) {
            throw new IOException("journal write failed at seq " + firstSeq + ": " + e.getMessage(), e);
        } finally {
            appending = false;
        }
        batch.appended(System.nanoTime() - started, payload.size());
        int start = BatchCodec.FIRST_COMMAND_OFFSET;
        for (int i = 0; i < entries.size(); i++) {
            batch.add(entries.get(i), batchAtMicros, payload.array(), start, entryEnds[i] - start);
            start = entryEnds[i];
        }
        batch.firstSeq(firstSeq);
        batch.endPosition(firstSeq + entries.size() - 1);
    }

    /** Takes the waiting submissions (and a due tick) into the batch to write; false when nothing came in time. */
    private boolean build(long timeoutMs) throws InterruptedException {
        Work first = tickDue ? queue.poll() : queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        while (first instanceof Task task) {
            task.action().run();
            first = queue.poll();
        }
        if (first == null && !tickDue) {
            return false;
        }
        entries.clear();
        submissions.clear();
        batchAtMicros = Math.max(clockMicros.getAsLong(), lastAtMicros);
        lastAtMicros = batchAtMicros;
        payload.reset();
        BatchCodec.begin(batchAtMicros, payload);
        if (tickDue) {
            encode(List.of(new Command.Tick()));
            tickDue = false;
        }
        int commands = 0;
        if (first != null) {
            Submission submission = take((Submission) first); // one request's commands always fit a record
            encode(submission.commands());
            commands += submission.commands().size();
            // Add more while they fit one record, by count and by bytes (a full batch of the largest
            // transfers encodes to about 100 MB, past what a record holds); stop at a task, which
            // runs after this batch. A submission that does not fit stays first in the queue.
            while (queue.peek() instanceof Submission next && commands + next.commands().size() <= config.maxBatchCommands()) {
                int mark = payload.size();
                encode(next.commands());
                if (payload.size() > Journal.MAX_PAYLOAD_BYTES || !queue.remove(next)) {
                    payload.truncate(mark);
                    entries.subList(entries.size() - next.commands().size(), entries.size()).clear();
                    break;
                }
                take(next);
                commands += next.commands().size();
            }
        }
        BatchCodec.finish(payload, entries.size());
        if (outcomes.length < entries.size()) {
            outcomes = new Outcome[Math.max(entries.size(), outcomes.length * 2)];
        }
        built = true;
        return true;
    }

    private Submission take(Submission submission) {
        pendingCommands.addAndGet(-submission.commands().size());
        submissions.add(submission);
        return submission;
    }

    /** Appends commands to the batch's entries and their encoding to its payload. */
    private void encode(List<Command> commands) {
        for (Command command : commands) {
            BatchCodec.add(command, payload, entryEnds, entries.size());
            entries.add(command);
        }
    }

    @Override
    public void applied(LogBatch batch, int index, Applied applied) {
        if (applied.kind() != Outcome.Kind.TICK) {
            outcomes[index] = applied.outcome();
        }
    }

    @Override
    public void answer(LogBatch batch) {
        int offset = entries.size() - commandCount();
        for (Submission submission : submissions) {
            int size = submission.commands().size();
            submission.future().complete(List.of(Arrays.copyOfRange(outcomes, offset, offset + size)));
            offset += size;
        }
        Arrays.fill(outcomes, 0, entries.size(), null);
        submissions.clear();
        built = false;
    }

    private int commandCount() {
        int count = 0;
        for (Submission submission : submissions) {
            count += submission.commands().size();
        }
        return count;
    }

    @Override
    public void tick(long atMicros) {
        tickDue = true;
    }

    @Override
    public void rewind(long position) {
        throw new UnsupportedOperationException("the journal is the truth in embedded mode; the writer never rewinds it");
    }

    @Override
    public void halted(String reason) {
        haltReason = reason;
        LedgerUnavailableException error = haltedError(reason);
        for (Submission submission : submissions) {
            submission.future().completeExceptionally(error);
        }
        submissions.clear();
        built = false;
        failQueued(error);
    }

    /** Fails every waiting submission (the shard halted or the ledger stopped) and runs waiting tasks. */
    void failQueued(RuntimeException error) {
        Work work;
        while ((work = queue.poll()) != null) {
            if (work instanceof Submission submission) {
                pendingCommands.addAndGet(-submission.commands().size());
                submission.future().completeExceptionally(error);
            } else {
                ((Task) work).action().run();
            }
        }
    }

    @Override
    public boolean hasWaitingWork() {
        return appending || built || !queue.isEmpty();
    }

    static LedgerUnavailableException haltedError(String reason) {
        return new LedgerUnavailableException(Code.SHARD_HALTED, "shard 0 halted: " + reason, HALTED_RETRY_AFTER_S);
    }
}
