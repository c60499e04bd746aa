package jango.engine;

/**
 * An engine's id filter made again at another size ({@link Engine#rebuildIdFilter}). It starts with
 * the ids the engine holds in memory (open holds, transfers between shards in flight); the caller
 * puts back every id its archive stores, command ids of stored results and ids of closed holds,
 * before the engine applies anything. Ids stored by entries the engine has not applied yet may be
 * put too: they only cost the false positive the archive answers exactly.
 */
public final class IdFilterRebuild {
    private final IdFilter filter;

    IdFilterRebuild(Engine engine, int bytes) {
        this.filter = engine.filter;
        filter.reset(bytes);
        engine.view().forEachOpenHold(hold -> filter.put(hold.holdId(), IdFilter.HOLD_SEED));
        engine.crossShard.coordinators.keySet().forEach(id -> filter.put(id, IdFilter.COMMAND_SEED));
        engine.crossShard.participants.keySet().forEach(id -> filter.put(id, IdFilter.COMMAND_SEED));
    }

    /** A command id with a stored result. */
    public void commandId(String commandId) {
        filter.put(commandId, IdFilter.COMMAND_SEED);
    }

    /** The id of a closed hold. */
    public void holdId(String holdId) {
        filter.put(holdId, IdFilter.HOLD_SEED);
    }
}
