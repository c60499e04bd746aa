package jango.cli;

import jango.bench.jmh.JmhMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jango jmh [JMH options] [benchmark regexps]}: the JMH benchmarks of the engine and the journal
 * alone. Every argument goes to JMH unchanged ({@code jango jmh -h} prints JMH's own help), so it takes
 * no options of its own.
 */
@Command(name = "jmh", customSynopsis = "jango jmh [JMH options] [benchmark regexps]",
        description = {"Run the JMH benchmarks of the engine and the journal alone (EngineBench, JournalBench).",
                "All arguments go to JMH unchanged: -l lists the benchmarks, -lp their parameters, -h JMH's options.",
                "Defaults (from the benchmarks): 1 fork, 2 short warmup iterations, 3 of 2 s. Examples:",
                "  jango jmh EngineBench -p batchSize=10000",
                "  jango jmh JournalBench -rf json -rff journal.json",
                "Exit code 0 = every benchmark ran, 1 = a benchmark failed, 2 = bad options."})
final class JmhCommand implements Callable<Integer> {

    @Unmatched
    List<String> jmhArgs = new ArrayList<>();

    @Override
    public Integer call() {
        return JmhMain.run(jmhArgs.toArray(String[]::new));
    }
}
