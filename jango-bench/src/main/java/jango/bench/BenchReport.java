package jango.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole run behind {@code jango bench}: Jango's phases and checks, then the baselines on the
 * same machine in the same run (the same commands in PostgreSQL, row-lock and batched; pgbench
 * TPC-B when installed), the ratios, and the JSON report.
 */
public final class BenchReport {
    public record Report(String startedAt, String finishedAt, JangoBench.Options options, String java, int cores,
                         List<JangoBench.Phase> jango, JangoBench.Checks checks, JangoBench.SubscriberResult subscribers,
                         List<JangoBench.Phase> baselines,
                         Double pgbenchTps, Map<String, Double> ratios, boolean passed) {
    }

    private BenchReport() {
    }

    /** @return true when the checks passed */
    public static boolean run(JangoBench.Options options, int baselineSeconds, Path json, Path sweepChart, PrintStream out)
            throws Exception {
        String started = JangoBench.now();
        if (sweepChart != null) {
            List<JangoBench.Phase> sweep = new JangoBench(options, out).sweep(new int[] {1, 10, 100, 1000, 3000}, new int[] {1, 4, 16},
                    Math.max(3, Math.min(options.durationSeconds(), 10)));
            SvgChart.write(sweepChart, sweep);
            out.println("sweep: chart written to " + sweepChart);
            if (json != null) {
                JangoBench.writeJson(json, sweep);
            }
            return true;
        }
        JangoBench.JangoResult jango = new JangoBench(options, out).run();
        List<JangoBench.Phase> baselines = new ArrayList<>();
        Double pgbench = null;
        if (baselineSeconds > 0) {
            Baselines.Result result = Baselines.run(options, baselineSeconds, out);
            baselines.addAll(result.phases());
            pgbench = result.pgbenchTps();
        }
        Map<String, Double> ratios = ratios(jango.phases(), baselines, pgbench);
        ratios.forEach((name, ratio) -> out.printf("ratio: %s = %.1fx%n", name, ratio));
        boolean passed = jango.checks().passed();
        out.println(passed ? "bench: PASS (every acknowledged result stored as answered; invariants hold)"
                : "bench: FAIL (" + jango.checks() + ")");
        Report report = new Report(started, JangoBench.now(), options, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), jango.phases(), jango.checks(), jango.subscribers(), baselines, pgbench, ratios, passed);
        if (json != null) {
            JangoBench.writeJson(json, report);
            out.println("bench: report written to " + json);
        }
        return passed;
    }

    /** Jango's batch phase over each baseline, in balance changes per second (the same unit for all). */
    private static Map<String, Double> ratios(List<JangoBench.Phase> jango, List<JangoBench.Phase> baselines, Double pgbenchTps) {
        Map<String, Double> ratios = new LinkedHashMap<>();
        JangoBench.Phase batch = jango.stream().filter(p -> p.name().equals("batch")).findFirst().orElse(jango.get(jango.size() - 1));
        for (JangoBench.Phase baseline : baselines) {
            if (baseline.balanceChangesPerSecond() > 0) {
                ratios.put("jango batch / " + baseline.name() + " (balance changes/s)",
                        batch.balanceChangesPerSecond() / baseline.balanceChangesPerSecond());
            }
        }
        if (pgbenchTps != null && pgbenchTps > 0) {
            // A TPC-B transaction changes 3 balances (account, teller, branch); count it as such.
            ratios.put("jango batch / pgbench TPC-B (balance changes/s, 3 per TPC-B transaction)",
                    batch.balanceChangesPerSecond() / (3 * pgbenchTps));
        }
        return ratios;
    }
}
