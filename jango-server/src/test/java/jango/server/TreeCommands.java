package jango.server;

import static jango.server.CommandParser.abbreviate;
import static jango.server.CommandParser.field;
import static jango.server.CommandParser.name;
import static jango.server.CommandParser.only;
import static jango.server.CommandParser.wellFormed;

import com.fasterxml.jackson.databind.JsonNode;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;
import jango.engine.Names;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The oracle of JsonCommandsTest: the Jackson-tree command parser as it was before the streaming
 * path replaced it (with the unpaired-surrogate check it had by then), and the body handling that
 * JangoServer wrapped around it. Kept unchanged so the streaming parser can be held to its answers,
 * but for one bug the comparison found: a float whose exponent overflows a BigDecimal escaped as a
 * NumberFormatException (a 500); both now call it malformed JSON. Changed with the parser since:
 * {@code expiresAt} must have RFC 3339's shape (seconds written, no seconds in the offset) and no
 * digits below a microsecond (2026-12-02; the ISO parser took both, and cut the digits).
 */
final class TreeCommands {
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    static Command single(byte[] body) {
        return parse(tree(body), "");
    }

    static List<Command> batch(byte[] body, int max) {
        JsonNode node = tree(body);
        if (!node.isObject()) {
            throw new Malformed("body: must be a JSON object {\"commands\": [...]}");
        }
        only(node, "", Set.of("commands"));
        JsonNode array = node.get("commands");
        if (array == null || !array.isArray()) {
            throw new Malformed("commands: " + (array == null ? "is missing" : "must be an array"));
        }
        if (array.size() > max) {
            throw new JangoServer.TooLarge("commands: " + array.size() + " elements (expected: at most " + max + ")");
        }
        if (array.isEmpty()) {
            throw new Malformed("commands: is empty (expected: 1.." + max + " commands)");
        }
        List<Command> commands = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            commands.add(parse(array.get(i), "commands[" + i + "]"));
        }
        return commands;
    }

    private static JsonNode tree(byte[] body) {
        if (body.length == 0) {
            throw new Malformed("body: is empty (expected: a JSON object)");
        }
        try {
            return MAPPER.readTree(body);
        } catch (java.io.IOException | NumberFormatException e) {
            String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new Malformed("body: is not valid JSON: " + abbreviate(detail));
        }
    }
    private static final Set<String> ACCOUNT_FIELDS = Set.of("id", "type", "account", "asset", "amount");
    private static final Set<String> HOLD_FIELDS = Set.of("id", "type", "account", "asset", "amount", "hold", "expiresAt");
    private static final Set<String> RELEASE_FIELDS = Set.of("id", "type", "hold", "amount");
    private static final Set<String> TRANSFER_FIELDS = Set.of("id", "type", "from", "to", "asset", "amount", "hold");
    private static final Set<String> LEGS_FIELDS = Set.of("id", "type", "legs");
    private static final Set<String> LEG_FIELDS = Set.of("from", "to", "asset", "amount", "hold");
    private static final Set<String> ADJUST_FIELDS = Set.of("id", "type", "account", "asset", "amount", "reason");

    private TreeCommands() {
    }

    static Command parse(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw new Malformed(name(path, "") + "must be a JSON object");
        }
        String type = text(node, path, "type");
        String id = pattern(node, path, "id", Names.ID);
        return switch (type) {
            case "deposit" -> {
                only(node, path, ACCOUNT_FIELDS);
                yield new Command.Deposit(id, account(node, path, "account"), asset(node, path, "asset"), amount(node, path, "amount", false));
            }
            case "withdraw" -> {
                only(node, path, ACCOUNT_FIELDS);
                yield new Command.Withdraw(id, account(node, path, "account"), asset(node, path, "asset"), amount(node, path, "amount", false));
            }
            case "hold" -> {
                only(node, path, HOLD_FIELDS);
                yield new Command.PlaceHold(id, account(node, path, "account"), asset(node, path, "asset"),
                        amount(node, path, "amount", false), pattern(node, path, "hold", Names.ID), expiresAt(node, path));
            }
            case "release" -> {
                only(node, path, RELEASE_FIELDS);
                Decimal amount = node.has("amount") ? amount(node, path, "amount", false) : null;
                yield new Command.Release(id, pattern(node, path, "hold", Names.ID), amount);
            }
            case "transfer" -> new Command.Transfer(id, legs(node, path));
            case "adjust" -> {
                only(node, path, ADJUST_FIELDS);
                String reason = text(node, path, "reason");
                if (reason.isBlank() || reason.length() > Names.MAX_REASON_LENGTH) {
                    throw new Malformed(name(path, "reason") + "must be 1.." + Names.MAX_REASON_LENGTH + " characters, not blank");
                }
                yield new Command.Adjust(id, account(node, path, "account"), asset(node, path, "asset"),
                        amount(node, path, "amount", true), reason);
            }
            default -> throw new Malformed(name(path, "type") + "\"" + type
                    + "\" is not a command type (expected: deposit, withdraw, hold, release, transfer, adjust)");
        };
    }

    private static List<Leg> legs(JsonNode node, String path) {
        if (!node.has("legs")) {
            only(node, path, TRANSFER_FIELDS);
            return List.of(leg(node, path));
        }
        only(node, path, LEGS_FIELDS);
        JsonNode legs = node.get("legs");
        if (!legs.isArray()) {
            throw new Malformed(name(path, "legs") + "must be an array of legs");
        }
        if (legs.isEmpty() || legs.size() > Names.MAX_LEGS) {
            throw new Malformed(name(path, "legs") + "has " + legs.size() + " legs (expected: 1.." + Names.MAX_LEGS + ")");
        }
        List<Leg> parsed = new ArrayList<>(legs.size());
        for (int i = 0; i < legs.size(); i++) {
            String legPath = field(path, "legs") + "[" + i + "]";
            JsonNode leg = legs.get(i);
            if (!leg.isObject()) {
                throw new Malformed(legPath + ": must be a JSON object");
            }
            only(leg, legPath, LEG_FIELDS);
            parsed.add(leg(leg, legPath));
        }
        return parsed;
    }

    private static Leg leg(JsonNode node, String path) {
        String hold = node.has("hold") ? pattern(node, path, "hold", Names.ID) : null;
        return new Leg(account(node, path, "from"), account(node, path, "to"), asset(node, path, "asset"),
                amount(node, path, "amount", false), hold);
    }


    static String text(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new Malformed(name(path, field) + "is missing");
        }
        if (!value.isTextual()) {
            throw new Malformed(name(path, field) + "must be a string, not " + value.getNodeType().name().toLowerCase());
        }
        return wellFormed(value.textValue(), path, field);
    }


    static String pattern(JsonNode node, String path, String field, Names.Shape pattern) {
        String value = text(node, path, field);
        if (!pattern.matches(value)) {
            throw new Malformed(name(path, field) + "\"" + abbreviate(value) + "\" does not match " + pattern.pattern());
        }
        return value;
    }


    private static String account(JsonNode node, String path, String field) {
        return pattern(node, path, field, Names.OWNER);
    }

    private static String asset(JsonNode node, String path, String field) {
        return pattern(node, path, field, Names.ASSET);
    }

    static Decimal amount(JsonNode node, String path, String field, boolean signed) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new Malformed(name(path, field) + "is missing");
        }
        if (value.isNumber()) {
            throw new Malformed(name(path, field) + "must be a decimal string such as \"1.5\", not a JSON number (money is never a float)");
        }
        if (!value.isTextual()) {
            throw new Malformed(name(path, field) + "must be a decimal string, not " + value.getNodeType().name().toLowerCase());
        }
        try {
            return Decimal.parse(value.textValue(), signed);
        } catch (IllegalArgumentException e) {
            throw new Malformed(name(path, field) + e.getMessage());
        }
    }

    private static long expiresAt(JsonNode node, String path) {
        if (!node.has("expiresAt")) {
            return Command.NO_EXPIRY;
        }
        String text = text(node, path, "expiresAt");
        if (!text.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})")) {
            throw new Malformed(name(path, "expiresAt") + "\"" + abbreviate(text) + "\" is not an RFC 3339 time such as 2026-11-23T05:00:00Z");
        }
        try {
            OffsetDateTime time = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            if (time.getNano() % 1_000 != 0) {
                throw new Malformed(name(path, "expiresAt") + "\"" + abbreviate(text) + "\" is finer than a microsecond");
            }
            long seconds = time.toEpochSecond();
            if (seconds < 0 || seconds > 253_402_300_799L) {
                throw new Malformed(name(path, "expiresAt") + "\"" + text + "\" is outside 1970..9999");
            }
            return seconds * 1_000_000L + time.getNano() / 1_000;
        } catch (DateTimeParseException e) {
            throw new Malformed(name(path, "expiresAt") + "\"" + abbreviate(text) + "\" is not an RFC 3339 time such as 2026-11-23T05:00:00Z");
        }
    }
}
