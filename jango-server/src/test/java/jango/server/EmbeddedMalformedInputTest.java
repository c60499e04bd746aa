package jango.server;

import java.nio.file.Path;

/** The malformed-input contract on the embedded backend. */
class EmbeddedMalformedInputTest extends MalformedInputContract {

    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return TestServer.start(dir);
    }
}
