package jango.kafka;

import jango.engine.Command;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.ShardMap;

/**
 * Account -> shard: the owner id is the Kafka key and the shard is the partition Kafka's default
 * partitioner would pick for it (murmur2 of the key bytes), so tools that produce by key agree.
 * System owners ({@code @external}, {@code @fees}, {@code @clearing}...) have an account on every
 * shard: a command that names one uses the copy on its own shard (for a transfer, the shard of the
 * leg's other side: {@link ShardMap#debitShard}).
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

    /** The owner's shard: Kafka's partition for the owner as key, as the engines compute it ({@link ShardMap#murmur2}). */
    public int of(String owner) {
        return (ShardMap.murmur2(owner) & 0x7fffffff) % count;
    }

    /** Shard {@code shard}'s map, as its engine applies transfers between shards with it. */
    public ShardMap map(int shard) {
        return new ShardMap(shard, count);
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
     * Why the command cannot be applied in distributed mode, naming the field, or null: a transfer
     * may debit and credit users on any shard (the shards run the protocol between them), but
     * {@code @clearing} is theirs, for the money between a debit on one shard and a credit on another.
     */
    public String placementError(Command command, String path) {
        if (!(command instanceof Command.Transfer transfer)) {
            return null;
        }
        for (int i = 0; i < transfer.legs().size(); i++) {
            Leg leg = transfer.legs().get(i);
            if (leg.from().equals(Names.CLEARING) || leg.to().equals(Names.CLEARING)) {
                String field = leg.from().equals(Names.CLEARING) ? "from" : "to";
                return path + "legs[" + i + "]." + field + ": " + Names.CLEARING + " is reserved for transfers between shards";
            }
        }
        return null;
    }
}
