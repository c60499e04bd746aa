package jango.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The soak's verdict on memory: what it compares, from the samples it took. */
class SoakTest {
    private static final long MB = 1L << 20;

    /** Samples every 30 s at 22,000 commands/s with resident memory given per sample, in MB. */
    private static List<Soak.Sample> samples(long... rssMb) {
        List<Soak.Sample> samples = new ArrayList<>();
        for (int i = 0; i < rssMb.length; i++) {
            long seconds = 30L * (i + 1);
            samples.add(new Soak.Sample(seconds, seconds * 22_000, 300 * MB, rssMb[i] * MB, 0, 22_000));
        }
        return samples;
    }

    /** The 12-million soak of 2026-12-02: caches filling for three minutes, then flat. */
    @Test
    void memoryThatRisesWhileCachesFillAndThenStaysIsFlat() {
        List<Soak.Sample> run = samples(1_203, 1_207, 1_239, 1_332, 1_359, 1_279, 1_355, 1_408, 1_434, 1_395, 1_309,
                1_385, 1_358, 1_414, 1_400, 1_424);
        List<Soak.Sample> after = Soak.afterWarmup(run, 1_200_000);
        assertThat(after).as("the first three minutes are warm-up, whatever the command count").hasSize(11);
        assertThat(Soak.growth(after, Soak.Sample::rssBytes)).isLessThan(0.10);
    }

    @Test
    void memoryThatGoesOnGrowingIsNot() {
        long[] rising = new long[20];
        for (int i = 0; i < rising.length; i++) {
            rising[i] = 1_200 + 25L * i; // 25 MB more every 30 s, for ten minutes
        }
        List<Soak.Sample> after = Soak.afterWarmup(samples(rising), 1_200_000);
        assertThat(Soak.growth(after, Soak.Sample::rssBytes)).isGreaterThan(0.10);
    }
}
