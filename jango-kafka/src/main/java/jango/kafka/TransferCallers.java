package jango.kafka;

import jango.engine.Outcome;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who waits for the answer of a transfer between shards this shard coordinates: the caller that
 * sent it, and callers whose retries joined it while it was in flight. The answer comes from a later
 * entry (the last Done, or the coordinator giving up), so the callers are kept until then.
 *
 * <p>Kept in memory: after this instance loses the shard, its callers get 503 after their answer
 * timeout and retry with the same id, which the new owner answers (joined, or from the result).
 * Only what committed batches did counts: a batch that failed to commit is applied again after the
 * reload, so its waits and answers are held apart until {@link #committed()}.
 */
final class TransferCallers {
    /** Callers per transfer (the first and its retries); past that a retry gets 503 at once. */
    static final int MAX_CALLERS = 16;

    record Caller(String replyTo, long correlation, boolean joined) {
    }

    /** An answer for one caller. */
    record Answer(String replyTo, long correlation, Outcome outcome) {
    }

    private final Map<String, List<Caller>> waiting = new HashMap<>();
    private final Map<String, List<Caller>> waitingInBatch = new LinkedHashMap<>();
    private final Set<String> finishedInBatch = new HashSet<>();

    /** A caller waits for {@code transferId}; returns null, or the answer now when too many wait already. */
    Outcome wait(String transferId, String replyTo, long correlation, boolean joined) {
        List<Caller> committed = waiting.getOrDefault(transferId, List.of());
        List<Caller> batch = waitingInBatch.computeIfAbsent(transferId, k -> new ArrayList<>());
        Caller caller = new Caller(replyTo, correlation, joined);
        if (committed.contains(caller) || batch.contains(caller)) {
            return null;
        }
        if (committed.size() + batch.size() >= MAX_CALLERS) {
            return new Outcome(Outcome.Kind.UNAVAILABLE, null, MAX_CALLERS + " callers wait for transfer " + transferId
                    + " already; it is in flight between shards: retry with the same id", -1);
        }
        batch.add(caller);
        return null;
    }

    /** The transfer ended: an answer for each caller (a joined caller's result is a replay, as embedded mode answers a retry). */
    List<Answer> finished(String transferId, Outcome outcome) {
        List<Answer> answers = new ArrayList<>();
        List<Caller> all = new ArrayList<>(waiting.getOrDefault(transferId, List.of()));
        all.addAll(waitingInBatch.getOrDefault(transferId, List.of()));
        for (Caller caller : all) {
            Outcome answer = caller.joined() && outcome.kind() == Outcome.Kind.NEW
                    ? new Outcome(Outcome.Kind.REPLAYED, outcome.result(), outcome.message(), outcome.assetScale()) : outcome;
            answers.add(new Answer(caller.replyTo(), caller.correlation(), answer));
        }
        finishedInBatch.add(transferId);
        return answers;
    }

    /** The batch committed: its waits count, and the callers it answered are gone. */
    void committed() {
        waitingInBatch.forEach((transferId, callers) -> {
            if (!callers.isEmpty()) {
                waiting.computeIfAbsent(transferId, k -> new ArrayList<>()).addAll(callers);
            }
        });
        finishedInBatch.forEach(waiting::remove);
        waitingInBatch.clear();
        finishedInBatch.clear();
    }

    /** The batch did not commit: it will be applied again. */
    void uncommitted() {
        waitingInBatch.clear();
        finishedInBatch.clear();
    }

    int transfersWaitedFor() {
        return waiting.size();
    }
}
