package jango.cli;

import jango.server.MalformedInputContract;
import jango.server.TestServer;

import java.nio.file.Path;

/** Malformed input is refused with 400 naming the field and changes nothing, on 4 shards and 2 instances, whichever is asked. */
class MultiShardMalformedInputTest extends MalformedInputContract {
    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return DistributedInfra.cluster("MultiShardMalformedInputTest", 4, 2);
    }
}
