package jango.server;

import jango.engine.Int128;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The amount written from its digits is exactly Int128's canonical text, at every scale. */
class AmountTextTest {

    private static void same(Int128 value, int scale) {
        AmountText text = new AmountText().of(value, scale);
        assertThat(new String(text.chars(), 0, text.length())).as(value + " at scale " + scale).isEqualTo(value.toDecimalString(scale));
    }

    @Test
    void edgesAndRandomValuesAtEveryScale() {
        List<Int128> edges = List.of(Int128.ZERO, Int128.ONE, Int128.of(-1), Int128.of(10), Int128.of(-10), Int128.of(100_000_000L),
                Int128.of(150), Int128.of(-150), Int128.of(Long.MAX_VALUE), Int128.of(-Long.MAX_VALUE), Int128.of(Long.MIN_VALUE),
                Int128.MAX, Int128.MIN.add(Int128.ONE), Int128.of(1, 0), Int128.of(-1, 0), Int128.of(5));
        SplittableRandom random = new SplittableRandom(7);
        for (int scale = 0; scale <= 18; scale++) {
            for (Int128 edge : edges) {
                same(edge, scale);
            }
            for (int i = 0; i < 5_000; i++) {
                long magnitude = random.nextLong() >>> random.nextInt(64);
                same(Int128.of(random.nextBoolean() ? magnitude : -magnitude), scale);
                same(Int128.of(random.nextLong(), random.nextLong()), scale);
            }
        }
    }
}
