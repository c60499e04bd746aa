package jango.bank;

import jango.bank.store.GatewayStore;
import jango.bank.telegram.Telegram;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Int128;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.port.Ledger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Money in: a bank's deposit notice credits the owner of the virtual account it names, exactly
 * once by the bank's transaction number (the ledger command id is {@code dep.<bank>.<txNo>}), and
 * is acknowledged only once the credit and the gateway's record are durable, so the bank resends
 * until then. A virtual account nobody owns sends the money to {@code @suspense}, where an
 * operator sees it and resolves it to a user. Steps of one virtual account run on one lane.
 */
public final class DepositFlow {
    private static final Logger log = LoggerFactory.getLogger(DepositFlow.class);
    public static final String SUSPENSE = "@suspense";
    /** Notices being credited at once; past it a notice is left for the bank's resend. */
    private static final int MAX_NOTICES_IN_FLIGHT = 10_000;

    private final GatewayConfig config;
    private final Ledger ledger;
    private final GatewayStore store;
    private final Lanes lanes;
    private final Map<String, BankChannel> channels;
    private final BankMetrics metrics;
    private final Semaphore inFlight = new Semaphore(MAX_NOTICES_IN_FLIGHT);

    DepositFlow(GatewayParts parts) {
        this.config = parts.config();
        this.ledger = parts.ledger();
        this.store = parts.store();
        this.lanes = parts.lanes();
        this.channels = parts.channels();
        this.metrics = parts.metrics();
    }

    /** A notice from {@code bank}'s line (its reader thread: hand on, never block). */
    void notice(String bank, Telegram notice) {
        if (!inFlight.tryAcquire()) {
            metrics.deposit(bank, "deferred");
            return;
        }
        try {
            lanes.run(notice.text("virtualAccount"), () -> {
                try {
                    credit(bank, notice);
                } catch (RuntimeException e) {
                    inFlight.release();
                    log.error("event=deposit_failed bank={} tx_no={}", bank, notice.txNo(), e);
                }
            });
        } catch (RuntimeException e) {
            inFlight.release();
            metrics.deposit(bank, "deferred");
        }
    }

    private void credit(String bank, Telegram notice) {
        Deposit known = store.deposit(bank, notice.txNo());
        if (known != null) {
            acknowledge(bank, notice, "duplicate");
            inFlight.release();
            return;
        }
        String virtualAccount = notice.text("virtualAccount");
        String owner = store.virtualAccountOwner(virtualAccount);
        Deposit deposit = new Deposit(bank, notice.txNo(), virtualAccount, notice.number("amount"), notice.text("depositorName"),
                owner, owner == null ? Deposit.Status.SUSPENSE : Deposit.Status.CREDITED, null, notice.number("businessDate"),
                notice.number("processedAt"), config.clock().millis());
        Decimal amount = new Decimal(Int128.of(deposit.amountMinor()), config.assetScale());
        Command command = owner != null
                ? new Command.Deposit(deposit.commandId(), owner, config.asset(), amount)
                : new Command.Transfer(deposit.commandId(), List.of(new Leg(Names.EXTERNAL, SUSPENSE, config.asset(), amount, null)));
        ledger.submit(List.of(command)).whenComplete((outcomes, error) -> lanes.run(virtualAccount, () -> {
            try {
                if (error != null) {
                    metrics.deposit(bank, "ledger_unavailable"); // no acknowledgement: the bank sends it again
                    return;
                }
                Outcome outcome = outcomes.get(0);
                if (outcome.kind() == Outcome.Kind.ID_CONFLICT || !outcome.result().applied()) {
                    log.error("event=deposit_refused bank={} tx_no={} command={} outcome={} reason={}", bank, deposit.txNo(),
                            deposit.commandId(), outcome.kind(), outcome.result() == null ? null : outcome.result().reason());
                    metrics.deposit(bank, "refused");
                    return;
                }
                store.put(deposit, true);
                acknowledge(bank, notice, deposit.status() == Deposit.Status.SUSPENSE ? "suspense" : "credited");
            } finally {
                inFlight.release();
            }
        }));
    }

    private void acknowledge(String bank, Telegram notice, String outcome) {
        channels.get(bank).link().send(Telegrams.depositAck(notice, config.clock().millis()));
        metrics.deposit(bank, outcome);
    }

    /** What resolving a suspense deposit came to. */
    public sealed interface Resolution {
        record Resolved(Deposit deposit) implements Resolution {
        }

        record NotFound() implements Resolution {
        }

        /** Already resolved to another account, or the ledger refused; {@code message} says which. */
        record Refused(String message) implements Resolution {
        }
    }

    /** Moves a suspense deposit to {@code account} (by command {@code sus.<bank>.<txNo>}); the same call again is a no-op. */
    CompletableFuture<Resolution> resolve(String bank, long txNo, String account) {
        Deposit first = store.deposit(bank, txNo);
        if (first == null) {
            return CompletableFuture.completedFuture(new Resolution.NotFound());
        }
        return lanes.call(first.virtualAccount(), () -> {
            Deposit deposit = store.deposit(bank, txNo);
            if (deposit.status() == Deposit.Status.RESOLVED) {
                return CompletableFuture.completedFuture(account.equals(deposit.resolvedTo()) ? new Resolution.Resolved(deposit)
                        : new Resolution.Refused("deposit " + deposit.id() + " was already resolved to " + deposit.resolvedTo()));
            }
            if (deposit.status() != Deposit.Status.SUSPENSE) {
                return CompletableFuture.completedFuture(new Resolution.Refused("deposit " + deposit.id() + " is not in suspense: it was "
                        + "credited to the owner of virtual account " + deposit.virtualAccount()));
            }
            Command move = new Command.Transfer(deposit.resolveCommandId(), List.of(new Leg(SUSPENSE, account, config.asset(),
                    new Decimal(Int128.of(deposit.amountMinor()), config.assetScale()), null)));
            // Back on the lane for the fsync: the ledger completes its futures on its own writer thread.
            return ledger.submit(List.of(move)).thenApplyAsync(outcomes -> {
                Outcome outcome = outcomes.get(0);
                if (outcome.kind() == Outcome.Kind.ID_CONFLICT) {
                    return new Resolution.Refused("ledger command " + deposit.resolveCommandId() + " was already used with another account");
                }
                if (!outcome.result().applied()) {
                    return new Resolution.Refused("the ledger refused: " + outcome.result().reason() + " " + outcome.result().message());
                }
                Deposit resolved = deposit.resolved(account);
                store.put(resolved, true);
                metrics.deposit(bank, "resolved");
                return new Resolution.Resolved(resolved);
            }, step -> lanes.run(deposit.virtualAccount(), step));
        });
    }
}
