package jango.server;

import jango.api.v1.Balance;
import jango.api.v1.CommandResult;
import jango.api.v1.Hold;
import jango.api.v1.HistoryEntry;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.port.HistoryPage;

import java.util.List;

/** Engine answers as jango.v1 messages: amounts as the same canonical decimal strings as the JSON API. */
final class ProtoAnswers {
    private final Render render;

    ProtoAnswers(Render render) {
        this.render = render;
    }

    CommandResult result(Result result, boolean replayed) {
        CommandResult.Builder answer = CommandResult.newBuilder()
                .setId(result.id())
                .setStatus(result.applied() ? CommandResult.Status.APPLIED : CommandResult.Status.REJECTED)
                .setSeq(result.seq())
                .setAtMicros(result.atMicros())
                .setReplayed(replayed);
        if (result.applied()) {
            for (BalanceView balance : result.balances()) {
                answer.addBalances(balance(balance));
            }
        } else {
            answer.setReason(result.reason().name()).setMessage(result.message());
        }
        return answer.build();
    }

    Balance balance(BalanceView balance) {
        return Balance.newBuilder()
                .setAccount(balance.account())
                .setAsset(balance.asset())
                .setAvailable(render.amount(balance.available(), balance.asset()))
                .setHeld(render.amount(balance.held(), balance.asset()))
                .setRevision(balance.revision())
                .build();
    }

    jango.api.v1.Balances balances(String account, List<BalanceView> balances) {
        jango.api.v1.Balances.Builder answer = jango.api.v1.Balances.newBuilder().setAccount(account);
        balances.forEach(balance -> answer.addBalances(balance(balance)));
        return answer.build();
    }

    jango.api.v1.HistoryPage history(HistoryPage page) {
        jango.api.v1.HistoryPage.Builder answer = jango.api.v1.HistoryPage.newBuilder();
        for (jango.engine.port.HistoryEntry entry : page.entries()) {
            answer.addEntries(HistoryEntry.newBuilder()
                    .setSeq(entry.seq())
                    .setAtMicros(entry.atMicros())
                    .setCommandId(entry.commandId() == null ? "" : entry.commandId())
                    .setType(entry.type())
                    .setAsset(entry.asset())
                    .setAvailable(render.amount(entry.available(), entry.asset()))
                    .setHeld(render.amount(entry.held(), entry.asset()))
                    .setAvailableDelta(render.amount(entry.availableDelta(), entry.asset()))
                    .setHeldDelta(render.amount(entry.heldDelta(), entry.asset()))
                    .setRevision(entry.revision()));
        }
        if (page.next() != null) {
            answer.setNext(page.next());
        }
        return answer.build();
    }

    Hold hold(HoldView hold) {
        Hold.Builder answer = Hold.newBuilder()
                .setHold(hold.holdId())
                .setAccount(hold.account())
                .setAsset(hold.asset())
                .setAmount(render.amount(hold.amount(), hold.asset()))
                .setRemaining(render.amount(hold.remaining(), hold.asset()))
                .setState(Hold.State.valueOf(hold.state().name()));
        if (hold.expiresAtMicros() != Command.NO_EXPIRY) {
            answer.setExpiresAtMicros(hold.expiresAtMicros());
        }
        return answer.build();
    }
}
