package jango.kafka;

import jango.engine.Command;
import jango.engine.Leg;
import jango.engine.Names;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order a batch's commands may be sent in, so that each sees what the commands before it in
 * the batch did, as in embedded mode (shared/API.md applies a batch in order, each command on its
 * own). A command waits only for the earlier commands of its batch that name one of its user
 * accounts or holds, and only as long as needed:
 * <ul>
 *   <li>both on one shard: until the earlier one is handed to the producer (a shard's partition
 *       keeps the order of what one producer sends it);</li>
 *   <li>the earlier one a transfer between shards: until its answer (its legs land on several
 *       shards over several hops, and only the answer says all of them are applied);</li>
 *   <li>otherwise (another shard, or this one a transfer between shards): until the broker
 *       acknowledged the earlier one (whatever the later one makes happen on that shard then comes
 *       after it in the partition).</li>
 * </ul>
 * Commands that share no user account and no hold never wait for each other. System owners
 * ({@code @fees}, {@code @external}...) have an account on every shard and order nothing.
 */
final class BatchOrder {
    /** {@link #shard} of a transfer whose legs name users on several shards. */
    static final int CROSSES = -1;
    /** {@link #shard} of a release of a hold this batch does not name before it: looked up when sent. */
    static final int LOOKED_UP = -2;

    private final int[] shard;
    private final int[][] dependsOn;
    private final String[] releaseOwner;

    BatchOrder(Shards shards, List<Command> commands) {
        int n = commands.size();
        this.shard = new int[n];
        this.dependsOn = new int[n][];
        this.releaseOwner = new String[n];
        Map<String, Integer> lastTouching = new HashMap<>();
        Map<String, String> holdOwners = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Set<String> keys = new LinkedHashSet<>();
            shard[i] = place(shards, commands.get(i), i, keys, holdOwners);
            List<Integer> before = new ArrayList<>();
            for (String key : keys) {
                Integer earlier = lastTouching.put(key, i);
                if (earlier != null && !before.contains(earlier)) {
                    before.add(earlier);
                }
            }
            dependsOn[i] = before.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The shard command {@code i} goes to, {@link #CROSSES} or {@link #LOOKED_UP}; fills its keys. */
    private int place(Shards shards, Command command, int i, Set<String> keys, Map<String, String> holdOwners) {
        return switch (command) {
            case Command.Deposit d -> user(shards, d.account(), keys);
            case Command.Withdraw w -> user(shards, w.account(), keys);
            case Command.Adjust a -> user(shards, a.account(), keys);
            case Command.PlaceHold h -> {
                holdOwners.put(h.holdId(), h.account());
                keys.add("h:" + h.holdId());
                yield user(shards, h.account(), keys);
            }
            case Command.Release r -> {
                keys.add("h:" + r.holdId());
                String owner = holdOwners.get(r.holdId());
                releaseOwner[i] = owner;
                yield owner == null ? LOOKED_UP : user(shards, owner, keys);
            }
            case Command.Transfer t -> {
                int only = -2;
                for (Leg leg : t.legs()) {
                    if (leg.holdId() != null) {
                        holdOwners.put(leg.holdId(), leg.from());
                        keys.add("h:" + leg.holdId());
                    }
                    for (String owner : new String[] {leg.from(), leg.to()}) {
                        int s = user(shards, owner, keys);
                        if (s >= 0) {
                            only = only == -2 || only == s ? s : CROSSES;
                        }
                    }
                }
                yield only == -2 ? shards.of(Shards.keyOwner(t)) : only;
            }
            default -> shards.of(String.valueOf(Shards.keyOwner(command)));
        };
    }

    private static int user(Shards shards, String owner, Set<String> keys) {
        if (Names.isSystem(owner)) {
            return -2;
        }
        keys.add("o:" + owner);
        return shards.of(owner);
    }

    /** The earlier commands of the batch that name one of command {@code i}'s user accounts or holds (the last one per name). */
    int[] dependsOn(int i) {
        return dependsOn[i];
    }

    /** Whether command {@code later} may go as soon as {@code earlier} is handed to the producer: both go to one shard's partition. */
    boolean handOffSuffices(int earlier, int later) {
        return shard[later] >= 0 && shard[earlier] == shard[later];
    }

    /** Whether command {@code i} is a transfer between shards: commands after it wait for its answer. */
    boolean crosses(int i) {
        return shard[i] == CROSSES;
    }

    /** The account of the hold a release names, when an earlier command of the batch named it; else null. */
    String releaseOwner(int i) {
        return releaseOwner[i];
    }
}
