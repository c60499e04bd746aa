package jango.server;

import jango.engine.Command;
import jango.engine.Outcome;
import jango.engine.CommandCodec;
import jango.engine.StoredResult;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerUnavailableException;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Commands into the ledger, the same for every protocol (HTTP/JSON and gRPC): the placement check,
 * the stored-result shortcut for retries, and the outcome metrics.
 */
final class CommandSubmitter {
    private final Ledger ledger;
    private final JangoMetrics metrics;

    CommandSubmitter(Ledger ledger, JangoMetrics metrics) {
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** Distributed mode refuses, as malformed, a command its shards cannot apply in one step. */
    void requirePlaceable(Command command, String path) {
        String error = ledger.placementError(command, path);
        if (error != null) {
            throw new Malformed(error);
        }
    }

    /**
     * One command of {@code protocol} ("http" or "grpc"): NEW, REPLAYED or ID_CONFLICT. A retry of a stored id is answered from the store
     * without touching the log, so retries are cheap.
     */
    CompletableFuture<Outcome> one(Command command, String protocol) {
        metrics.request(protocol, 1);
        StoredResult stored;
        try {
            stored = ledger.knownResult(command.id());
        } catch (LedgerUnavailableException e) {
            // The lookup is only a shortcut for retries: the log still answers a replay, so a
            // store that cannot be read (distributed mode, database down) must not refuse the command.
            stored = null;
        }
        if (stored != null) {
            Outcome outcome = stored.answer(command.id(), CommandCodec.encode(command));
            metrics.outcome(outcome);
            return CompletableFuture.completedFuture(outcome);
        }
        return ledger.submit(List.of(command)).thenApply(outcomes -> {
            metrics.outcome(outcomes.get(0));
            return outcomes.get(0);
        });
    }

    /** Commands that each stand alone, answered in order. */
    CompletableFuture<List<Outcome>> batch(List<Command> commands, String protocol) {
        metrics.request(protocol, commands.size());
        return ledger.submit(commands).thenApply(outcomes -> {
            outcomes.forEach(metrics::outcome);
            return outcomes;
        });
    }

    static String idConflictMessage(String id) {
        return StoredResult.conflictMessage(id);
    }
}
