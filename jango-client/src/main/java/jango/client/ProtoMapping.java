package jango.client;

import jango.api.v1.PlaceHold;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Typed commands and results to and from their jango.v1 messages. Amounts travel as plain decimal strings. */
final class ProtoMapping {
    private ProtoMapping() {
    }

    static jango.api.v1.Command command(Command command) {
        jango.api.v1.Command.Builder proto = jango.api.v1.Command.newBuilder().setId(command.id());
        switch (command) {
            case Command.Deposit d -> proto.setDeposit(jango.api.v1.Deposit.newBuilder()
                    .setAccount(d.account()).setAsset(d.asset()).setAmount(amount(d.amount())));
            case Command.Withdraw w -> proto.setWithdraw(jango.api.v1.Withdraw.newBuilder()
                    .setAccount(w.account()).setAsset(w.asset()).setAmount(amount(w.amount())));
            case Command.Hold h -> {
                PlaceHold.Builder hold = PlaceHold.newBuilder()
                        .setAccount(h.account()).setAsset(h.asset()).setAmount(amount(h.amount())).setHold(h.hold());
                if (h.expiresAt() != null) {
                    hold.setExpiresAtMicros(micros(h.expiresAt()));
                }
                proto.setHold(hold);
            }
            case Command.Release r -> {
                jango.api.v1.Release.Builder release = jango.api.v1.Release.newBuilder().setHold(r.hold());
                if (r.amount() != null) {
                    release.setAmount(amount(r.amount()));
                }
                proto.setRelease(release);
            }
            case Command.Transfer t -> {
                jango.api.v1.Transfer.Builder transfer = jango.api.v1.Transfer.newBuilder();
                for (Command.Leg leg : t.legs()) {
                    jango.api.v1.Leg.Builder l = jango.api.v1.Leg.newBuilder()
                            .setFrom(leg.from()).setTo(leg.to()).setAsset(leg.asset()).setAmount(amount(leg.amount()));
                    if (leg.hold() != null) {
                        l.setHold(leg.hold());
                    }
                    transfer.addLegs(l);
                }
                proto.setTransfer(transfer);
            }
            case Command.Adjust a -> proto.setAdjust(jango.api.v1.Adjust.newBuilder()
                    .setAccount(a.account()).setAsset(a.asset()).setAmount(amount(a.amount())).setReason(a.reason()));
        }
        return proto.build();
    }

    /** The plain decimal text of an amount; the same number always gives the same text (so the same body). */
    static String amount(BigDecimal amount) {
        return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
    }

    static long micros(Instant time) {
        return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L), time.getNano() / 1_000);
    }

    static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    static CommandResult result(jango.api.v1.CommandResult proto) {
        List<Balance> balances = new ArrayList<>(proto.getBalancesCount());
        for (jango.api.v1.Balance balance : proto.getBalancesList()) {
            balances.add(balance(balance));
        }
        boolean applied = proto.getStatus() == jango.api.v1.CommandResult.Status.APPLIED;
        return new CommandResult(proto.getId(), applied ? CommandResult.Status.APPLIED : CommandResult.Status.REJECTED,
                applied ? null : proto.getReason(), applied ? null : proto.getMessage(), proto.getSeq(), instant(proto.getAtMicros()),
                balances, proto.getReplayed());
    }

    static Balance balance(jango.api.v1.Balance proto) {
        return new Balance(proto.getAccount(), proto.getAsset(), new BigDecimal(proto.getAvailable()), new BigDecimal(proto.getHeld()),
                proto.getRevision());
    }

    static HistoryPage history(jango.api.v1.HistoryPage proto) {
        List<HistoryEntry> entries = new ArrayList<>(proto.getEntriesCount());
        for (jango.api.v1.HistoryEntry e : proto.getEntriesList()) {
            entries.add(new HistoryEntry(e.getSeq(), instant(e.getAtMicros()), e.getCommandId().isEmpty() ? null : e.getCommandId(),
                    e.getType(), e.getAsset(), new BigDecimal(e.getAvailable()), new BigDecimal(e.getHeld()),
                    new BigDecimal(e.getAvailableDelta()), new BigDecimal(e.getHeldDelta()), e.getRevision()));
        }
        return new HistoryPage(entries, proto.getNext().isEmpty() ? null : proto.getNext());
    }

    static Hold hold(jango.api.v1.Hold proto) {
        return new Hold(proto.getHold(), proto.getAccount(), proto.getAsset(), new BigDecimal(proto.getAmount()),
                new BigDecimal(proto.getRemaining()), proto.hasExpiresAtMicros() ? instant(proto.getExpiresAtMicros()) : null,
                Hold.State.valueOf(proto.getState().name()));
    }

    static Health health(jango.api.v1.HealthResponse proto) {
        List<Health.Shard> shards = new ArrayList<>();
        for (jango.api.v1.ShardHealth shard : proto.getShardsList()) {
            shards.add(new Health.Shard(shard.getShard(), shard.getUp(), shard.getReason().isEmpty() ? null : shard.getReason(), shard.getSeq()));
        }
        return new Health(proto.getUp(), shards);
    }
}
