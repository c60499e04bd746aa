package jango.cli;

import jango.server.MalformedInputContract;
import jango.server.TestServer;

import java.nio.file.Path;

/** Malformed input is refused with 400 naming the field and changes nothing, in distributed mode too. */
class DistributedMalformedInputTest extends MalformedInputContract {
    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return DistributedInfra.server("DistributedMalformedInputTest", 2);
    }
}
