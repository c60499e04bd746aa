package jango.cli;

import jango.client.ClientContract;
import jango.server.TestServer;

import java.nio.file.Path;

/** The client contract (the HTTP contract's cases over gRPC through the Java client) against distributed mode, one shard. */
class DistributedClientTest extends ClientContract {
    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return DistributedInfra.server("DistributedClientTest", 1);
    }
}
