package jango.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import jango.engine.Names;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one JSON command object as the streaming parser met them: a slot per field name a
 * command can have (its kind, and its text when a string), the names in the order written (for
 * "the first field that does not belong"), and the legs of a transfer. What {@link CommandParser}
 * checks and builds a command from, in place of an object tree.
 */
final class Fields {
    static final int ID = 0;
    static final int TYPE = 1;
    static final int ACCOUNT = 2;
    static final int ASSET = 3;
    static final int AMOUNT = 4;
    static final int HOLD = 5;
    static final int EXPIRES_AT = 6;
    static final int REASON = 7;
    static final int FROM = 8;
    static final int TO = 9;
    static final int LEGS = 10;
    private static final String[] NAMES = {"id", "type", "account", "asset", "amount", "hold", "expiresAt", "reason", "from", "to", "legs"};

    /** A value's kind, named as the tree parser named them in messages ("must be a string, not number"). */
    enum Kind {
        STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Kind of(JsonToken token) {
            return switch (token) {
                case VALUE_STRING -> STRING;
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> NUMBER;
                case VALUE_TRUE, VALUE_FALSE -> BOOLEAN;
                case VALUE_NULL -> NULL;
                case START_ARRAY -> ARRAY;
                default -> OBJECT;
            };
        }
    }

    private final Kind[] kinds = new Kind[NAMES.length];
    private final String[] texts = new String[NAMES.length];
    /** Field names in the order written, known and unknown. */
    private final List<String> order = new ArrayList<>(8);
    /** The elements of "legs" when it is an array: a Fields per object, a Kind per anything else. */
    private List<Object> legs;

    static String name(int slot) {
        return NAMES[slot];
    }

    /** Reads the object whose START_OBJECT the parser stands on; {@code command} reads "legs" as legs. */
    static Fields read(JsonParser json, boolean command) throws IOException {
        Fields fields = new Fields();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String name = json.currentName();
            JsonToken value = json.nextToken();
            fields.order.add(name);
            int slot = slot(name);
            if (slot == LEGS && command && value == JsonToken.START_ARRAY) {
                fields.kinds[LEGS] = Kind.ARRAY;
                fields.legs = new ArrayList<>();
                for (JsonToken leg = json.nextToken(); leg != JsonToken.END_ARRAY; leg = json.nextToken()) {
                    // Past the most a transfer may have, only counted: the command is refused for its count.
                    fields.legs.add(leg == JsonToken.START_OBJECT && fields.legs.size() < Names.MAX_LEGS
                            ? read(json, false) : Kind.of(JsonCommands.consume(json, leg)));
                }
                continue;
            }
            if (slot >= 0) {
                fields.kinds[slot] = Kind.of(value);
                if (value == JsonToken.VALUE_STRING) {
                    fields.texts[slot] = json.getText();
                }
            }
            JsonCommands.consume(json, value);
        }
        return fields;
    }

    private static int slot(String name) {
        return switch (name) {
            case "id" -> ID;
            case "type" -> TYPE;
            case "account" -> ACCOUNT;
            case "asset" -> ASSET;
            case "amount" -> AMOUNT;
            case "hold" -> HOLD;
            case "expiresAt" -> EXPIRES_AT;
            case "reason" -> REASON;
            case "from" -> FROM;
            case "to" -> TO;
            case "legs" -> LEGS;
            default -> -1;
        };
    }

    /** True when the field was written, even as null. */
    boolean has(int slot) {
        return kinds[slot] != null;
    }

    /** Its kind, or null when absent. */
    Kind kind(int slot) {
        return kinds[slot];
    }

    /** Its text when it is a string. */
    String text(int slot) {
        return texts[slot];
    }

    /** The first field written that is not one of {@code allowed} (slot numbers), or null. */
    String firstNotIn(int... allowed) {
        for (String name : order) {
            int slot = slot(name);
            if (!contains(allowed, slot)) {
                return name;
            }
        }
        return null;
    }

    private static boolean contains(int[] allowed, int slot) {
        for (int a : allowed) {
            if (a == slot) {
                return true;
            }
        }
        return false;
    }

    List<Object> legs() {
        return legs;
    }
}
