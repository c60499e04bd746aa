package jango.cli;

import jango.server.HoldExpiryContract;
import jango.server.TestServer;

import java.nio.file.Path;
import java.util.function.LongSupplier;

/** Holds expire by the shard writer's clock, with no command arriving, and stay expired after a restart. */
class DistributedHoldExpiryTest extends HoldExpiryContract {
    @Override
    protected TestServer startServer(Path dir, LongSupplier clockMicros) throws Exception {
        return DistributedInfra.server("DistributedHoldExpiryTest", 2, clockMicros);
    }
}
