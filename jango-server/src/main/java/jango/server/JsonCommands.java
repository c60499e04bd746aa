package jango.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import jango.engine.Command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Command bodies read with Jackson's streaming parser straight into {@link Fields} (one small
 * object per command, a slot per field name) and from there into commands, with no object tree.
 * The answers and messages are exactly those of the tree parser this replaced (JsonCommandsTest
 * compares the two on every case of the contract and on fuzzed bodies): the whole body is read
 * first, so a syntax error anywhere wins over a field error, and every string and number is
 * decoded as the tree decoded it, so text that is not UTF-8 is refused the same way.
 */
final class JsonCommands {
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private JsonCommands() {
    }

    /** The body of POST /v1/commands. */
    static Command single(byte[] body) {
        try (JsonParser json = open(body)) {
            JsonToken root = json.nextToken();
            Fields command = root == JsonToken.START_OBJECT ? Fields.read(json, true) : null;
            if (root != null && command == null) {
                consume(json, root);
            }
            requireEnd(json);
            return CommandParser.parse(command, "");
        } catch (IOException e) {
            throw notJson(e);
        }
    }

    /**
     * The body of POST /v1/commands/batch: {@code {"commands": [...]}}, 1 to {@code max} of them;
     * {@code check} sees each command (and its index) as soon as it is parsed, before the next.
     */
    static List<Command> batch(byte[] body, int max, java.util.function.ObjIntConsumer<Command> check) {
        List<Object> elements = null;
        boolean commandsPresent = false;
        String firstUnknown = null;
        try (JsonParser json = open(body)) {
            JsonToken root = json.nextToken();
            if (root == JsonToken.START_OBJECT) {
                while (json.nextToken() == JsonToken.FIELD_NAME) {
                    String name = json.currentName();
                    JsonToken value = json.nextToken();
                    if (!name.equals("commands")) {
                        firstUnknown = firstUnknown == null ? name : firstUnknown;
                        consume(json, value);
                        continue;
                    }
                    commandsPresent = true;
                    if (value == JsonToken.START_ARRAY) {
                        elements = new ArrayList<>();
                        for (JsonToken element = json.nextToken(); element != JsonToken.END_ARRAY; element = json.nextToken()) {
                            // Past the limit only counted (for the message): a 1 MiB body of 350,000 "{}"
                            // read whole would take about 80 MB of heap before its 413.
                            elements.add(element == JsonToken.START_OBJECT && elements.size() < max
                                    ? Fields.read(json, true) : consume(json, element));
                        }
                    } else {
                        consume(json, value);
                    }
                }
            } else if (root != null) {
                consume(json, root);
            }
            requireEnd(json);
            if (root != JsonToken.START_OBJECT) {
                throw new Malformed("body: must be a JSON object {\"commands\": [...]}");
            }
        } catch (IOException e) {
            throw notJson(e);
        }
        if (firstUnknown != null) {
            throw new Malformed(CommandParser.name("", firstUnknown) + "is not a field of this command");
        }
        if (elements == null) {
            throw new Malformed("commands: " + (commandsPresent ? "must be an array" : "is missing"));
        }
        if (elements.size() > max) {
            throw new JangoServer.TooLarge("commands: " + elements.size() + " elements (expected: at most " + max + ")");
        }
        if (elements.isEmpty()) {
            throw new Malformed("commands: is empty (expected: 1.." + max + " commands)");
        }
        List<Command> commands = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            Command command = CommandParser.parse(elements.get(i) instanceof Fields fields ? fields : null, "commands[" + i + "]");
            check.accept(command, i);
            commands.add(command);
        }
        return commands;
    }

    private static JsonParser open(byte[] body) throws IOException {
        if (body.length == 0) {
            throw new Malformed("body: is empty (expected: a JSON object)");
        }
        return JSON.createParser(body);
    }

    /**
     * Reads past the value that starts with {@code token}, decoding every string and number on the
     * way as a tree would (so the same bytes are refused); returns the token for its kind.
     */
    static JsonToken consume(JsonParser json, JsonToken token) throws IOException {
        int depth = 0;
        JsonToken current = token;
        while (true) {
            switch (current) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case VALUE_STRING -> json.getText();
                case VALUE_NUMBER_INT -> json.getNumberValue();
                case VALUE_NUMBER_FLOAT -> decimal(json);
                default -> {
                }
            }
            if (depth == 0) {
                return token;
            }
            current = json.nextToken();
            if (current == null) {
                return token; // the parser reports the missing end itself on the next read
            }
        }
    }

    /**
     * A float is decoded as a BigDecimal, as the tree did; one it cannot hold (an exponent past
     * 2^31) is malformed JSON. (The tree parser let that NumberFormatException through: a 500.)
     */
    private static void decimal(JsonParser json) throws IOException {
        try {
            json.getDecimalValue();
        } catch (NumberFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Nothing may follow the root value: what a tree reader with FAIL_ON_TRAILING_TOKENS says. */
    private static void requireEnd(JsonParser json) throws IOException {
        JsonToken trailing = json.nextToken();
        if (trailing != null) {
            throw new IOException("Trailing token (of type " + trailing + ") found after value (bound as "
                    + "`com.fasterxml.jackson.databind.JsonNode`): not allowed as per `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`");
        }
    }

    private static Malformed notJson(IOException e) {
        String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
        return new Malformed("body: is not valid JSON: " + CommandParser.abbreviate(detail));
    }
}
