package jango.channel;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One change of one account's asset as the channel copies it: from the change feed, or from the
 * ledger's history when it repairs. Amounts are exact decimals, as the API writes them.
 */
public record ChangeRecord(String account, String asset, long revision, long seq, long atMicros, String commandId, String type,
                           BigDecimal available, BigDecimal held, BigDecimal availableDelta, BigDecimal heldDelta) {

    /**
     * Reads a change from the feed (with {@code account}) or a history entry ({@code account} given).
     *
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    public static ChangeRecord parse(JsonNode node, String account) {
        return new ChangeRecord(account != null ? account : text(node, "account"), text(node, "asset"), number(node, "revision"),
                number(node, "seq"), micros(text(node, "at")), node.path("commandId").isTextual() ? node.get("commandId").asText() : null,
                text(node, "type"), amount(node, "available"), amount(node, "held"), amount(node, "availableDelta"),
                amount(node, "heldDelta"));
    }

    /** The total change (available + held): negative for a payer, positive for a payee. */
    BigDecimal totalDelta() {
        return availableDelta.add(heldDelta);
    }

    /** The line the per-account checksum hashes: every field, amounts written canonically. */
    String canonical() {
        return revision + "|" + seq + "|" + atMicros + "|" + (commandId == null ? "" : commandId) + "|" + type + "|"
                + plain(available) + "|" + plain(held) + "|" + plain(availableDelta) + "|" + plain(heldDelta);
    }

    static String plain(BigDecimal value) {
        return value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(field + ": missing or not a string");
        }
        return value.asText();
    }

    private static long number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToLong() || !value.isIntegralNumber()) {
            throw new IllegalArgumentException(field + ": missing or not an integer");
        }
        return value.asLong();
    }

    private static BigDecimal amount(JsonNode node, String field) {
        String text = text(node, field);
        if (!text.matches("-?[0-9]{1,40}(\\.[0-9]{1,18})?")) {
            throw new IllegalArgumentException(field + ": \"" + text + "\" is not a plain decimal");
        }
        return new BigDecimal(text);
    }

    static long micros(String rfc3339) {
        try {
            Instant at = Instant.parse(rfc3339);
            return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1_000);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("at: \"" + rfc3339 + "\" is not an RFC 3339 time");
        }
    }
}
