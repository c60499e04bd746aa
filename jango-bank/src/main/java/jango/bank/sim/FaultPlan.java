package jango.bank.sim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How often the simulated bank misbehaves, drawn from its seeded random: per transfer telegram
 * (drop the answer, answer twice, disconnect after processing, refuse unprocessed, answer late),
 * per inquiry (drop), per deposit notice (send twice), and on a schedule (stall the line, enter
 * maintenance). Written as {@code drop=0.02,duplicate=0.02,stall-every-ms=20000,stall-ms=1500};
 * {@code none} is no faults.
 */
public record FaultPlan(double drop, double duplicate, double disconnect, double refuse, double delay, long delayMs,
                        double inquiryDrop, double duplicateNotice,
                        long stallEveryMs, long stallMs, long maintenanceEveryMs, long maintenanceMs) {

    public static final FaultPlan NONE = new FaultPlan(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public FaultPlan {
        for (double rate : new double[] {drop, duplicate, disconnect, refuse, delay, inquiryDrop, duplicateNotice}) {
            if (!(rate >= 0 && rate <= 1)) {
                throw new IllegalArgumentException("fault rate " + rate + " (expected: 0..1)");
            }
        }
        if (drop + duplicate + disconnect + refuse + delay > 1) {
            throw new IllegalArgumentException("transfer fault rates add up to more than 1");
        }
        for (long ms : new long[] {delayMs, stallEveryMs, stallMs, maintenanceEveryMs, maintenanceMs}) {
            if (ms < 0 || ms > 3_600_000) {
                throw new IllegalArgumentException("fault time " + ms + " ms (expected: 0..3600000)");
            }
        }
    }

    public static FaultPlan parse(String text) {
        if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
            return NONE;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.trim().split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("faults: \"" + part + "\" (expected: name=value)");
            }
            values.put(kv[0].trim().toLowerCase(Locale.ROOT), kv[1].trim());
        }
        FaultPlan plan = new FaultPlan(rate(values, "drop"), rate(values, "duplicate"), rate(values, "disconnect"),
                rate(values, "refuse"), rate(values, "delay"), millis(values, "delay-ms", 0), rate(values, "inquiry-drop"),
                rate(values, "duplicate-notice"), millis(values, "stall-every-ms", 0), millis(values, "stall-ms", 0),
                millis(values, "maintenance-every-ms", 0), millis(values, "maintenance-ms", 0));
        if (!values.isEmpty()) {
            throw new IllegalArgumentException("faults: unknown " + values.keySet() + " (expected: drop, duplicate, disconnect, refuse, "
                    + "delay, delay-ms, inquiry-drop, duplicate-notice, stall-every-ms, stall-ms, maintenance-every-ms, maintenance-ms)");
        }
        return plan;
    }

    private static double rate(Map<String, String> values, String name) {
        String text = values.remove(name);
        if (text == null) {
            return 0;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("faults: " + name + "=" + text + " (expected: a rate 0..1)");
        }
    }

    private static long millis(Map<String, String> values, String name, long otherwise) {
        String text = values.remove(name);
        if (text == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("faults: " + name + "=" + text + " (expected: milliseconds)");
        }
    }
}
