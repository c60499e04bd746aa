package jango.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The soak's curve as SVG: memory (heap after a full GC, resident) and throughput against commands applied. */
final class SoakChart {
    private static final int WIDTH = 900;
    private static final int PANEL = 260;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int GAP = 70;

    private SoakChart() {
    }

    static void write(Path file, List<Soak.Sample> samples, String heap) throws IOException {
        double maxCommands = Math.max(1, samples.stream().mapToLong(Soak.Sample::commands).max().orElse(1));
        StringBuilder svg = new StringBuilder();
        int height = TOP + 2 * PANEL + GAP + 60;
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">jango soak: %,.0f commands through"
                + " jango serve -Xmx%s (memory is set by accounts and open holds)</text>%n", LEFT, maxCommands, heap));
        double maxMemory = samples.stream().mapToDouble(s -> Math.max(s.heapAfterGcBytes(), s.rssBytes())).max().orElse(1) / (1 << 20);
        panel(svg, samples, TOP, "memory (MB)", niceCeiling(maxMemory), maxCommands,
                List.of(new Series("heap after a full GC", "#1f77b4", s -> s.heapAfterGcBytes() / (double) (1 << 20)),
                        new Series("resident (RSS)", "#d62728", s -> s.rssBytes() / (double) (1 << 20))));
        double maxRate = samples.stream().mapToDouble(Soak.Sample::commandsPerSecond).max().orElse(1);
        panel(svg, samples, TOP + PANEL + GAP, "commands per second", niceCeiling(maxRate), maxCommands,
                List.of(new Series("throughput", "#2ca02c", Soak.Sample::commandsPerSecond)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">commands applied (millions)</text>%n",
                LEFT + (WIDTH - LEFT - RIGHT) / 2 - 80, height - 15));
        svg.append("</svg>\n");
        Files.writeString(file, svg);
    }

    private record Series(String name, String color, ToDoubleFunction<Soak.Sample> value) {
    }

    private static void panel(StringBuilder svg, List<Soak.Sample> samples, int top, String title, double maxY, double maxX,
                              List<Series> series) {
        int plotWidth = WIDTH - LEFT - RIGHT;
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", LEFT, top - 8, title));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                LEFT, top, plotWidth, PANEL));
        for (int tick = 0; tick <= 4; tick++) {
            double value = maxY * tick / 4;
            int y = top + PANEL - (int) (PANEL * tick / 4.0);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%,.0f</text>%n", LEFT, y, LEFT + plotWidth, y, LEFT - 6, y + 4, value));
            double commands = maxX * tick / 4;
            int x = LEFT + (int) (plotWidth * tick / 4.0);
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f</text>%n", x, top + PANEL + 16,
                    commands / 1e6));
        }
        int legend = 0;
        for (Series each : series) {
            StringBuilder points = new StringBuilder();
            for (Soak.Sample sample : samples) {
                double x = LEFT + plotWidth * sample.commands() / maxX;
                double y = top + PANEL - PANEL * Math.min(1, each.value().applyAsDouble(sample) / maxY);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    each.color(), points.toString().trim()));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + 10, top + 14 + 16 * legend, each.color(), LEFT + 28,
                    top + 18 + 16 * legend, each.name()));
            legend++;
        }
    }

    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
