package jango.bank.telegram;

/**
 * One fixed-length field of a layout. Numeric fields are right-aligned and zero-padded; text
 * fields are left-aligned and space-padded, ASCII for {@link Type#AN} and EUC-KR for
 * {@link Type#H} (Korean names), where the length counts bytes, not characters.
 */
public record Field(String name, Type type, int length) {
    public enum Type {
        /** Digits only, right-aligned, zero-padded; read back as a long. */
        N,
        /** Printable ASCII, left-aligned, space-padded. */
        AN,
        /** Text in EUC-KR (two bytes per Hangul syllable), left-aligned, space-padded. */
        H
    }

    public Field {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name: is empty");
        }
        if (length < 1 || (type == Type.N && length > 18)) {
            throw new IllegalArgumentException(name + ": length " + length + " (expected: 1.." + (type == Type.N ? 18 : "n") + ")");
        }
    }

    public static Field n(String name, int length) {
        return new Field(name, Type.N, length);
    }

    public static Field an(String name, int length) {
        return new Field(name, Type.AN, length);
    }

    public static Field h(String name, int length) {
        return new Field(name, Type.H, length);
    }
}
