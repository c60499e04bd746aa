package jango.bank.http;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * A request body read strictly: one JSON object, no duplicate or unknown fields, strings where
 * strings belong (amounts too: a JSON number is never money). Every refusal is a {@link Malformed}
 * whose message starts with the field's name.
 */
final class Body {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private static final int MAX_SHOWN = 80;

    private final JsonNode node;

    private Body(JsonNode node) {
        this.node = node;
    }

    /** The body as an object with only {@code allowed} fields. */
    static Body parse(byte[] bytes, Set<String> allowed) {
        if (bytes.length == 0) {
            throw new Malformed("body: is empty (expected: a JSON object)");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new Malformed("body: is not valid JSON: " + abbreviate(detail));
        }
        if (node == null || !node.isObject()) {
            throw new Malformed("body: must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new Malformed(abbreviate(name) + ": is not a field here (expected: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        return new Body(node);
    }

    boolean has(String field) {
        return node.has(field) && !node.get(field).isNull();
    }

    String text(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new Malformed(field + ": is missing");
        }
        if (!value.isTextual()) {
            throw new Malformed(field + ": must be a string" + (value.isNumber() ? " (amounts are decimal strings, never numbers)" : ""));
        }
        return value.textValue();
    }

    /** An optional whole number in {@code min..max}; null when absent. */
    Integer integer(String field, int min, int max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
            throw new Malformed(field + ": " + abbreviate(value.toString()) + " (expected: an integer " + min + ".." + max + ")");
        }
        return value.intValue();
    }

    static String abbreviate(String text) {
        return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "...";
    }

    /** A request refused before anything happened: 400 MALFORMED with this message. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
