package jango.server;

import jango.engine.Int128;

/**
 * An amount's canonical decimal text (as {@link Int128#toDecimalString}: no exponent, no leading
 * zeros, no trailing fraction zeros, "0" for zero, "-" for negatives) written into a reusable char
 * buffer, with no String per amount: rendering amounts showed in the server's profile. Amounts
 * that fit a long take this path; larger ones (rare: 18-decimal tokens past 9.2 units) fall back
 * to Int128's own text.
 */
final class AmountText {
    /** 128 bits have at most 39 digits, plus a sign, a point and a leading "0." for small fractions. */
    private final char[] text = new char[64];
    private int length;

    char[] chars() {
        return text;
    }

    int length() {
        return length;
    }

    /** Writes {@code minor / 10^scale} and returns this, for {@link #chars()} and {@link #length()}. */
    AmountText of(Int128 minor, int scale) {
        long hi = minor.hi();
        long lo = minor.lo();
        boolean fitsLong = (hi == 0 && lo >= 0) || (hi == -1 && lo < 0 && lo != Long.MIN_VALUE);
        if (!fitsLong) {
            String slow = minor.toDecimalString(scale);
            slow.getChars(0, slow.length(), text, 0);
            length = slow.length();
            return this;
        }
        long magnitude = Math.abs(lo);
        // Digits right to left into the end of the buffer, then moved to the front.
        int end = text.length;
        int at = end;
        int fractionDigits = 0;
        boolean trailing = true;
        while (fractionDigits < scale) {
            int digit = (int) (magnitude % 10);
            magnitude /= 10;
            fractionDigits++;
            if (trailing && digit == 0) {
                continue; // a trailing fraction zero is not written
            }
            trailing = false;
            text[--at] = (char) ('0' + digit);
        }
        if (at != end) {
            text[--at] = '.';
        }
        do {
            text[--at] = (char) ('0' + (int) (magnitude % 10));
            magnitude /= 10;
        } while (magnitude > 0);
        if (lo < 0) {
            text[--at] = '-';
        }
        length = end - at;
        System.arraycopy(text, at, text, 0, length);
        return this;
    }
}
