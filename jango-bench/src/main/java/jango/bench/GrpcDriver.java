package jango.bench;

import jango.client.CommandResult;
import jango.client.JangoClient;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The bench's commands through the Java client (jango-client) over gRPC. A "batch" is every
 * command submitted at once: the client packs them (with the other bench threads' commands)
 * into batch requests of at most {@code maxBatchCommands}, as it does for any caller.
 */
final class GrpcDriver implements Driver {
    private final JangoClient client;

    GrpcDriver(String endpoint, int maxBatchCommands, int maxInFlight) {
        this.client = JangoClient.builder().endpoints(endpoint).maxBatchCommands(maxBatchCommands).maxInFlightBatches(maxInFlight)
                .maxQueuedCommands(1_000_000).build();
    }

    @Override
    public Answer[] batch(List<Command> commands) {
        List<CompletableFuture<CommandResult>> answers = new ArrayList<>(commands.size());
        for (Command command : commands) {
            answers.add(client.submitAsync(typed(command)));
        }
        Answer[] results = new Answer[commands.size()];
        for (int i = 0; i < results.length; i++) {
            results[i] = answer(answers.get(i).join());
        }
        return results;
    }

    @Override
    public Answer single(Command command) {
        return answer(client.submit(typed(command)));
    }

    JangoClient.Stats stats() {
        return client.stats();
    }

    private static Answer answer(CommandResult result) {
        return new Answer(result.id(), result.applied(), result.seq(), result.balances().size());
    }

    /** The engine command the workload made, as the client's typed command. */
    static jango.client.Command typed(Command command) {
        return switch (command) {
            case Command.Deposit d -> new jango.client.Command.Deposit(d.id(), d.account(), d.asset(), amount(d.amount()));
            case Command.Withdraw w -> new jango.client.Command.Withdraw(w.id(), w.account(), w.asset(), amount(w.amount()));
            case Command.PlaceHold h -> new jango.client.Command.Hold(h.id(), h.account(), h.asset(), amount(h.amount()), h.holdId(),
                    h.expiresAtMicros() == Command.NO_EXPIRY ? null
                            : Instant.ofEpochSecond(h.expiresAtMicros() / 1_000_000, h.expiresAtMicros() % 1_000_000 * 1_000));
            case Command.Release r -> new jango.client.Command.Release(r.id(), r.holdId(), r.amount() == null ? null : amount(r.amount()));
            case Command.Transfer t -> {
                List<jango.client.Command.Leg> legs = new ArrayList<>(t.legs().size());
                for (Leg leg : t.legs()) {
                    legs.add(new jango.client.Command.Leg(leg.from(), leg.to(), leg.asset(), amount(leg.amount()), leg.holdId()));
                }
                yield new jango.client.Command.Transfer(t.id(), legs);
            }
            case Command.Adjust a -> new jango.client.Command.Adjust(a.id(), a.account(), a.asset(), amount(a.amount()), a.reason());
            case Command.RegisterAsset r -> throw new IllegalArgumentException("assets are registered over HTTP in the set-up");
            case Command.Tick t -> throw new IllegalArgumentException("ticks are the sequencer's");
            case Command.Protocol p -> throw new IllegalArgumentException("protocol records between shards are the engines'");
        };
    }

    private static BigDecimal amount(Decimal amount) {
        return new BigDecimal(new BigInteger(amount.unscaled().toDecimalString(0)), amount.fractionDigits());
    }

    @Override
    public void close() {
        client.close();
    }
}
