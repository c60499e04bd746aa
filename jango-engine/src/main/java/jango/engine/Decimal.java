package jango.engine;

/**
 * An amount as the client wrote it: its digits as an integer and how many of them were fraction
 * digits. It becomes minor units only against an asset's scale, inside the engine, because only
 * the engine knows the asset (an unknown asset or too many fraction digits is a REJECTED result,
 * not a malformed request). {@code unscaled == null} means the digits alone exceed 128 bits: the
 * command is still well formed and is rejected with AMOUNT_OVERFLOW; {@code overflowText} then keeps
 * the text as written, so two different oversized amounts are still different bodies (ID_CONFLICT).
 */
public record Decimal(Int128 unscaled, int fractionDigits, String overflowText) {
    /** Longest amount text accepted at all; longer is malformed rather than merely too large. */
    public static final int MAX_TEXT_LENGTH = 100;

    private static final Int128[] POWERS_OF_TEN = new Int128[39];

    static {
        Int128 power = Int128.ONE;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = power;
            if (i < POWERS_OF_TEN.length - 1) {
                power = power.multiplySmall(10);
            }
        }
    }

    public Decimal {
        if (fractionDigits < 0 || fractionDigits > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("fractionDigits: " + fractionDigits + " (expected: 0.." + MAX_TEXT_LENGTH + ")");
        }
        if ((unscaled == null) == (overflowText == null)) {
            throw new IllegalArgumentException("exactly one of unscaled and overflowText must be set");
        }
        if (overflowText != null && (overflowText.isEmpty() || overflowText.length() > MAX_TEXT_LENGTH)) {
            throw new IllegalArgumentException("overflowText: length " + overflowText.length() + " (expected: 1.." + MAX_TEXT_LENGTH + ")");
        }
    }

    /** An amount that fits 128 bits. */
    public Decimal(Int128 unscaled, int fractionDigits) {
        this(java.util.Objects.requireNonNull(unscaled, "unscaled"), fractionDigits, null);
    }

    public boolean overflowed() {
        return unscaled == null;
    }

    public int signum() {
        if (unscaled == null) {
            return overflowText.charAt(0) == '-' ? -1 : 1;
        }
        return unscaled.signum();
    }

    /**
     * Parses a plain decimal: digits, optionally '.' and more digits; a leading '-' only when
     * {@code signed}. Zero is refused (amounts are positive or, when signed, non-zero).
     *
     * @throws IllegalArgumentException with a message that says what is wrong with the text
     */
    public static Decimal parse(String text, boolean signed) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("is empty (expected: a decimal string such as \"1.5\")");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        int start = 0;
        boolean negative = false;
        if (text.charAt(0) == '-' && signed) {
            negative = true;
            start = 1;
        }
        int point = -1;
        int digits = 0;
        Int128 value = Int128.ZERO;
        boolean overflow = false;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.') {
                if (point >= 0 || digits == 0) {
                    throw new IllegalArgumentException("\"" + text + "\" is not a plain decimal (expected: digits with at most one '.' between digits)");
                }
                point = i;
                continue;
            }
            if (c < '0' || c > '9') {
                String expected = signed ? "an optional '-', digits and at most one '.'" : "digits and at most one '.', no sign or exponent";
                throw new IllegalArgumentException("\"" + text + "\" is not a plain decimal (expected: " + expected + ")");
            }
            digits++;
            if (!overflow) {
                try {
                    value = value.multiplySmall(10).add(Int128.of(c - '0'));
                } catch (ArithmeticException e) {
                    overflow = true;
                }
            }
        }
        if (digits == 0 || point == text.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\" is not a plain decimal (expected: digits with at most one '.' between digits)");
        }
        int fractionDigits = point < 0 ? 0 : text.length() - point - 1;
        if (!overflow && value.isZero()) {
            throw new IllegalArgumentException("is zero (expected: " + (signed ? "a non-zero amount" : "a positive amount") + ")");
        }
        if (overflow) {
            return new Decimal(null, fractionDigits, text);
        }
        return new Decimal(negative ? value.negate() : value, fractionDigits);
    }

    /** 10^exponent for 0..18 (the scales), as a long. */
    public static long powerOfTen(int exponent) {
        if (exponent < 0 || exponent > 18) {
            throw new IllegalArgumentException("exponent: " + exponent + " (expected: 0..18)");
        }
        return POWERS_OF_TEN[exponent].lo();
    }

    /** Minor units at {@code scale}; the caller has checked {@code fractionDigits <= scale}. */
    public Int128 toMinor(int scale) {
        if (unscaled == null) {
            throw new ArithmeticException("128-bit overflow");
        }
        int shift = scale - fractionDigits;
        if (shift < 0) {
            throw new IllegalArgumentException("fractionDigits " + fractionDigits + " exceed scale " + scale);
        }
        if (shift == 0) {
            return unscaled;
        }
        return multiplyByPowerOfTen(unscaled, shift);
    }

    private static Int128 multiplyByPowerOfTen(Int128 value, int exponent) {
        Int128 result = value;
        // Scale is at most 18, so 10^exponent fits a long.
        long factor = POWERS_OF_TEN[exponent].lo();
        return result.multiplySmall(factor);
    }

    @Override
    public String toString() {
        if (unscaled == null) {
            return "overflow(" + fractionDigits + ")";
        }
        return unscaled.toDecimalString(fractionDigits) + "(fd=" + fractionDigits + ")";
    }
}
