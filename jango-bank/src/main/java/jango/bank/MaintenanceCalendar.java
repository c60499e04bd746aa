package jango.bank;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A bank's maintenance windows: daily ones ("23:30-00:30"), weekly ones ("SUN 02:00-06:00"), both
 * in the bank's time zone, and announced ones (absolute instants, set through the admin API).
 * A window may cross midnight. Windows that touch or overlap count as one: a withdrawal waits for
 * the end of all of them.
 */
public final class MaintenanceCalendar {
    /** Most windows chained back to back that {@link #endOfWindowAt} follows; past it the calendar is nonsense. */
    private static final int MAX_CHAIN = 64;

    public record Daily(LocalTime from, LocalTime to) {
        public Daily {
            if (from.equals(to)) {
                throw new IllegalArgumentException("daily window " + from + "-" + to + ": is empty");
            }
        }
    }

    public record Weekly(DayOfWeek day, LocalTime from, LocalTime to) {
        public Weekly {
            if (from.equals(to)) {
                throw new IllegalArgumentException("weekly window " + day + " " + from + "-" + to + ": is empty");
            }
        }
    }

    public record Announced(String id, Instant from, Instant to, String reason) {
        public Announced {
            if (!to.isAfter(from)) {
                throw new IllegalArgumentException("to: " + to + " is not after from: " + from);
            }
        }
    }

    private final ZoneId zone;
    private final List<Daily> daily;
    private final List<Weekly> weekly;
    private final List<Announced> announced;

    public MaintenanceCalendar(ZoneId zone, List<Daily> daily, List<Weekly> weekly, List<Announced> announced) {
        this.zone = zone;
        this.daily = List.copyOf(daily);
        this.weekly = List.copyOf(weekly);
        this.announced = List.copyOf(announced);
    }

    public static MaintenanceCalendar none(ZoneId zone) {
        return new MaintenanceCalendar(zone, List.of(), List.of(), List.of());
    }

    public ZoneId zone() {
        return zone;
    }

    public List<Daily> daily() {
        return daily;
    }

    public List<Weekly> weekly() {
        return weekly;
    }

    public List<Announced> announced() {
        return announced;
    }

    public MaintenanceCalendar withAnnounced(List<Announced> newAnnounced) {
        return new MaintenanceCalendar(zone, daily, weekly, newAnnounced);
    }

    /** The end of the maintenance that {@code at} falls in (windows chained), or null when the bank is open. */
    public Instant endOfWindowAt(Instant at) {
        Instant end = null;
        Instant probe = at;
        for (int i = 0; i < MAX_CHAIN; i++) {
            Instant next = latestEndCovering(probe);
            if (next == null) {
                return end;
            }
            end = next;
            probe = next;
        }
        return end;
    }

    /** Of the windows containing {@code at} ([from, to)), the latest end; null if none contains it. */
    private Instant latestEndCovering(Instant at) {
        Instant latest = null;
        LocalDate today = at.atZone(zone).toLocalDate();
        for (LocalDate day = today.minusDays(1); !day.isAfter(today); day = day.plusDays(1)) {
            for (Daily window : daily) {
                latest = later(latest, covering(at, day, window.from(), window.to()));
            }
            for (Weekly window : weekly) {
                if (day.getDayOfWeek() == window.day()) {
                    latest = later(latest, covering(at, day, window.from(), window.to()));
                }
            }
        }
        for (Announced window : announced) {
            if (!at.isBefore(window.from()) && at.isBefore(window.to())) {
                latest = later(latest, window.to());
            }
        }
        return latest;
    }

    /** The window's end when the window starting on {@code day} contains {@code at}, else null. */
    private Instant covering(Instant at, LocalDate day, LocalTime from, LocalTime to) {
        ZonedDateTime start = day.atTime(from).atZone(zone);
        ZonedDateTime end = (to.isAfter(from) ? day : day.plusDays(1)).atTime(to).atZone(zone);
        Instant s = start.toInstant();
        Instant e = end.toInstant();
        return !at.isBefore(s) && at.isBefore(e) ? e : null;
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    /** "23:30-00:30" -> a daily window. */
    public static Daily parseDaily(String text) {
        LocalTime[] range = parseRange(text.trim(), text);
        return new Daily(range[0], range[1]);
    }

    /** "SUN 02:00-06:00" -> a weekly window (MON..SUN, or full names). */
    public static Weekly parseWeekly(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("weekly window \"" + text + "\" (expected: DAY HH:MM-HH:MM, e.g. SUN 02:00-06:00)");
        }
        LocalTime[] range = parseRange(parts[1], text);
        return new Weekly(parseDay(parts[0], text), range[0], range[1]);
    }

    private static DayOfWeek parseDay(String word, String text) {
        String upper = word.toUpperCase(Locale.ROOT);
        for (DayOfWeek day : DayOfWeek.values()) {
            if (day.name().equals(upper) || day.name().startsWith(upper) && upper.length() == 3) {
                return day;
            }
        }
        throw new IllegalArgumentException("weekly window \"" + text + "\": " + word + " is not a day (expected: MON..SUN)");
    }

    private static LocalTime[] parseRange(String range, String text) {
        String[] ends = range.split("-");
        if (ends.length != 2) {
            throw new IllegalArgumentException("window \"" + text + "\" (expected: HH:MM-HH:MM)");
        }
        try {
            return new LocalTime[] {LocalTime.parse(ends[0].trim()), LocalTime.parse(ends[1].trim())};
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("window \"" + text + "\" (expected: HH:MM-HH:MM): " + e.getMessage());
        }
    }

    /** The daily and weekly windows as they are written in a configuration ("23:30-00:30", "SUN 02:00-06:00"). */
    public List<String> describeRecurring() {
        List<String> out = new ArrayList<>();
        for (Daily window : daily) {
            out.add(window.from() + "-" + window.to());
        }
        for (Weekly window : weekly) {
            out.add(window.day().name().substring(0, 3) + " " + window.from() + "-" + window.to());
        }
        return out;
    }
}
