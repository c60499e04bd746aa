package jango.engine;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Int128Test {
    private static final BigInteger BIG_MAX = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
    private static final BigInteger BIG_MIN = BigInteger.ONE.shiftLeft(127).negate();
    private static final long SEED = 0x1128_5EEDL;

    private static Int128 big(String decimal) {
        return Int128.fromBigInteger(new BigInteger(decimal));
    }

    @Test
    void constantsAreTheEdgesOf128Bits() {
        assertThat(Int128.MAX.toBigInteger()).isEqualTo(BIG_MAX);
        assertThat(Int128.MIN.toBigInteger()).isEqualTo(BIG_MIN);
        assertThat(Int128.ZERO.toBigInteger()).isZero();
        assertThat(Int128.ONE.toBigInteger()).isOne();
        assertThat(Int128.MAX.toString()).isEqualTo("170141183460469231731687303715884105727");
        assertThat(Int128.MIN.toString()).isEqualTo("-170141183460469231731687303715884105728");
    }

    @Test
    void ofLongSignExtends() {
        assertThat(Int128.of(-1).toBigInteger()).isEqualTo(BigInteger.valueOf(-1));
        assertThat(Int128.of(Long.MIN_VALUE).toBigInteger()).isEqualTo(BigInteger.valueOf(Long.MIN_VALUE));
        assertThat(Int128.of(Long.MAX_VALUE).toBigInteger()).isEqualTo(BigInteger.valueOf(Long.MAX_VALUE));
        assertThat(Int128.of(0)).isSameAs(Int128.ZERO);
        assertThat(Int128.of(0, 0)).isSameAs(Int128.ZERO);
    }

    @Test
    void signumZeroAndNegative() {
        assertThat(Int128.MIN.signum()).isEqualTo(-1);
        assertThat(Int128.of(-1).isNegative()).isTrue();
        assertThat(Int128.ZERO.signum()).isZero();
        assertThat(Int128.ZERO.isZero()).isTrue();
        assertThat(Int128.of(0, Long.MIN_VALUE).signum()).isEqualTo(1); // lo's top bit is not the sign
        assertThat(Int128.of(0, Long.MIN_VALUE).isNegative()).isFalse();
    }

    @Test
    void addCarriesFromLowToHighWord() {
        assertThat(Int128.of(0, -1L).add(Int128.ONE)).isEqualTo(Int128.of(1, 0));
        assertThat(Int128.of(0, -1L).add(Int128.of(0, -1L))).isEqualTo(Int128.of(1, -2L));
        assertThat(Int128.of(-1).add(Int128.ONE)).isEqualTo(Int128.ZERO);
        assertThat(Int128.of(1, 0).add(Int128.of(-1))).isEqualTo(Int128.of(0, -1L));
    }

    @Test
    void addOverflowThrowsAtBothEdges() {
        assertThatThrownBy(() -> Int128.MAX.add(Int128.ONE)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MAX.add(Int128.MAX)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MIN.add(Int128.of(-1))).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MIN.add(Int128.MIN)).isInstanceOf(ArithmeticException.class);
        assertThat(Int128.MAX.add(Int128.MIN)).isEqualTo(Int128.of(-1));
        assertThat(Int128.MAX.add(Int128.ZERO)).isEqualTo(Int128.MAX);
        assertThat(Int128.MIN.add(Int128.MAX)).isEqualTo(Int128.of(-1));
    }

    @Test
    void negateAtTheEdges() {
        assertThatThrownBy(Int128.MIN::negate).isInstanceOf(ArithmeticException.class);
        assertThat(Int128.MAX.negate()).isEqualTo(Int128.MIN.add(Int128.ONE));
        assertThat(Int128.ZERO.negate()).isEqualTo(Int128.ZERO);
        assertThat(Int128.of(1, 0).negate()).isEqualTo(Int128.of(-1, 0));
        assertThat(Int128.of(0, Long.MIN_VALUE).negate().toBigInteger())
                .isEqualTo(BigInteger.ONE.shiftLeft(63).negate());
    }

    @Test
    void subtractAtTheEdges() {
        assertThat(Int128.of(-1).subtract(Int128.MIN)).isEqualTo(Int128.MAX);
        assertThat(Int128.MIN.subtract(Int128.MIN)).isEqualTo(Int128.ZERO);
        assertThatThrownBy(() -> Int128.ZERO.subtract(Int128.MIN)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MAX.subtract(Int128.MIN)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MIN.subtract(Int128.ONE)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MAX.subtract(Int128.of(-1))).isInstanceOf(ArithmeticException.class);
        assertThat(Int128.of(1, 0).subtract(Int128.ONE)).isEqualTo(Int128.of(0, -1L));
    }

    @Test
    void multiplySmallAtTheEdges() {
        assertThat(Int128.MAX.multiplySmall(1)).isEqualTo(Int128.MAX);
        assertThat(Int128.MAX.multiplySmall(0)).isEqualTo(Int128.ZERO);
        assertThatThrownBy(() -> Int128.MAX.multiplySmall(2)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.of(0x4000_0000_0000_0000L, 0).multiplySmall(2)).isInstanceOf(ArithmeticException.class);
        assertThat(Int128.of(0x2000_0000_0000_0000L, 0).multiplySmall(2)).isEqualTo(Int128.of(0x4000_0000_0000_0000L, 0));
        assertThat(Int128.of(0, -1L).multiplySmall(2)).isEqualTo(Int128.of(1, -2L));
        assertThat(Int128.of(0, -1L).multiplySmall(Long.MAX_VALUE).toBigInteger())
                .isEqualTo(new BigInteger("18446744073709551615").multiply(BigInteger.valueOf(Long.MAX_VALUE)));
        assertThat(Int128.of(-7).multiplySmall(3)).isEqualTo(Int128.of(-21));
        assertThat(Int128.MAX.negate().multiplySmall(1)).isEqualTo(Int128.MAX.negate());
        assertThatThrownBy(() -> Int128.MAX.negate().multiplySmall(2)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.ONE.multiplySmall(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Regression: the negative path negated first, and -MIN does not exist, so MIN * 1 "overflowed". */
    @Test
    void multiplySmallLandsExactlyOnMin() {
        assertThat(Int128.MIN.multiplySmall(1)).isEqualTo(Int128.MIN);
        assertThat(Int128.MIN.multiplySmall(0)).isEqualTo(Int128.ZERO);
        assertThat(Int128.of(Long.MIN_VALUE >> 1, 0).multiplySmall(2)).isEqualTo(Int128.MIN); // -2^126 * 2
        assertThat(Int128.of(-1).multiplySmall(Long.MAX_VALUE)).isEqualTo(Int128.of(-Long.MAX_VALUE));
        assertThatThrownBy(() -> Int128.MIN.multiplySmall(2)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.MIN.add(Int128.ONE).multiplySmall(2)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void powersOfTenUpTo38Fit() {
        Int128 power = Int128.ONE;
        for (int i = 1; i <= 38; i++) {
            power = power.multiplySmall(10);
            assertThat(power.toBigInteger()).as("10^%d", i).isEqualTo(BigInteger.TEN.pow(i));
        }
        Int128 tenTo38 = power;
        assertThatThrownBy(() -> tenTo38.multiplySmall(10)).isInstanceOf(ArithmeticException.class);
        assertThat(big("17014118346046923173168730371588410572").multiplySmall(10))
                .isEqualTo(big("170141183460469231731687303715884105720"));
        assertThatThrownBy(() -> big("17014118346046923173168730371588410573").multiplySmall(10))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void bigIntegerConversionsRoundTripAndRefuseOutOfRange() {
        assertThat(Int128.fromBigInteger(BIG_MAX)).isEqualTo(Int128.MAX);
        assertThat(Int128.fromBigInteger(BIG_MIN)).isEqualTo(Int128.MIN);
        assertThatThrownBy(() -> Int128.fromBigInteger(BIG_MAX.add(BigInteger.ONE))).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Int128.fromBigInteger(BIG_MIN.subtract(BigInteger.ONE))).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void compareAndEqualityFollowTheSignedValue() {
        assertThat(Int128.MIN.compareTo(Int128.MAX)).isNegative();
        assertThat(Int128.of(-1).compareTo(Int128.ZERO)).isNegative();
        assertThat(Int128.of(0, Long.MIN_VALUE).compareTo(Int128.of(0, Long.MAX_VALUE))).isPositive(); // unsigned low word
        assertThat(Int128.of(1, 0).compareTo(Int128.of(0, -1L))).isPositive();
        assertThat(Int128.of(5)).isEqualTo(Int128.of(0, 5)).hasSameHashCodeAs(Int128.of(0, 5));
        assertThat(Int128.of(5)).isNotEqualTo(Int128.of(1, 5));
    }

    @Test
    void toDecimalStringAgreesWithBigDecimalAroundTheLongBoundaries() {
        long[] edges = {1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -Long.MAX_VALUE, 123_456_789, -123_456_789};
        for (long value : edges) {
            for (Int128 n : new Int128[] {Int128.of(value), Int128.of(-1, value), Int128.of(0, value), Int128.of(1, value)}) {
                for (int scale : new int[] {0, 2, 8, 18}) {
                    String expected = new java.math.BigDecimal(n.toBigInteger(), scale).stripTrailingZeros().toPlainString();
                    assertThat(n.toDecimalString(scale)).as(n.toBigInteger() + " at scale " + scale).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void toDecimalStringIsCanonical() {
        assertThat(Int128.ZERO.toDecimalString(0)).isEqualTo("0");
        assertThat(Int128.ZERO.toDecimalString(18)).isEqualTo("0");
        assertThat(Int128.of(1).toDecimalString(8)).isEqualTo("0.00000001");
        assertThat(Int128.of(150).toDecimalString(2)).isEqualTo("1.5");
        assertThat(Int128.of(100).toDecimalString(2)).isEqualTo("1");
        assertThat(Int128.of(1000).toDecimalString(0)).isEqualTo("1000");
        assertThat(Int128.of(1010).toDecimalString(2)).isEqualTo("10.1");
        assertThat(Int128.of(5).toDecimalString(1)).isEqualTo("0.5");
        assertThat(Int128.of(-5).toDecimalString(1)).isEqualTo("-0.5");
        assertThat(Int128.of(-1000).toDecimalString(0)).isEqualTo("-1000");
        assertThat(Int128.of(-1000).toDecimalString(3)).isEqualTo("-1");
        assertThat(Int128.of(1_000_000).toDecimalString(18)).isEqualTo("0.000000000001");
        assertThat(Int128.MAX.toDecimalString(18)).isEqualTo("170141183460469231731.687303715884105727");
        assertThat(Int128.MIN.toDecimalString(18)).isEqualTo("-170141183460469231731.687303715884105728");
        assertThat(Int128.MIN.toDecimalString(0)).isEqualTo("-170141183460469231731687303715884105728");
    }

    @Test
    void arithmeticMatchesBigIntegerOnSeededRandomValues() {
        Random random = new Random(SEED);
        for (int i = 0; i < 20_000; i++) {
            BigInteger a = randomValue(random);
            BigInteger b = randomValue(random);
            String context = "seed " + SEED + ", step " + i + ", a=" + a + ", b=" + b;
            Int128 x = Int128.fromBigInteger(a);
            Int128 y = Int128.fromBigInteger(b);
            assertThat(x.toBigInteger()).as(context).isEqualTo(a);
            checkExact(() -> x.add(y), a.add(b), context + " add");
            checkExact(() -> x.subtract(y), a.subtract(b), context + " subtract");
            checkExact(x::negate, a.negate(), context + " negate");
            long factor = randomFactor(random);
            checkExact(() -> x.multiplySmall(factor), a.multiply(BigInteger.valueOf(factor)), context + " * " + factor);
            assertThat(Integer.signum(x.compareTo(y))).as(context + " compare").isEqualTo(a.compareTo(b));
            assertThat(x.signum()).as(context + " signum").isEqualTo(a.signum());
            assertThat(x.equals(y)).as(context + " equals").isEqualTo(a.equals(b));
            int scale = random.nextInt(19);
            assertThat(x.toDecimalString(scale)).as(context + " at scale " + scale)
                    .isEqualTo(new BigDecimal(a, scale).stripTrailingZeros().toPlainString());
        }
    }

    private static void checkExact(java.util.function.Supplier<Int128> operation, BigInteger exact, String context) {
        if (exact.compareTo(BIG_MAX) > 0 || exact.compareTo(BIG_MIN) < 0) {
            assertThatThrownBy(operation::get).as(context).isInstanceOf(ArithmeticException.class);
        } else {
            Int128 actual;
            try {
                actual = operation.get();
            } catch (ArithmeticException e) {
                throw new AssertionError(context + ": threw " + e + ", but the exact result " + exact + " fits 128 bits", e);
            }
            assertThat(actual.toBigInteger()).as(context).isEqualTo(exact);
        }
    }

    /** Values of every size, with extra weight on the edges where carries and overflow live. */
    static BigInteger randomValue(Random random) {
        switch (random.nextInt(8)) {
            case 0:
                return BIG_MAX.subtract(BigInteger.valueOf(random.nextInt(3)));
            case 1:
                return BIG_MIN.add(BigInteger.valueOf(random.nextInt(3)));
            case 2: {
                BigInteger edge = BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(random.nextInt(5) - 2));
                return random.nextBoolean() ? edge : edge.negate();
            }
            case 3:
                return BigInteger.valueOf(random.nextLong());
            default: {
                BigInteger magnitude = new BigInteger(1 + random.nextInt(127), random);
                return random.nextBoolean() ? magnitude : magnitude.negate();
            }
        }
    }

    private static long randomFactor(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> random.nextInt(3);
            case 1 -> BigInteger.TEN.pow(random.nextInt(19)).longValueExact();
            case 2 -> Long.MAX_VALUE - random.nextInt(3);
            default -> random.nextLong() >>> (1 + random.nextInt(63));
        };
    }
}
