package jango.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written name matchers agree with the regexes of shared/API.md on every string tried. */
class NamesTest {
    private static final String ALPHABET = "AZaz09._:-@ !#/\\u00e9Bb9Zq";

    @Test
    void handMatchersAgreeWithTheRegexes() {
        SplittableRandom random = new SplittableRandom(5);
        for (Names.Shape shape : List.of(Names.ASSET, Names.OWNER, Names.ID)) {
            Pattern regex = Pattern.compile(shape.pattern());
            for (int i = 0; i < 200_000; i++) {
                int length = random.nextInt(70);
                StringBuilder value = new StringBuilder(length);
                for (int j = 0; j < length; j++) {
                    value.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
                String text = value.toString();
                assertThat(shape.matches(text)).as(shape + " on \"" + text + "\"").isEqualTo(regex.matcher(text).matches());
            }
            for (String edge : List.of("", "@", "@@a", "A".repeat(16), "A".repeat(17), "a".repeat(64), "a".repeat(65),
                    "@" + "a".repeat(64), "@" + "a".repeat(65), "BTC", "btc", "u-1.x:y_z")) {
                assertThat(shape.matches(edge)).as(shape + " on \"" + edge + "\"").isEqualTo(regex.matcher(edge).matches());
            }
        }
    }

    /**
     * {@link ByteWriter#writeName} copies a name's chars as single bytes without looking at them,
     * which is right only while every shape admits ASCII alone: widening a shape to other
     * characters must fail here first.
     */
    @Test
    void everyShapeAdmitsOnlyAscii() {
        for (Names.Shape shape : List.of(Names.ASSET, Names.OWNER, Names.ID)) {
            for (char c = 0; c < Character.MAX_VALUE; c++) {
                if (shape.matches("A" + c) || shape.matches(String.valueOf(c))) {
                    assertThat((int) c).as(shape + " admits char " + (int) c).isLessThan(0x80);
                }
            }
        }
    }

    @Test
    void unpairedSurrogatesAreFoundAndPairsAreFine() {
        assertThat(Names.unpairedSurrogate("plain text")).isEqualTo(-1);
        assertThat(Names.unpairedSurrogate("emoji \ud83d\ude00 ok")).isEqualTo(-1);
        assertThat(Names.unpairedSurrogate("x\ud800")).isEqualTo(1);
        assertThat(Names.unpairedSurrogate("x\ud800y")).isEqualTo(1);
        assertThat(Names.unpairedSurrogate("\udc00x")).isEqualTo(0);
        assertThat(Names.unpairedSurrogate("\ud83d\ude00\ude00")).isEqualTo(2);
    }

    /** The bug fuzzing found: "x\ud800" and "x?" encoded to the same bytes, so one replayed the other. */
    @Test
    void anAdjustReasonMustBeValidUnicode() {
        Decimal one = Decimal.parse("1", true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Command.Adjust("a1", "u1", "BTC", one, "x\ud800"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reason");
        assertThat(new Command.Adjust("a1", "u1", "BTC", one, "x\ud83d\ude00").reason()).hasSize(3);
    }
}
