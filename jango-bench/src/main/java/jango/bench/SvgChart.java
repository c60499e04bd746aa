package jango.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/** Two panels, throughput and p99 latency against batch size (log scale), one line per concurrency. */
final class SvgChart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
    private static final int WIDTH = 900;
    private static final int PANEL_HEIGHT = 300;
    private static final int LEFT = 90;
    private static final int RIGHT = 160;
    private static final int TOP = 40;

    private SvgChart() {
    }

    static void write(Path file, List<JangoBench.Phase> phases) throws IOException {
        StringBuilder svg = new StringBuilder();
        int height = TOP + 2 * (PANEL_HEIGHT + 70);
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>%n", WIDTH, height));
        svg.append("<rect width='100%' height='100%' fill='white'/>\n");
        svg.append("<text x='20' y='22' font-size='15' font-weight='bold'>jango bench --sweep: exchange-day workload over HTTP, fsync per batch</text>\n");
        panel(svg, phases, TOP + 10, "balance changes / s", p -> p.balanceChangesPerSecond(), false);
        panel(svg, phases, TOP + PANEL_HEIGHT + 80, "p99 batch request latency (ms, log)", p -> p.latency().p99Ms(), true);
        svg.append("</svg>\n");
        Files.writeString(file, svg);
    }

    private interface Metric {
        double of(JangoBench.Phase phase);
    }

    private static void panel(StringBuilder svg, List<JangoBench.Phase> phases, int top, String title, Metric metric, boolean logY) {
        TreeSet<Integer> batchSizes = new TreeSet<>();
        TreeSet<Integer> concurrencies = new TreeSet<>();
        double max = 0;
        double min = Double.MAX_VALUE;
        for (JangoBench.Phase phase : phases) {
            batchSizes.add(phase.batchSize());
            concurrencies.add(phase.concurrency());
            max = Math.max(max, metric.of(phase));
            min = Math.min(min, Math.max(metric.of(phase), 0.01));
        }
        double minX = Math.log10(batchSizes.first());
        double maxX = Math.max(minX + 1, Math.log10(batchSizes.last()));
        double yLow = logY ? Math.floor(Math.log10(min)) : 0;
        double yHigh = logY ? Math.ceil(Math.log10(max)) : niceCeiling(max);
        int plotWidth = WIDTH - LEFT - RIGHT;
        svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-weight='bold'>%s</text>%n", LEFT, top + 14, title));
        int y0 = top + 24;
        svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>%n", LEFT, y0, plotWidth, PANEL_HEIGHT - 30));
        for (int tick = 0; tick <= 4; tick++) {
            double v = yLow + (yHigh - yLow) * tick / 4;
            int y = y0 + (int) ((PANEL_HEIGHT - 30) * (1 - (double) tick / 4));
            String label = logY ? String.format(Locale.ROOT, "%.3g", Math.pow(10, v)) : String.format(Locale.ROOT, "%,.0f", v);
            svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#eee'/><text x='%d' y='%d' text-anchor='end'>%s</text>%n",
                    LEFT, LEFT + plotWidth, y, y, LEFT - 6, y + 4, label));
        }
        for (int batchSize : batchSizes) {
            int x = LEFT + (int) (plotWidth * (Math.log10(batchSize) - minX) / (maxX - minX));
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%d</text>%n", x, y0 + PANEL_HEIGHT - 14, batchSize));
        }
        svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>commands per batch request (log)</text>%n",
                LEFT + plotWidth / 2, y0 + PANEL_HEIGHT + 2));
        int line = 0;
        for (int concurrency : concurrencies) {
            String color = COLORS[line % COLORS.length];
            StringBuilder points = new StringBuilder();
            for (JangoBench.Phase phase : phases) {
                if (phase.concurrency() != concurrency) {
                    continue;
                }
                double value = metric.of(phase);
                double yFraction = logY ? (Math.log10(Math.max(value, 0.01)) - yLow) / (yHigh - yLow) : value / yHigh;
                int x = LEFT + (int) (plotWidth * (Math.log10(phase.batchSize()) - minX) / (maxX - minX));
                int y = y0 + (int) ((PANEL_HEIGHT - 30) * (1 - yFraction));
                points.append(x).append(',').append(y).append(' ');
                svg.append(String.format(Locale.ROOT, "<circle cx='%d' cy='%d' r='3' fill='%s'/>%n", x, y, color));
            }
            svg.append(String.format(Locale.ROOT, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n", points.toString().trim(), color));
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%d client%s</text>%n", LEFT + plotWidth + 12,
                    y0 + 16 + 18 * line, color, concurrency, concurrency == 1 ? "" : "s"));
            line++;
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
