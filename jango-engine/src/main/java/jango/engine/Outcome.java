package jango.engine;

/** What applying one log entry came to. */
public record Outcome(Kind kind, Result result, String message, int assetScale) {
    public enum Kind {
        /** A client command applied or rejected for the first time; {@code result} is now stored. */
        NEW,
        /** The same id and body were seen before; {@code result} is the stored one. */
        REPLAYED,
        /** The same id was seen before with another body; nothing changed. */
        ID_CONFLICT,
        ASSET_CREATED,
        ASSET_EXISTS,
        /** The asset exists with another scale ({@code assetScale}); nothing changed. */
        ASSET_CONFLICT,
        TICK,
        /**
         * A transfer that crosses shards started its protocol: the answer comes when every shard
         * has applied it (or it was refused), from a later entry ({@link Applied#finishedCount()}).
         */
        PENDING,
        /** The same transfer (id and body) is in flight already: this caller waits for its answer too. */
        JOINED,
        /** Not applied and nothing stored (503: too many transfers in flight, or one just gave up on a shard); retry. */
        UNAVAILABLE,
        /** A protocol record between shards was applied; nobody waits for it. */
        PROTOCOL
    }

    static Outcome of(Kind kind, Result result) {
        return new Outcome(kind, result, null, -1);
    }
}
