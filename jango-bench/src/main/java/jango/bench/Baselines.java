package jango.bench;

import java.io.PrintStream;
import java.util.List;

/** The PostgreSQL baselines of the same workload (wired to jango.bench.postgres when it lands). */
final class Baselines {
    record Result(List<JangoBench.Phase> phases, Double pgbenchTps) {
    }

    private Baselines() {
    }

    static Result run(JangoBench.Options options, int seconds, PrintStream out) {
        out.println("baseline: PostgreSQL baselines are being built (issue 6); skipped in this build");
        return new Result(List.of(), null);
    }
}
