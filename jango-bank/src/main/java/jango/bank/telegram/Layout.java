package jango.bank.telegram;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixed-length record declared once, as a table of {@link Field}s, and the only code that turns
 * values into bytes and back. Telegrams ({@link Layouts}) and statement records use it alike.
 * Every value is checked against its field: a number that does not fit, text that is not ASCII
 * or not EUC-KR, or text longer than its field is refused, never cut.
 */
public final class Layout {
    public static final Charset EUC_KR = Charset.forName("EUC-KR");

    private final String name;
    private final List<Field> fields;
    private final Map<String, Integer> index = new HashMap<>();
    private final int[] offsets;
    private final int length;

    public Layout(String name, List<Field> fields) {
        this.name = name;
        this.fields = List.copyOf(fields);
        this.offsets = new int[this.fields.size()];
        int offset = 0;
        for (int i = 0; i < this.fields.size(); i++) {
            Field field = this.fields.get(i);
            if (index.put(field.name(), i) != null) {
                throw new IllegalArgumentException(name + ": field " + field.name() + " declared twice");
            }
            offsets[i] = offset;
            offset += field.length();
        }
        this.length = offset;
    }

    public static Layout of(String name, Field... fields) {
        return new Layout(name, List.of(fields));
    }

    /** This layout's fields followed by {@code more}'s (a header and a body). */
    public Layout then(String newName, Layout more) {
        List<Field> all = new ArrayList<>(fields);
        all.addAll(more.fields);
        return new Layout(newName, all);
    }

    public String name() {
        return name;
    }

    public List<Field> fields() {
        return fields;
    }

    /** Bytes of one record. */
    public int length() {
        return length;
    }

    public boolean has(String field) {
        return index.containsKey(field);
    }

    public Field field(String fieldName) {
        Integer i = index.get(fieldName);
        if (i == null) {
            throw new IllegalArgumentException(name + " has no field " + fieldName);
        }
        return fields.get(i);
    }

    /**
     * Writes {@code values} (field name -> String, or Long/Integer for numeric fields) as one
     * record. A field without a value is zeros (N) or spaces (AN, H).
     *
     * @throws TelegramException naming the field when a value does not fit it
     */
    public byte[] encode(Map<String, ?> values) {
        for (String key : values.keySet()) {
            if (!index.containsKey(key)) {
                throw new TelegramException(name + "." + key + ": no such field");
            }
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        for (Field field : fields) {
            Object value = values.get(field.name());
            out.put(encodeField(field, value));
        }
        return out.array();
    }

    /**
     * Reads one record at {@code offset}: field name -> String (text, trailing spaces removed) or
     * Long (numeric), in layout order.
     *
     * @throws TelegramException naming the field when the bytes break it
     */
    public Map<String, Object> decode(byte[] bytes, int offset) {
        if (bytes.length - offset < length) {
            throw new TelegramException(name + ": " + (bytes.length - offset) + " bytes (expected: " + length + ")");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < fields.size(); i++) {
            Field field = fields.get(i);
            values.put(field.name(), decodeField(field, bytes, offset + offsets[i]));
        }
        return Collections.unmodifiableMap(values);
    }

    private byte[] encodeField(Field field, Object value) {
        byte[] out = new byte[field.length()];
        switch (field.type()) {
            case N -> {
                long number = value == null ? 0 : toLong(field, value);
                String digits = Long.toString(number);
                if (number < 0 || digits.length() > field.length()) {
                    throw new TelegramException(where(field) + number + " does not fit " + field.length() + " digits");
                }
                java.util.Arrays.fill(out, (byte) '0');
                byte[] ascii = digits.getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(ascii, 0, out, out.length - ascii.length, ascii.length);
            }
            case AN, H -> {
                java.util.Arrays.fill(out, (byte) ' ');
                String text = value == null ? "" : value.toString();
                byte[] encoded = encodeText(field, text);
                if (encoded.length > field.length()) {
                    throw new TelegramException(where(field) + "\"" + text + "\" is " + encoded.length + " bytes (expected: at most "
                            + field.length() + ")");
                }
                System.arraycopy(encoded, 0, out, 0, encoded.length);
            }
        }
        return out;
    }

    private Object decodeField(Field field, byte[] bytes, int at) {
        switch (field.type()) {
            case N -> {
                long number = 0;
                for (int i = at; i < at + field.length(); i++) {
                    byte b = bytes[i];
                    if (b < '0' || b > '9') {
                        throw new TelegramException(where(field) + "byte " + (i - at) + " is 0x" + Integer.toHexString(b & 0xff)
                                + " (expected: a digit)");
                    }
                    number = number * 10 + (b - '0');
                }
                return number;
            }
            default -> {
                int end = at + field.length();
                while (end > at && bytes[end - 1] == ' ') {
                    end--;
                }
                return decodeText(field, ByteBuffer.wrap(bytes, at, end - at));
            }
        }
    }

    /** The bytes {@code text} takes in a field of {@code type} (EUC-KR for H), or a refusal naming the problem. */
    public static byte[] textBytes(Field.Type type, String text) {
        return encodeText(new Field("value", type, Math.max(1, text.length() * 2)), text);
    }

    private static byte[] encodeText(Field field, String text) {
        if (field.type() == Field.Type.AN) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < 0x20 || c > 0x7e) {
                    throw new TelegramException(where(field) + "\"" + text + "\" has a character that is not printable ASCII at " + i);
                }
            }
            return text.getBytes(StandardCharsets.US_ASCII);
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw new TelegramException(where(field) + "\"" + text + "\" has a control character at " + i);
            }
        }
        CharsetEncoder encoder = EUC_KR.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer encoded = encoder.encode(CharBuffer.wrap(text));
            byte[] out = new byte[encoded.remaining()];
            encoded.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new TelegramException(where(field) + "\"" + text + "\" cannot be written in EUC-KR");
        }
    }

    private static String decodeText(Field field, ByteBuffer bytes) {
        if (field.type() == Field.Type.AN) {
            for (int i = bytes.position(); i < bytes.limit(); i++) {
                byte b = bytes.get(i);
                if (b < 0x20 || b > 0x7e) {
                    throw new TelegramException(where(field) + "byte " + (i - bytes.position()) + " is not printable ASCII");
                }
            }
            return StandardCharsets.US_ASCII.decode(bytes).toString();
        }
        CharsetDecoder decoder = EUC_KR.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new TelegramException(where(field) + "is not valid EUC-KR");
        }
    }

    private static long toLong(Field field, Object value) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Integer i) {
            return i;
        }
        String text = value.toString();
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new TelegramException(where(field) + "\"" + text + "\" is not a number of at most 18 digits");
        }
        return Long.parseLong(text);
    }

    private static String where(Field field) {
        return field.name() + ": ";
    }

    @Override
    public String toString() {
        return name + "(" + length + " bytes)";
    }
}
