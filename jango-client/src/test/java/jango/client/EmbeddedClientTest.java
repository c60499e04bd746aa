package jango.client;

import jango.server.TestServer;

import java.nio.file.Path;

/** The client contract on the embedded backend. */
class EmbeddedClientTest extends ClientContract {

    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return TestServer.start(dir);
    }
}
