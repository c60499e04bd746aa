package jango.bank;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MaintenanceCalendarTest {
    private static final ZoneId SEOUL = ZoneId.of("Asia/Seoul");

    private static Instant at(String seoulTime) {
        return OffsetDateTime.parse(seoulTime + "+09:00").toInstant();
    }

    @Test
    void aDailyWindowAcrossMidnightEndsTheNextDay() {
        MaintenanceCalendar calendar = new MaintenanceCalendar(SEOUL, List.of(MaintenanceCalendar.parseDaily("23:30-00:30")), List.of(), List.of());
        assertThat(calendar.endOfWindowAt(at("2026-11-26T23:29:59"))).isNull();
        assertThat(calendar.endOfWindowAt(at("2026-11-26T23:30:00"))).isEqualTo(at("2026-11-27T00:30:00"));
        assertThat(calendar.endOfWindowAt(at("2026-11-27T00:10:00"))).as("the part after midnight").isEqualTo(at("2026-11-27T00:30:00"));
        assertThat(calendar.endOfWindowAt(at("2026-11-27T00:30:00"))).as("the end is open again").isNull();
    }

    @Test
    void aWeeklyWindowCountsOnlyOnItsDay() {
        MaintenanceCalendar calendar = new MaintenanceCalendar(SEOUL, List.of(), List.of(MaintenanceCalendar.parseWeekly("SUN 02:00-06:00")), List.of());
        assertThat(calendar.endOfWindowAt(at("2026-11-29T03:00:00"))).as("a Sunday").isEqualTo(at("2026-11-29T06:00:00"));
        assertThat(calendar.endOfWindowAt(at("2026-11-28T03:00:00"))).as("a Saturday").isNull();
    }

    @Test
    void windowsThatTouchAreWaitedOutTogether() {
        MaintenanceCalendar calendar = new MaintenanceCalendar(SEOUL, List.of(MaintenanceCalendar.parseDaily("23:30-00:30")),
                List.of(MaintenanceCalendar.parseWeekly("FRI 00:30-01:00")),
                List.of(new MaintenanceCalendar.Announced("a", at("2026-11-27T00:50:00"), at("2026-11-27T02:00:00"), "upgrade")));
        assertThat(calendar.endOfWindowAt(at("2026-11-26T23:45:00"))).isEqualTo(at("2026-11-27T02:00:00"));
    }

    @Test
    void badWindowsAreRefusedSayingWhy() {
        assertThatThrownBy(() -> MaintenanceCalendar.parseDaily("23:30")).hasMessageContaining("HH:MM-HH:MM");
        assertThatThrownBy(() -> MaintenanceCalendar.parseWeekly("XYZ 01:00-02:00")).hasMessageContaining("is not a day");
        assertThatThrownBy(() -> MaintenanceCalendar.parseDaily("01:00-01:00")).hasMessageContaining("is empty");
    }
}
