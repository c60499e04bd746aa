package jango.bank.telegram;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One telegram: its type and its field values (header and body). Build one with {@link #of},
 * write it with {@link #frame()} and read one with {@link #parse(byte[])}.
 */
public final class Telegram {
    /** Longest frame accepted from the line: far above every layout, so a corrupt header cannot allocate much. */
    public static final int MAX_FRAME_BYTES = 4096;

    private final MessageType type;
    private final Map<String, Object> values;

    private Telegram(MessageType type, Map<String, Object> values) {
        this.type = type;
        this.values = values;
    }

    /** A new telegram of {@code type}; set every header field but {@code type} and the body with {@link #with}. */
    public static Telegram of(MessageType type) {
        Map<String, Object> values = new HashMap<>();
        values.put("type", Long.parseLong(type.code()));
        return new Telegram(type, values);
    }

    /** A copy with {@code field} set (String for text, Long/Integer/String of digits for numbers). */
    public Telegram with(String field, Object value) {
        if (!type.layout().has(field)) {
            throw new TelegramException(type.layout().name() + "." + field + ": no such field");
        }
        if (field.equals("type")) {
            throw new TelegramException("type: is set by the telegram's type");
        }
        Map<String, Object> copy = new HashMap<>(values);
        copy.put(field, value);
        return new Telegram(type, copy);
    }

    public MessageType type() {
        return type;
    }

    public String text(String field) {
        type.layout().field(field);
        Object value = values.get(field);
        return value == null ? "" : value.toString();
    }

    public long number(String field) {
        type.layout().field(field);
        Object value = values.get(field);
        if (value == null) {
            return 0;
        }
        return value instanceof Number number ? number.longValue() : Long.parseLong(value.toString());
    }

    public int bank() {
        return (int) number("bank");
    }

    public long txNo() {
        return number("txNo");
    }

    /** The header's answer code; blank in a request. */
    public String code() {
        return text("code");
    }

    /** The bytes on the line: 4-digit length, header, body. */
    public byte[] frame() {
        byte[] content = type.layout().encode(values);
        String length = String.format("%0" + MessageType.LENGTH_DIGITS + "d", content.length);
        byte[] frame = new byte[MessageType.LENGTH_DIGITS + content.length];
        System.arraycopy(length.getBytes(StandardCharsets.US_ASCII), 0, frame, 0, MessageType.LENGTH_DIGITS);
        System.arraycopy(content, 0, frame, MessageType.LENGTH_DIGITS, content.length);
        return frame;
    }

    /**
     * Reads the content of one frame (after the length header): the type from its first four
     * bytes, then every field of that type's layout. Trailing bytes are an error.
     */
    public static Telegram parse(byte[] content) {
        if (content.length < 4) {
            throw new TelegramException("frame: " + content.length + " bytes (expected: a header of " + MessageType.HEADER.length() + ")");
        }
        MessageType type = MessageType.byCode(new String(content, 0, 4, StandardCharsets.US_ASCII));
        if (content.length != type.layout().length()) {
            throw new TelegramException(type + ": " + content.length + " bytes (expected: " + type.layout().length() + ")");
        }
        return new Telegram(type, new HashMap<>(type.layout().decode(content, 0)));
    }

    /** The value of the length header, checked: digits only, within bounds. */
    public static int parseLength(byte[] header) {
        int length = 0;
        for (byte b : header) {
            if (b < '0' || b > '9') {
                throw new TelegramException("length: byte 0x" + Integer.toHexString(b & 0xff) + " is not a digit");
            }
            length = length * 10 + (b - '0');
        }
        if (length < MessageType.HEADER.length() || length > MAX_FRAME_BYTES) {
            throw new TelegramException("length: " + length + " (expected: " + MessageType.HEADER.length() + ".." + MAX_FRAME_BYTES + ")");
        }
        return length;
    }

    @Override
    public String toString() {
        return type + "{bank=" + values.get("bank") + ", txNo=" + values.get("txNo") + ", code=" + values.get("code") + "}";
    }
}
