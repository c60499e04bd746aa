package jango.client;

import java.util.List;

/** The server's shards; a halted one says why. */
public record Health(boolean up, List<Shard> shards) {
    public record Shard(int shard, boolean up, String reason, long seq) {
    }

    public Health {
        shards = List.copyOf(shards);
    }
}
