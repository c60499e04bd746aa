package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;

final class TestServerJson {
    private TestServerJson() {
    }

    static JsonNode read(String text) {
        try {
            return TestServer.JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
