package jango.server;

import com.linecorp.armeria.common.MediaType;

import java.nio.charset.StandardCharsets;

/**
 * Request bodies are JSON in UTF-8 (shared/API.md). A body sent as anything else (a form, plain
 * text, JSON in another charset) is refused with 415 before it is read, rather than guessed at.
 */
final class JsonContentType {
    private JsonContentType() {
    }

    /** Why {@code type} is refused, or null when it is JSON in UTF-8 or absent. */
    static String refusal(MediaType type) {
        if (type == null) {
            return null;
        }
        boolean json = type.is(MediaType.JSON) || type.subtype().endsWith("+json") && type.type().equals("application");
        if (!json) {
            return "Content-Type: " + CommandParser.abbreviate(type.toString()) + " is not JSON (expected: application/json, or none)";
        }
        if (type.charset() != null && !type.charset().equals(StandardCharsets.UTF_8)) {
            return "Content-Type: charset " + type.charset().name() + " (expected: UTF-8)";
        }
        return null;
    }
}
