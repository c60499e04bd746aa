package jango.server;

import jango.embedded.EmbeddedConfig;

import java.nio.file.Path;
import java.util.function.LongSupplier;

/** The hold-expiry contract on the embedded backend (the same directory again is a restart). */
class EmbeddedHoldExpiryTest extends HoldExpiryContract {

    @Override
    protected TestServer startServer(Path dir, LongSupplier clockMicros) throws Exception {
        return new TestServer(EmbeddedConfig.defaults(dir).withClock(clockMicros));
    }
}
