package jango.engine;

/**
 * Signed 128-bit arithmetic on {@code (hi, lo)} pairs of longs, two's complement, with no object
 * per operation: the engine's balances live in long arrays, and an {@link Int128} per addition was
 * most of its garbage. Every operation that can overflow says so ({@link #add} returns false); the
 * caller turns that into AMOUNT_OVERFLOW. Results come back through a {@link Wide} register.
 */
final class Wide {
    long hi;
    long lo;

    Wide set(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
        return this;
    }

    boolean isZero() {
        return hi == 0 && lo == 0;
    }

    /** {@code this = a + b}; false (and this unchanged) when the exact sum is outside 128 bits. */
    boolean add(long aHi, long aLo, long bHi, long bLo) {
        long sumLo = aLo + bLo;
        long sumHi = aHi + bHi + (Long.compareUnsigned(sumLo, aLo) < 0 ? 1 : 0);
        // Overflow: both operands have one sign and the result the other.
        if (((aHi ^ sumHi) & (bHi ^ sumHi)) < 0) {
            return false;
        }
        hi = sumHi;
        lo = sumLo;
        return true;
    }

    /** {@code this = a - b}; false when outside 128 bits. */
    boolean subtract(long aHi, long aLo, long bHi, long bLo) {
        long diffLo = aLo - bLo;
        long diffHi = aHi - bHi - (Long.compareUnsigned(aLo, bLo) < 0 ? 1 : 0);
        // Overflow: the operands have different signs and the result has the subtrahend's sign.
        if (((aHi ^ bHi) & (aHi ^ diffHi)) < 0) {
            return false;
        }
        hi = diffHi;
        lo = diffLo;
        return true;
    }

    /**
     * {@code this = magnitude * factor} for a non-negative magnitude and a factor in 1..10^18;
     * false when the product passes 2^127 - 1.
     */
    boolean multiply(long magnitudeHi, long magnitudeLo, long factor) {
        long loProductHi = Math.unsignedMultiplyHigh(magnitudeLo, factor);
        long loProductLo = magnitudeLo * factor;
        long hiProductHi = Math.multiplyHigh(magnitudeHi, factor);
        long hiProductLo = magnitudeHi * factor;
        if (hiProductHi != 0 || hiProductLo < 0) {
            return false;
        }
        long resultHi = hiProductLo + loProductHi;
        if (resultHi < 0 || Long.compareUnsigned(resultHi, hiProductLo) < 0) {
            return false;
        }
        hi = resultHi;
        lo = loProductLo;
        return true;
    }

    static int compare(long aHi, long aLo, long bHi, long bLo) {
        int byHi = Long.compare(aHi, bHi);
        return byHi != 0 ? byHi : Long.compareUnsigned(aLo, bLo);
    }

    /** The negation's hi word; the lo word is {@code -lo}. Callers never negate MIN (amounts are positive). */
    static long negateHi(long hi, long lo) {
        return ~hi + (lo == 0 ? 1 : 0);
    }

    static String format(long hi, long lo, int scale) {
        return Int128.of(hi, lo).toDecimalString(scale);
    }
}
