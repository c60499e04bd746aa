package jango.kafka;

import jango.engine.Command;
import jango.engine.Leg;
import jango.engine.Names;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Account -> shard: the owner id is the Kafka key and the shard is the partition Kafka's default
 * partitioner would pick for it (murmur2 of the key bytes), so tools that produce by key agree.
 * System owners ({@code @external}, {@code @fees}, {@code @clearing}...) have an account on every
 * shard: a command that names one uses the copy on its own shard.
 */
public final class Shards {
    private final int count;

    public Shards(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("shard count: " + count + " (expected: 1 or more)");
        }
        this.count = count;
    }

    public int count() {
        return count;
    }

    public int of(String owner) {
        return Utils.toPositive(Utils.murmur2(owner.getBytes(StandardCharsets.UTF_8))) % count;
    }

    /**
     * The owner whose shard applies the command (its Kafka key): the account of a deposit,
     * withdrawal, hold or adjustment; for a transfer the first user it debits, else the first
     * user it credits, else its first leg's source. A release is routed by its hold
     * ({@link DistributedLedger} looks the hold up), so it has no owner here.
     */
    public static String keyOwner(Command command) {
        return switch (command) {
            case Command.Deposit d -> d.account();
            case Command.Withdraw w -> w.account();
            case Command.PlaceHold h -> h.account();
            case Command.Adjust a -> a.account();
            case Command.Transfer t -> transferOwner(t);
            default -> null;
        };
    }

    private static String transferOwner(Command.Transfer transfer) {
        for (Leg leg : transfer.legs()) {
            if (!Names.isSystem(leg.from())) {
                return leg.from();
            }
        }
        for (Leg leg : transfer.legs()) {
            if (!Names.isSystem(leg.to())) {
                return leg.to();
            }
        }
        return transfer.legs().get(0).from();
    }

    /**
     * The transfer as {@code shard} applies it: each credit to a user of another shard goes to
     * {@code @clearing} instead (that shard gets the credit as its own command). The same object
     * when every credit is local.
     */
    public Command.Transfer withRemoteCreditsToClearing(Command.Transfer transfer, int shard) {
        java.util.List<Leg> local = null;
        for (int i = 0; i < transfer.legs().size(); i++) {
            Leg leg = transfer.legs().get(i);
            if (!Names.isSystem(leg.to()) && of(leg.to()) != shard) {
                if (local == null) {
                    local = new java.util.ArrayList<>(transfer.legs().subList(0, i));
                }
                local.add(new Leg(leg.from(), Names.CLEARING, leg.asset(), leg.amount(), leg.holdId()));
            } else if (local != null) {
                local.add(leg);
            }
        }
        return local == null ? transfer : new Command.Transfer(transfer.id(), local);
    }

    /**
     * Why this shard layout cannot apply the command in one step, naming the field, or null. A
     * transfer may credit users on any shard (through {@code @clearing}) but may debit users of
     * one shard only: debits on two shards cannot be all-or-nothing without a two-phase protocol.
     */
    public String placementError(Command command, String path) {
        if (!(command instanceof Command.Transfer transfer)) {
            return null;
        }
        String owner = transferOwner(transfer);
        int shard = of(owner);
        for (int i = 0; i < transfer.legs().size(); i++) {
            Leg leg = transfer.legs().get(i);
            if (leg.from().equals(Names.CLEARING) || leg.to().equals(Names.CLEARING)) {
                String field = leg.from().equals(Names.CLEARING) ? "from" : "to";
                return path + "legs[" + i + "]." + field + ": " + Names.CLEARING + " is reserved for transfers between shards";
            }
            if (!Names.isSystem(leg.from()) && of(leg.from()) != shard) {
                return path + "legs[" + i + "].from: " + leg.from() + " is on shard " + of(leg.from()) + " but " + owner
                        + " is on shard " + shard + "; one command may debit users of one shard only (credits may go anywhere)";
            }
        }
        return null;
    }
}
