package jango.server;

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
 * Turns a JSON command into an engine command, strictly: unknown or missing fields, wrong types,
 * numbers where amounts belong and names that break their pattern are refused with a message that
 * names the field ({@code commands[3].legs[0].amount}). Nothing refused here reaches the log.
 */
final class CommandParser {
    private static final int[] ACCOUNT_FIELDS = {Fields.ID, Fields.TYPE, Fields.ACCOUNT, Fields.ASSET, Fields.AMOUNT};
    private static final int[] HOLD_FIELDS = {Fields.ID, Fields.TYPE, Fields.ACCOUNT, Fields.ASSET, Fields.AMOUNT, Fields.HOLD, Fields.EXPIRES_AT};
    private static final int[] RELEASE_FIELDS = {Fields.ID, Fields.TYPE, Fields.HOLD, Fields.AMOUNT};
    private static final int[] TRANSFER_FIELDS = {Fields.ID, Fields.TYPE, Fields.FROM, Fields.TO, Fields.ASSET, Fields.AMOUNT, Fields.HOLD};
    private static final int[] LEGS_FIELDS = {Fields.ID, Fields.TYPE, Fields.LEGS};
    private static final int[] LEG_FIELDS = {Fields.FROM, Fields.TO, Fields.ASSET, Fields.AMOUNT, Fields.HOLD};
    private static final int[] ADJUST_FIELDS = {Fields.ID, Fields.TYPE, Fields.ACCOUNT, Fields.ASSET, Fields.AMOUNT, Fields.REASON};

    private CommandParser() {
    }

    /** @param node the command's fields, or null when the JSON value was not an object */
    static Command parse(Fields node, String path) {
        if (node == null) {
            throw new Malformed(name(path, "") + "must be a JSON object");
        }
        String type = text(node, path, Fields.TYPE);
        String id = pattern(node, path, Fields.ID, Names.ID);
        return switch (type) {
            case "deposit" -> {
                only(node, path, ACCOUNT_FIELDS);
                yield new Command.Deposit(id, account(node, path, Fields.ACCOUNT), asset(node, path), amount(node, path, false));
            }
            case "withdraw" -> {
                only(node, path, ACCOUNT_FIELDS);
                yield new Command.Withdraw(id, account(node, path, Fields.ACCOUNT), asset(node, path), amount(node, path, false));
            }
            case "hold" -> {
                only(node, path, HOLD_FIELDS);
                yield new Command.PlaceHold(id, account(node, path, Fields.ACCOUNT), asset(node, path),
                        amount(node, path, false), pattern(node, path, Fields.HOLD, Names.ID), expiresAt(node, path));
            }
            case "release" -> {
                only(node, path, RELEASE_FIELDS);
                Decimal amount = node.has(Fields.AMOUNT) ? amount(node, path, false) : null;
                yield new Command.Release(id, pattern(node, path, Fields.HOLD, Names.ID), amount);
            }
            case "transfer" -> new Command.Transfer(id, legs(node, path));
            case "adjust" -> {
                only(node, path, ADJUST_FIELDS);
                String reason = text(node, path, Fields.REASON);
                if (reason.isBlank() || reason.length() > Names.MAX_REASON_LENGTH) {
                    throw new Malformed(name(path, "reason") + "must be 1.." + Names.MAX_REASON_LENGTH + " characters, not blank");
                }
                yield new Command.Adjust(id, account(node, path, Fields.ACCOUNT), asset(node, path), amount(node, path, true), reason);
            }
            default -> throw new Malformed(name(path, "type") + "\"" + type
                    + "\" is not a command type (expected: deposit, withdraw, hold, release, transfer, adjust)");
        };
    }

    private static List<Leg> legs(Fields node, String path) {
        if (!node.has(Fields.LEGS)) {
            only(node, path, TRANSFER_FIELDS);
            return List.of(leg(node, path));
        }
        only(node, path, LEGS_FIELDS);
        List<Object> legs = node.legs();
        if (legs == null) {
            throw new Malformed(name(path, "legs") + "must be an array of legs");
        }
        if (legs.isEmpty() || legs.size() > Names.MAX_LEGS) {
            throw new Malformed(name(path, "legs") + "has " + legs.size() + " legs (expected: 1.." + Names.MAX_LEGS + ")");
        }
        List<Leg> parsed = new ArrayList<>(legs.size());
        for (int i = 0; i < legs.size(); i++) {
            String legPath = field(path, "legs") + "[" + i + "]";
            if (!(legs.get(i) instanceof Fields leg)) {
                throw new Malformed(legPath + ": must be a JSON object");
            }
            only(leg, legPath, LEG_FIELDS);
            parsed.add(leg(leg, legPath));
        }
        return parsed;
    }

    private static Leg leg(Fields node, String path) {
        String hold = node.has(Fields.HOLD) ? pattern(node, path, Fields.HOLD, Names.ID) : null;
        return new Leg(account(node, path, Fields.FROM), account(node, path, Fields.TO), asset(node, path), amount(node, path, false), hold);
    }

    private static void only(Fields node, String path, int[] allowed) {
        String field = node.firstNotIn(allowed);
        if (field != null) {
            throw new Malformed(name(path, field) + "is not a field of this command");
        }
    }

    private static String text(Fields node, String path, int slot) {
        String field = Fields.name(slot);
        Fields.Kind kind = node.kind(slot);
        if (kind == null || kind == Fields.Kind.NULL) {
            throw new Malformed(name(path, field) + "is missing");
        }
        if (kind != Fields.Kind.STRING) {
            throw new Malformed(name(path, field) + "must be a string, not " + kind.text());
        }
        return wellFormed(node.text(slot), path, field);
    }

    private static String pattern(Fields node, String path, int slot, Names.Shape pattern) {
        String value = text(node, path, slot);
        if (!pattern.matches(value)) {
            throw new Malformed(name(path, Fields.name(slot)) + "\"" + abbreviate(value) + "\" does not match " + pattern.pattern());
        }
        return value;
    }

    private static String account(Fields node, String path, int slot) {
        return pattern(node, path, slot, Names.OWNER);
    }

    private static String asset(Fields node, String path) {
        return pattern(node, path, Fields.ASSET, Names.ASSET);
    }

    private static Decimal amount(Fields node, String path, boolean signed) {
        Fields.Kind kind = node.kind(Fields.AMOUNT);
        if (kind == null || kind == Fields.Kind.NULL) {
            throw new Malformed(name(path, "amount") + "is missing");
        }
        if (kind == Fields.Kind.NUMBER) {
            throw new Malformed(name(path, "amount") + "must be a decimal string such as \"1.5\", not a JSON number (money is never a float)");
        }
        if (kind != Fields.Kind.STRING) {
            throw new Malformed(name(path, "amount") + "must be a decimal string, not " + kind.text());
        }
        try {
            return Decimal.parse(node.text(Fields.AMOUNT), signed);
        } catch (IllegalArgumentException e) {
            throw new Malformed(name(path, "amount") + e.getMessage());
        }
    }

    private static final java.util.regex.Pattern RFC_3339 =
            java.util.regex.Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})");

    private static long expiresAt(Fields node, String path) {
        if (!node.has(Fields.EXPIRES_AT)) {
            return Command.NO_EXPIRY;
        }
        String text = text(node, path, Fields.EXPIRES_AT);
        // RFC 3339's shape, which ISO_OFFSET_DATE_TIME widens (seconds left out, offsets with seconds).
        if (!RFC_3339.matcher(text).matches()) {
            throw new Malformed(name(path, "expiresAt") + "\"" + abbreviate(text) + "\" is not an RFC 3339 time such as 2026-11-23T05:00:00Z");
        }
        try {
            OffsetDateTime time = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            if (time.getNano() % 1_000 != 0) { // kept in microseconds: refused rather than cut, as an amount past its scale is
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

    static void only(JsonNode node, String path, Set<String> allowed) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String field = names.next();
            if (!allowed.contains(field)) {
                throw new Malformed(name(path, field) + "is not a field of this command");
            }
        }
    }

    /** Text that cannot be encoded as UTF-8 (a lone surrogate from a JSON escape) is malformed. */
    static String wellFormed(String text, String path, String field) {
        int bad = Names.unpairedSurrogate(text);
        if (bad >= 0) {
            throw new Malformed(name(path, field) + "is not valid Unicode (an unpaired surrogate at index " + bad + ")");
        }
        return text;
    }

    /** Element {@code index} of an array of names. */
    static String pattern(JsonNode array, String field, int index, Names.Shape pattern) {
        JsonNode value = array.get(index);
        String name = field + "[" + index + "]: ";
        if (value == null || !value.isTextual()) {
            throw new Malformed(name + "must be a string");
        }
        if (!pattern.matches(value.textValue())) {
            throw new Malformed(name + "\"" + abbreviate(value.textValue()) + "\" does not match " + pattern.pattern());
        }
        return value.textValue();
    }

    /** "path.field"; path is empty for a single command. */
    static String field(String path, String field) {
        if (field.isEmpty()) {
            return path.isEmpty() ? "body" : path;
        }
        return path.isEmpty() ? field : path + "." + field;
    }

    /** "path.field: ", the start of a message. */
    static String name(String path, String field) {
        return field(path, field) + ": ";
    }

    static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
