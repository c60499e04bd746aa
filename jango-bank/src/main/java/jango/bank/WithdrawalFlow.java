package jango.bank;

import jango.bank.link.LinkException;
import jango.bank.store.GatewayStore;
import jango.bank.telegram.AnswerCode;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A withdrawal's life after it is recorded: hold, wait (window, flow control), send, answer or
 * inquiry, take or release. Each step reads the recorded state, does one thing and records the
 * next state; {@link #resume} drives any recorded state forward, which is all recovery after a
 * crash needs. A withdrawal has one owner at a time: a step on its user's lane, its bank's queue
 * and dispatcher, a timer, or the line. Every ledger step has a deterministic command id, so doing
 * it again after a crash gives the stored result, never a second effect.
 */
final class WithdrawalFlow implements BankChannel.Sending {
    private static final Logger log = LoggerFactory.getLogger(WithdrawalFlow.class);

    private final GatewayConfig config;
    private final Ledger ledger;
    private final GatewayStore store;
    private final Lanes lanes;
    private final Map<String, BankChannel> channels;
    private final BankMetrics metrics;
    /** The latest record of every open withdrawal. */
    final Map<String, Withdrawal> open = new ConcurrentHashMap<>();
    /** Accepted in this process: when, and the bank's round trip of its last send (for the added-latency metric). */
    private final Map<String, long[]> timings = new ConcurrentHashMap<>();

    WithdrawalFlow(GatewayParts parts) {
        this.config = parts.config();
        this.ledger = parts.ledger();
        this.store = parts.store();
        this.lanes = parts.lanes();
        this.channels = parts.channels();
        this.metrics = parts.metrics();
    }

    private long now() {
        return config.clock().millis();
    }

    private BankChannel channel(Withdrawal withdrawal) {
        return channels.get(withdrawal.bank());
    }

    /** Records {@code next} (and its indexes), keeps the open map and the bank's queue count in step. */
    Withdrawal record(Withdrawal previous, Withdrawal next, boolean sync) {
        store.put(previous, next, sync);
        if (next.status().ended()) {
            if (open.remove(next.id()) != null) {
                channel(next).release();
            }
            long[] timing = timings.remove(next.id());
            if (timing != null && next.status() == WithdrawalStatus.COMPLETED) {
                metrics.addedLatency(next.bank(), Math.max(0, System.nanoTime() - timing[0] - timing[1]));
            }
        } else {
            open.put(next.id(), next);
        }
        if (previous == null || previous.status() != next.status()) {
            metrics.status(next.bank(), next.status());
        }
        return next;
    }

    void accepted(Withdrawal withdrawal) {
        timings.put(withdrawal.id(), new long[] {System.nanoTime(), 0});
    }

    // ---- hold -------------------------------------------------------------------------------

    /** Places the hold; completes (on the lane) with the state it led to: DELAYED, QUEUED, REJECTED, or REQUESTED when the ledger was unavailable. */
    CompletableFuture<Withdrawal> hold(Withdrawal withdrawal) {
        Command hold = new Command.PlaceHold(withdrawal.holdCommandId(), withdrawal.account(), withdrawal.asset(),
                amount(withdrawal), withdrawal.holdId(), Command.NO_EXPIRY);
        CompletableFuture<Withdrawal> after = new CompletableFuture<>();
        ledger.submit(List.of(hold)).whenComplete((outcomes, error) -> lanes.run(withdrawal.account(), () -> {
            try {
                after.complete(afterHold(withdrawal.id(), outcomes, error));
            } catch (RuntimeException e) {
                after.completeExceptionally(e);
            }
        }));
        return after;
    }

    private Withdrawal afterHold(String id, List<Outcome> outcomes, Throwable error) {
        Withdrawal current = open.get(id);
        if (current == null || current.status() != WithdrawalStatus.REQUESTED) {
            return current == null ? store.withdrawal(id) : current;
        }
        if (error != null) {
            log.warn("event=hold_deferred withdrawal={} reason=\"{}\"", id, cause(error).getMessage());
            retryLater(current, () -> hold(current));
            return current;
        }
        Outcome outcome = outcomes.get(0);
        if (outcome.kind() == Outcome.Kind.ID_CONFLICT) {
            return record(current, current.to(WithdrawalStatus.REJECTED, now()).because("ID_CONFLICT",
                    "ledger command id " + current.holdCommandId() + " was already used with another body"), false);
        }
        if (!outcome.result().applied()) {
            return record(current, current.to(WithdrawalStatus.REJECTED, now()).because(outcome.result().reason().name(),
                    outcome.result().message()), false);
        }
        return waitForBank(current);
    }

    /** Held: into the bank's queue, or DELAYED until its maintenance window ends. */
    private Withdrawal waitForBank(Withdrawal current) {
        BankChannel channel = channel(current);
        Long windowEnd = channel.windowEnd();
        if (windowEnd != null) {
            Withdrawal delayed = record(current, current.to(WithdrawalStatus.DELAYED, now()).notBefore(windowEnd), false);
            channel.readyAt(windowEnd, current.id());
            return delayed;
        }
        Withdrawal queued = record(current, current.to(WithdrawalStatus.QUEUED, now()), false);
        channel.ready(current.id());
        return queued;
    }

    // ---- the dispatcher's side ----------------------------------------------------------------

    @Override
    public Withdrawal waiting(String id) {
        Withdrawal current = open.get(id);
        if (current == null) {
            return null;
        }
        boolean sendable = current.status() == WithdrawalStatus.DELAYED || current.status() == WithdrawalStatus.QUEUED
                || current.status() == WithdrawalStatus.UNKNOWN;
        if (sendable && current.notBeforeMillis() > now()) {
            channel(current).readyAt(current.notBeforeMillis(), id); // made ready early (a stale timer entry): not yet
            return null;
        }
        return sendable ? current : null;
    }

    @Override
    public void windowed(Withdrawal current, long endMillis) {
        WithdrawalStatus status = current.status() == WithdrawalStatus.UNKNOWN ? WithdrawalStatus.UNKNOWN : WithdrawalStatus.DELAYED;
        record(current, current.to(status, now()).because(current.reason(), current.message()).notBefore(endMillis), false);
        channel(current).readyAt(endMillis, current.id());
    }

    /**
     * Transfers: SENT (with the attempt count) is fsynced for the whole batch before any telegram
     * leaves, so after a crash each of them is asked about, never sent blind. Inquiries need no
     * record first: they move no money.
     */
    @Override
    public void send(List<Withdrawal> batch) {
        BankChannel channel = channels.get(batch.get(0).bank());
        List<Withdrawal[]> transitions = new ArrayList<>();
        for (Withdrawal current : batch) {
            WithdrawalStatus next = current.status() == WithdrawalStatus.UNKNOWN ? WithdrawalStatus.UNKNOWN : WithdrawalStatus.SENT;
            Withdrawal sent = current.to(next, now()).because(next == WithdrawalStatus.UNKNOWN ? current.reason() : null,
                    next == WithdrawalStatus.UNKNOWN ? current.message() : null).attempted();
            transitions.add(new Withdrawal[] {current, sent});
        }
        try {
            store.putAll(transitions, true);
        } catch (RuntimeException e) {
            for (Withdrawal current : batch) {
                channel.abandon();
                channel.readyAt(now() + config.retryMax().toMillis(), current.id());
            }
            throw e;
        }
        for (Withdrawal[] transition : transitions) {
            Withdrawal sent = transition[1];
            open.put(sent.id(), sent);
            if (transition[0].status() != sent.status()) {
                metrics.status(sent.bank(), sent.status());
            }
            long sentAt = System.nanoTime();
            boolean inquiry = sent.status() == WithdrawalStatus.UNKNOWN;
            Telegram telegram = inquiry ? Telegrams.inquiry(sent, now()) : Telegrams.transfer(sent, channel.config().companyAccount(), now());
            channel.call(telegram).whenComplete((answer, error) -> {
                long[] timing = timings.get(sent.id());
                if (timing != null) {
                    timing[1] = System.nanoTime() - sentAt;
                }
                lanes.run(sent.account(), () -> guarded(sent, () -> {
                    if (inquiry) {
                        afterInquiry(sent, answer, error);
                    } else {
                        afterTransfer(sent, answer, error);
                    }
                }));
            });
        }
    }

    // ---- answers ----------------------------------------------------------------------------

    private void afterTransfer(Withdrawal sent, Telegram answer, Throwable error) {
        Withdrawal current = open.get(sent.id());
        if (current == null || current.status() != WithdrawalStatus.SENT || current.attempts() != sent.attempts()) {
            return; // settled meanwhile (a late or duplicate answer)
        }
        if (error != null) {
            Throwable cause = cause(error);
            if (cause instanceof LinkException link && !link.maybeSent()) {
                metrics.answer(current.bank(), "not_sent");
                requeue(current, now(), "NOT_SENT", cause.getMessage());
            } else {
                metrics.answer(current.bank(), "no_answer");
                unknown(current, "NO_ANSWER", "no answer from the bank: " + cause.getMessage());
            }
            return;
        }
        decide(current, answer.code(), answer.number("businessDate"), answer.number("processedAt"));
    }

    private void afterInquiry(Withdrawal asked, Telegram answer, Throwable error) {
        Withdrawal current = open.get(asked.id());
        if (current == null || current.status() != WithdrawalStatus.UNKNOWN || current.attempts() != asked.attempts()) {
            return;
        }
        if (error != null) {
            metrics.answer(current.bank(), "no_answer");
            unknown(current, "NO_ANSWER", "no answer to the result inquiry: " + cause(error).getMessage());
            return;
        }
        if (!answer.code().equals(AnswerCode.OK.code())) {
            // The bank could not look (maintenance, busy...): that says nothing about the transfer. Ask again later.
            AnswerCode known = AnswerCode.byCode(answer.code());
            metrics.answer(current.bank(), "inquiry_not_answered");
            unknownAt(current, known == null ? "UNKNOWN_CODE" : known.name(), "the result inquiry was answered " + answer.code(),
                    Math.max(now() + backoff(current), windowEndOr(current, 0)));
            return;
        }
        decide(current, answer.text("originalCode"), answer.number("originalDate"), answer.number("processedAt"));
    }

    /** The bank's word on the transfer ({@code code}), from its answer or from an inquiry's. */
    private void decide(Withdrawal current, String code, long businessDate, long processedAt) {
        AnswerCode known = AnswerCode.byCode(code);
        AnswerCode.Meaning meaning = AnswerCode.meaningOf(code);
        metrics.answer(current.bank(), meaning.name().toLowerCase(java.util.Locale.ROOT));
        switch (meaning) {
            case DONE -> take(record(current, current.to(WithdrawalStatus.CONFIRMED, now()).because(null, null)
                    .decidedOn(businessDate, processedAt), false));
            case FAILED -> release(record(current, current.to(WithdrawalStatus.REFUSED, now())
                    .because(known.name(), known.description() + " (bank code " + code + ")").decidedOn(businessDate, processedAt), false));
            case NOT_DONE -> {
                if (known == AnswerCode.MAINTENANCE) {
                    // Not processed; the window may be one the calendar does not know, so also back off.
                    delay(current, Math.max(now() + backoff(current), windowEndOr(current, 0)), known);
                } else {
                    // BUSY (not processed) or NOT_FOUND (never received): the same number may go again.
                    requeue(current, now() + (known == AnswerCode.BUSY ? backoff(current) : 0), known.name(), known.description());
                }
            }
            case UNKNOWN -> unknown(current, known == null ? "UNKNOWN_CODE" : known.name(),
                    known == null ? "the bank answered code " + code : known.description());
        }
    }

    private long windowEndOr(Withdrawal current, long otherwise) {
        Long end = channel(current).windowEnd();
        return end == null ? otherwise : end;
    }

    private void delay(Withdrawal current, long retryAt, AnswerCode code) {
        record(current, current.to(WithdrawalStatus.DELAYED, now()).because(code.name(), code.description()).notBefore(retryAt), false);
        channel(current).readyAt(retryAt, current.id());
    }

    private void requeue(Withdrawal current, long atMillis, String reason, String message) {
        record(current, current.to(WithdrawalStatus.QUEUED, now()).because(reason, message).notBefore(atMillis), false);
        channel(current).readyAt(atMillis, current.id());
    }

    private void unknown(Withdrawal current, String reason, String message) {
        unknownAt(current, reason, message, now() + backoff(current));
    }

    private void unknownAt(Withdrawal current, String reason, String message, long inquireAt) {
        record(current, current.to(WithdrawalStatus.UNKNOWN, now()).because(reason, message).notBefore(inquireAt), false);
        channel(current).readyAt(inquireAt, current.id());
    }

    /** Doubling with each attempt, from retry-min to retry-max. */
    private long backoff(Withdrawal current) {
        long min = config.retryMin().toMillis();
        int doublings = Math.min(20, Math.max(0, current.attempts() - 1));
        return Math.min(config.retryMax().toMillis(), min << doublings);
    }

    // ---- take and release -------------------------------------------------------------------

    private void take(Withdrawal confirmed) {
        Command take = new Command.Transfer(confirmed.takeCommandId(),
                List.of(new Leg(confirmed.account(), Names.EXTERNAL, confirmed.asset(), amount(confirmed), confirmed.holdId())));
        settle(confirmed, take, WithdrawalStatus.CONFIRMED, WithdrawalStatus.COMPLETED, () -> take(confirmed));
    }

    private void release(Withdrawal refused) {
        Command release = new Command.Release(refused.releaseCommandId(), refused.holdId(), null);
        settle(refused, release, WithdrawalStatus.REFUSED, WithdrawalStatus.FAILED, () -> release(refused));
    }

    /** Applies the ledger step that ends a withdrawal; the ledger being unavailable is retried, a refusal is left for an operator. */
    private void settle(Withdrawal decided, Command command, WithdrawalStatus from, WithdrawalStatus to, Runnable again) {
        ledger.submit(List.of(command)).whenComplete((outcomes, error) -> lanes.run(decided.account(), () -> guarded(decided, () -> {
            Withdrawal current = open.get(decided.id());
            if (current == null || current.status() != from) {
                return;
            }
            if (error != null) {
                log.warn("event=settle_deferred withdrawal={} command={} reason=\"{}\"", current.id(), command.id(), cause(error).getMessage());
                retryLater(current, again);
                return;
            }
            Outcome outcome = outcomes.get(0);
            if (outcome.kind() != Outcome.Kind.ID_CONFLICT && outcome.result().applied()) {
                record(current, current.to(to, now()), false);
                return;
            }
            String reason = outcome.kind() == Outcome.Kind.ID_CONFLICT ? "ID_CONFLICT" : outcome.result().reason().name();
            // Never expected: the hold is ours alone. It stays open, visible, for an operator; reconcile lists it.
            log.error("event=settle_refused withdrawal={} command={} reason={} message=\"{}\"", current.id(), command.id(), reason,
                    outcome.message() != null ? outcome.message() : outcome.result().message());
            record(current, current.to(from, now()).because("LEDGER_" + reason, "the ledger refused " + command.id()), false);
        })));
    }

    private void retryLater(Withdrawal current, Runnable step) {
        channel(current).timer().schedule(now() + config.retryMax().toMillis(), () -> lanes.run(current.account(), step));
    }

    // ---- recovery ---------------------------------------------------------------------------

    /** Drives a recorded withdrawal forward from its state (at start-up, or after a step failed). */
    void resume(Withdrawal current) {
        BankChannel channel = channel(current);
        switch (current.status()) {
            case REQUESTED -> hold(current);
            case DELAYED, QUEUED, UNKNOWN -> channel.readyAt(current.notBeforeMillis(), current.id());
            case SENT -> unknownAt(current, "RECOVERED", "the gateway restarted while the telegram was out: asking the bank", now());
            case CONFIRMED -> take(current);
            case REFUSED -> release(current);
            default -> {
            }
        }
    }

    /** Runs a step; if it throws (the store failed), the withdrawal is driven on again from its recorded state later. */
    private void guarded(Withdrawal withdrawal, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log.error("event=withdrawal_step_failed withdrawal={}", withdrawal.id(), e);
            channel(withdrawal).timer().schedule(now() + config.retryMax().toMillis(), () -> lanes.run(withdrawal.account(), () -> {
                Withdrawal current = open.get(withdrawal.id());
                if (current != null) {
                    guarded(current, () -> resume(current));
                }
            }));
        }
    }

    Decimal amount(Withdrawal withdrawal) {
        return new Decimal(Int128.of(withdrawal.amountMinor()), config.assetScale());
    }

    static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
