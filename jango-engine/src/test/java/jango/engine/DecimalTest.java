package jango.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecimalTest {
    private static final String MAX_DIGITS = "170141183460469231731687303715884105727"; // 2^127-1

    @Test
    void parsesPlainDecimalsAsTyped() {
        assertThat(Decimal.parse("1.5", false)).isEqualTo(new Decimal(Int128.of(15), 1));
        assertThat(Decimal.parse("0.00000001", false)).isEqualTo(new Decimal(Int128.of(1), 8));
        assertThat(Decimal.parse("1000", false)).isEqualTo(new Decimal(Int128.of(1000), 0));
        // Fraction digits count as typed: "1.50" needs a scale of at least 2.
        assertThat(Decimal.parse("1.50", false)).isEqualTo(new Decimal(Int128.of(150), 2));
        assertThat(Decimal.parse("0.5", false).signum()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1e5", "1E5", "+1", "-1", ".5", "5.", "1.2.3", " 1", "1 ", "0", "0.000", "00", "1,5", "abc", "-",
            "0x10", "１"})
    void refusesWhatIsNotAPositivePlainDecimal(String text) {
        assertThatThrownBy(() -> Decimal.parse(text, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesTextLongerThanTheLimitButNotAtIt() {
        String atLimit = "1" + "0".repeat(Decimal.MAX_TEXT_LENGTH - 1);
        assertThat(Decimal.parse(atLimit, false).overflowed()).isTrue();
        assertThatThrownBy(() -> Decimal.parse(atLimit + "0", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than " + Decimal.MAX_TEXT_LENGTH);
        String smallButLong = "0." + "0".repeat(Decimal.MAX_TEXT_LENGTH - 3) + "1";
        assertThat(smallButLong).hasSize(Decimal.MAX_TEXT_LENGTH);
        assertThat(Decimal.parse(smallButLong, false)).isEqualTo(new Decimal(Int128.ONE, Decimal.MAX_TEXT_LENGTH - 2));
    }

    @Test
    void signedParseAcceptsOneLeadingMinus() {
        assertThat(Decimal.parse("-1.5", true)).isEqualTo(new Decimal(Int128.of(-15), 1));
        assertThat(Decimal.parse("-1.5", true).signum()).isEqualTo(-1);
        assertThat(Decimal.parse("2", true)).isEqualTo(new Decimal(Int128.of(2), 0));
        assertThat(Decimal.parse("-0.01", true)).isEqualTo(new Decimal(Int128.of(-1), 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-", "--1", "-0", "-0.00", "+1", "-.5", "-5.", "1-", "- 1"})
    void signedParseRefusesBadSignsAndZero(String text) {
        assertThatThrownBy(() -> Decimal.parse(text, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void digitsBeyond127BitsAreOverflowedNotAnError() {
        Decimal max = Decimal.parse(MAX_DIGITS, false);
        assertThat(max.overflowed()).isFalse();
        assertThat(max.unscaled()).isEqualTo(Int128.MAX);

        Decimal justOver = Decimal.parse("170141183460469231731687303715884105728", false);
        assertThat(justOver.overflowed()).isTrue();
        assertThat(justOver.unscaled()).isNull();
        assertThat(justOver.signum()).isEqualTo(1);

        Decimal overWithFraction = Decimal.parse("99999999999999999999999999999999999999999.25", false);
        assertThat(overWithFraction.overflowed()).isTrue();
        assertThat(overWithFraction.fractionDigits()).isEqualTo(2);

        assertThat(Decimal.parse("-" + MAX_DIGITS, true).unscaled()).isEqualTo(Int128.MAX.negate());
        // -2^127 fits Int128, but its magnitude is beyond the range of an amount.
        assertThat(Decimal.parse("-170141183460469231731687303715884105728", true).overflowed()).isTrue();
        assertThat(Decimal.parse("9".repeat(Decimal.MAX_TEXT_LENGTH), false).overflowed()).isTrue();
    }

    @Test
    void toMinorScalesUpExactly() {
        assertThat(Decimal.parse("1.5", false).toMinor(8)).isEqualTo(Int128.of(150_000_000));
        assertThat(Decimal.parse("1.5", false).toMinor(1)).isEqualTo(Int128.of(15));
        assertThat(Decimal.parse("-1.5", true).toMinor(2)).isEqualTo(Int128.of(-150));
        assertThat(Decimal.parse("1", false).toMinor(18).toBigInteger()).isEqualTo(BigInteger.TEN.pow(18));
        assertThat(Decimal.parse("100000000000000000000", false).toMinor(18).toBigInteger()).isEqualTo(BigInteger.TEN.pow(38));
        assertThat(Decimal.parse(MAX_DIGITS, false).toMinor(0)).isEqualTo(Int128.MAX);
    }

    @Test
    void toMinorOverflowIsAnArithmeticException() {
        assertThatThrownBy(() -> Decimal.parse("1000000000000000000000", false).toMinor(18))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Decimal.parse(MAX_DIGITS, false).toMinor(1)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Decimal.parse("-" + MAX_DIGITS, true).toMinor(1)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Decimal.parse("9".repeat(50), false).toMinor(0)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void toMinorRefusesMoreFractionDigitsThanTheScale() {
        assertThatThrownBy(() -> Decimal.parse("1.25", false).toMinor(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void constructorChecksFractionDigits() {
        assertThatThrownBy(() -> new Decimal(Int128.ONE, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Decimal(Int128.ONE, Decimal.MAX_TEXT_LENGTH + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Decimal(null, 3, "9".repeat(50)).overflowed()).isTrue();
        assertThatThrownBy(() -> new Decimal(null, 3, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Decimal(Int128.ONE, 0, "1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oversizedAmountsKeepTheirTextSoDifferentBodiesConflict() {
        Decimal a = Decimal.parse("9".repeat(50), false);
        Decimal b = Decimal.parse("8".repeat(50), false);
        assertThat(a.overflowed()).isTrue();
        assertThat(Decimal.parse("-" + "9".repeat(50), true).signum()).isEqualTo(-1);
        Harness harness = new Harness();
        harness.apply(new Command.RegisterAsset("KRW", 0));
        Outcome first = harness.apply(new Command.Deposit("big", "u1", "KRW", a));
        assertThat(first.result().reason()).isEqualTo(Reason.AMOUNT_OVERFLOW);
        assertThat(harness.apply(new Command.Deposit("big", "u1", "KRW", a)).kind()).isEqualTo(Outcome.Kind.REPLAYED);
        assertThat(harness.apply(new Command.Deposit("big", "u1", "KRW", b)).kind()).isEqualTo(Outcome.Kind.ID_CONFLICT);
        assertThat(CommandCodec.decode(new ByteReader(CommandCodec.encode(new Command.Deposit("big", "u1", "KRW", b)))))
                .isEqualTo(new Command.Deposit("big", "u1", "KRW", b));
    }
}
