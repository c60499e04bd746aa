package jango.cli;

import jango.server.HoldExpiryContract;
import jango.server.TestServer;

import java.nio.file.Path;
import java.util.function.LongSupplier;

/** Holds expire by the writers' clock on 4 shards and 2 instances, whichever is asked, and stay expired after both restart. */
class MultiShardHoldExpiryTest extends HoldExpiryContract {
    @Override
    protected TestServer startServer(Path dir, LongSupplier clockMicros) throws Exception {
        return DistributedInfra.cluster("MultiShardHoldExpiryTest", 4, 2, clockMicros);
    }
}
