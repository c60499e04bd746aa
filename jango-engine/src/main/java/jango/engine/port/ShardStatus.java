package jango.engine.port;

/** One shard's health: {@code reason} says why it halted (null when up). */
public record ShardStatus(int shard, boolean up, String reason, long appliedSeq) {
}
