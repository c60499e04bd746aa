package jango.engine;

import java.math.BigInteger;

/**
 * An exact signed 128-bit integer (two's complement in {@code hi:lo}), the type of every amount of
 * minor units. Crypto assets with 18 decimals overflow 64 bits, so long is not enough; BigInteger
 * is unbounded and allocates on every step. Every operation that can overflow is checked and throws
 * {@link ArithmeticException}: money never wraps.
 */
public final class Int128 implements Comparable<Int128> {
    public static final Int128 ZERO = new Int128(0, 0);
    public static final Int128 ONE = new Int128(0, 1);
    public static final Int128 MAX = new Int128(Long.MAX_VALUE, -1L);
    public static final Int128 MIN = new Int128(Long.MIN_VALUE, 0);

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final BigInteger BIG_MAX = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
    private static final BigInteger BIG_MIN = BigInteger.ONE.shiftLeft(127).negate();

    private final long hi;
    private final long lo;

    private Int128(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    public static Int128 of(long hi, long lo) {
        if (hi == 0 && lo == 0) {
            return ZERO;
        }
        return new Int128(hi, lo);
    }

    public static Int128 of(long value) {
        return of(value < 0 ? -1L : 0L, value);
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    public int signum() {
        if (hi < 0) {
            return -1;
        }
        return (hi == 0 && lo == 0) ? 0 : 1;
    }

    public boolean isZero() {
        return hi == 0 && lo == 0;
    }

    public boolean isNegative() {
        return hi < 0;
    }

    /** Checked addition: throws ArithmeticException when the exact sum is outside 128 bits. */
    public Int128 add(Int128 other) {
        long sumLo = lo + other.lo;
        long carry = Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0;
        long sumHi = hi + other.hi + carry;
        // Two's complement overflow: both operands have one sign and the result the other.
        if (((hi ^ sumHi) & (other.hi ^ sumHi)) < 0) {
            throw new ArithmeticException("128-bit overflow");
        }
        return of(sumHi, sumLo);
    }

    /** Checked negation: -MIN does not exist. */
    public Int128 negate() {
        if (hi == Long.MIN_VALUE && lo == 0) {
            throw new ArithmeticException("128-bit overflow");
        }
        long negLo = -lo;
        long negHi = ~hi + (lo == 0 ? 1 : 0);
        return of(negHi, negLo);
    }

    public Int128 subtract(Int128 other) {
        if (other.hi == Long.MIN_VALUE && other.lo == 0) {
            // -MIN overflows, but a - MIN may still fit when a is negative.
            return add(MAX).add(ONE);
        }
        return add(other.negate());
    }

    /** Checked multiplication by a small non-negative factor (a power of ten during parsing). */
    public Int128 multiplySmall(long factor) {
        if (factor < 0) {
            throw new IllegalArgumentException("factor: " + factor + " (expected: >= 0)");
        }
        if (isNegative()) {
            // -MIN does not exist, yet MIN * 1 does: so x * f = -((-(x + 1)) * f) - f, where -(x + 1) always fits.
            return add(ONE).negate().multiplySmall(factor).negate().subtract(of(factor));
        }
        // Unsigned 128 x 64 product of a non-negative value; overflow beyond 127 bits is checked.
        long loProductHi = Math.unsignedMultiplyHigh(lo, factor);
        long loProductLo = lo * factor;
        long hiProductHi = Math.multiplyHigh(hi, factor);
        long hiProductLo = hi * factor;
        if (hiProductHi != 0 || hiProductLo < 0) {
            throw new ArithmeticException("128-bit overflow");
        }
        long resultHi = hiProductLo + loProductHi;
        if (resultHi < 0 || Long.compareUnsigned(resultHi, hiProductLo) < 0) {
            throw new ArithmeticException("128-bit overflow");
        }
        return of(resultHi, loProductLo);
    }

    @Override
    public int compareTo(Int128 other) {
        int byHi = Long.compare(hi, other.hi);
        return byHi != 0 ? byHi : Long.compareUnsigned(lo, other.lo);
    }

    public BigInteger toBigInteger() {
        BigInteger unsignedLo = new BigInteger(Long.toUnsignedString(lo));
        return BigInteger.valueOf(hi).multiply(TWO_64).add(unsignedLo);
    }

    public static Int128 fromBigInteger(BigInteger value) {
        if (value.compareTo(BIG_MAX) > 0 || value.compareTo(BIG_MIN) < 0) {
            throw new ArithmeticException("128-bit overflow");
        }
        return of(value.shiftRight(64).longValue(), value.longValue());
    }

    /** Plain decimal of minor units divided by 10^scale, canonical: no trailing fraction zeros. */
    public String toDecimalString(int scale) {
        if (isZero()) {
            return "0";
        }
        boolean negative = isNegative();
        String digits = negative ? negativeMagnitudeDigits() : unsignedDigits();
        String text;
        if (scale == 0) {
            text = digits;
        } else {
            if (digits.length() <= scale) {
                digits = "0".repeat(scale - digits.length() + 1) + digits;
            }
            int point = digits.length() - scale;
            int end = digits.length();
            while (end > point && digits.charAt(end - 1) == '0') {
                end--;
            }
            text = end == point ? digits.substring(0, point) : digits.substring(0, point) + "." + digits.substring(point, end);
        }
        return negative ? "-" + text : text;
    }

    /** Digits of -this for a negative value; system balances are negative, so this is common. */
    private String negativeMagnitudeDigits() {
        if (hi == -1 && lo != Long.MIN_VALUE && lo < 0) {
            return Long.toString(-lo);
        }
        return toBigInteger().negate().toString();
    }

    private String unsignedDigits() {
        if (hi == 0) {
            return Long.toUnsignedString(lo);
        }
        return toBigInteger().toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Int128 other && other.hi == hi && other.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi) * 31 + Long.hashCode(lo);
    }

    @Override
    public String toString() {
        return toDecimalString(0);
    }
}
