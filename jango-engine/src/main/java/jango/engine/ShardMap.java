package jango.engine;

import java.nio.charset.StandardCharsets;

/**
 * Which shard holds an owner's accounts, as the engine needs it to tell a transfer it applies alone
 * from one that crosses shards (docs/distributed.md, "Multi-shard transfers"). An owner is on shard
 * {@code murmur2(owner's UTF-8 bytes) mod count}: the partition Kafka's default partitioner picks
 * for the owner as the record key, so routing and the engine agree (jango-kafka's {@code Shards}
 * uses this; its test checks it against Kafka's own hash).
 *
 * <p>System owners ({@code @fees}, {@code @external}, {@code @clearing}...) have an account on every
 * shard: a leg's system side goes to the shard of its other side, or to the coordinator (the shard
 * that took the transfer) when both sides are system owners.
 *
 * <p>Allocation-free: owner names are ASCII by their pattern, so their chars are their UTF-8 bytes.
 */
public final class ShardMap {
    /** One shard: every transfer is local (embedded mode, tests, tools). */
    public static final ShardMap SINGLE = new ShardMap(0, 1);

    private final int self;
    private final int count;

    /**
     * @param self  the shard whose engine this is
     * @param count the number of shards (fixed when the cluster is made)
     */
    public ShardMap(int self, int count) {
        if (count < 1 || self < 0 || self >= count) {
            throw new IllegalArgumentException("shard " + self + " of " + count + " (expected: 0 <= shard < count, count >= 1)");
        }
        this.self = self;
        this.count = count;
    }

    public int self() {
        return self;
    }

    public int count() {
        return count;
    }

    /** The shard of a user owner (a system owner's shard depends on the leg: see {@link #debitShard}). */
    public int of(String owner) {
        return count == 1 ? 0 : (murmur2(owner) & 0x7fffffff) % count;
    }

    /** The shard that applies the debit side of {@code leg} of a transfer coordinated by {@code coordinator}. */
    public int debitShard(Leg leg, int coordinator) {
        if (!Names.isSystem(leg.from())) {
            return of(leg.from());
        }
        return Names.isSystem(leg.to()) ? coordinator : of(leg.to());
    }

    /** The shard that applies the credit side of {@code leg} of a transfer coordinated by {@code coordinator}. */
    public int creditShard(Leg leg, int coordinator) {
        if (!Names.isSystem(leg.to())) {
            return of(leg.to());
        }
        return Names.isSystem(leg.from()) ? coordinator : of(leg.from());
    }

    /** Whether this shard can apply the transfer alone: every side of every leg is here. No allocation. */
    public boolean allLocal(Command.Transfer transfer) {
        if (count == 1) {
            return true;
        }
        var legs = transfer.legs();
        for (int i = 0; i < legs.size(); i++) {
            Leg leg = legs.get(i);
            if (debitShard(leg, self) != self || creditShard(leg, self) != self) {
                return false;
            }
        }
        return true;
    }

    /** Kafka's murmur2 ({@code org.apache.kafka.common.utils.Utils.murmur2}) of the owner's UTF-8 bytes. */
    public static int murmur2(String owner) {
        int length = owner.length();
        for (int i = 0; i < length; i++) {
            if (owner.charAt(i) > 0x7f) {
                return murmur2(owner.getBytes(StandardCharsets.UTF_8)); // never for a valid owner; kept exact anyway
            }
        }
        final int m = 0x5bd1e995;
        int h = 0x9747b28c ^ length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            int i4 = i * 4;
            int k = owner.charAt(i4) + (owner.charAt(i4 + 1) << 8) + (owner.charAt(i4 + 2) << 16) + (owner.charAt(i4 + 3) << 24);
            k *= m;
            k ^= k >>> 24;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= owner.charAt(tail + 2) << 16;
            case 2:
                h ^= owner.charAt(tail + 1) << 8;
            case 1:
                h ^= owner.charAt(tail);
                h *= m;
            default:
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }

    private static int murmur2(byte[] data) {
        final int m = 0x5bd1e995;
        int length = data.length;
        int h = 0x9747b28c ^ length;
        for (int i = 0; i < length / 4; i++) {
            int i4 = i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> 24;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
            case 1:
                h ^= data[tail] & 0xff;
                h *= m;
            default:
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }

    @Override
    public String toString() {
        return "shard " + self + " of " + count;
    }
}
