package jango.cli;

import jango.server.ApiContract;
import jango.server.TestServer;

import java.nio.file.Path;

/**
 * The whole API contract (shared/API.md) against distributed mode: Kafka log, PostgreSQL state,
 * answers in memory from the shard's own writer (AnswerRoutingTest: the events topic carries the
 * answers for callers of other instances). One shard, so that multi-account commands are
 * answered exactly as in embedded mode; how several shards answer is DistributedClusterTest's.
 */
class DistributedApiTest extends ApiContract {
    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return DistributedInfra.server("DistributedApiTest", 1);
    }
}
