package jango.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class IdFilterTest {
    /** The estimate is what an operator watches (metrics, logs): it must match the rate probes meet. */
    @Test
    void theFalsePositiveRateItReportsIsTheRateFreshIdsMeet() {
        IdFilter filter = new IdFilter(64 << 10); // 524,288 bits
        assertThat(filter.falsePositivesPerMillion()).isZero();
        long previous = 0;
        int put = 0;
        for (int ids : new int[] {26_000, 52_000, 78_000, 105_000}) { // about 20, 10, 7 and 5 bits per id
            for (; put < ids; put++) {
                filter.put("c-" + put, IdFilter.COMMAND_SEED);
            }
            int probes = 400_000;
            int maybes = 0;
            for (int i = 0; i < probes; i++) {
                if (filter.mightContain("fresh-" + ids + "-" + i, IdFilter.COMMAND_SEED)) {
                    maybes++;
                }
            }
            double measured = maybes / (double) probes;
            double reported = filter.falsePositivesPerMillion() / 1e6;
            assertThat(reported).as("at %d ids", ids).isCloseTo(measured, within(Math.max(0.002, measured * 0.1)));
            assertThat(filter.falsePositivesPerMillion()).as("rises as ids accumulate").isGreaterThan(previous);
            previous = filter.falsePositivesPerMillion();
        }
        assertThat(previous).as("5 bits per id: far from the 1%% of 10").isGreaterThan(100_000);
        for (int i = 0; i < put; i++) {
            assertThat(filter.mightContain("c-" + i, IdFilter.COMMAND_SEED)).isTrue();
        }
    }

    /** A large filter is measured on a sample of its blocks: still the rate fresh ids meet. */
    @Test
    void aLargeFiltersSampledRateIsTheRateFreshIdsMeet() {
        IdFilter filter = new IdFilter(8 << 20); // 262,144 blocks, a quarter of them read
        for (int i = 0; i < 8_000_000; i++) { // about 8 bits per id
            filter.put("c-" + i, IdFilter.COMMAND_SEED);
        }
        int probes = 400_000;
        int maybes = 0;
        for (int i = 0; i < probes; i++) {
            if (filter.mightContain("fresh-" + i, IdFilter.COMMAND_SEED)) {
                maybes++;
            }
        }
        double measured = maybes / (double) probes;
        assertThat(measured).isBetween(0.01, 0.05);
        assertThat(filter.falsePositivesPerMillion() / 1e6).isCloseTo(measured, within(measured * 0.1));
    }

    @Test
    void withoutAFilterEveryIdIsLookedUp() {
        assertThat(new IdFilter(0).falsePositivesPerMillion()).isEqualTo(1_000_000);
    }
}
