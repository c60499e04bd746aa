package jango.bench.jmh;

import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the JMH benchmarks with JMH's own command line ({@code -h} lists it): {@code JmhMain EngineBench
 * -p batchSize=10000 -rf json -rff out.json}. The benchmarks' annotations carry defaults fit for a small
 * machine (one fork, two short warmup iterations, three of measurement); options given here override them.
 *
 * <p>Two things differ from {@code org.openjdk.jmh.Main}. A failing benchmark fails the run (exit 1)
 * unless {@code -foe false} is given. And each forked JVM gets this JVM's flags minus the launcher's
 * class-data-sharing archive, which belongs to the {@code jango} command and which a fork must not map
 * or rewrite; {@code -jvmArgs} replaces the inherited flags entirely, as in JMH.
 */
public final class JmhMain {
    private JmhMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs JMH with {@code args}; returns the process exit code (0: every benchmark ran). */
    public static int run(String... args) {
        CommandLineOptions commandLine;
        try {
            commandLine = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("jmh: " + e.getMessage() + " (see -h)");
            return 2;
        }
        try {
            if (commandLine.shouldHelp()) {
                commandLine.showHelp();
                return 0;
            }
            if (commandLine.shouldListProfilers()) {
                commandLine.listProfilers();
                return 0;
            }
            if (commandLine.shouldListResultFormats()) {
                commandLine.listResultFormats();
                return 0;
            }
            Runner runner = new Runner(withDefaults(commandLine));
            if (commandLine.shouldList()) {
                runner.list();
                return 0;
            }
            if (commandLine.shouldListWithParams()) {
                runner.listWithParams(commandLine);
                return 0;
            }
            runner.run();
            return 0;
        } catch (NoBenchmarksException e) {
            System.err.println("jmh: no benchmark matches " + commandLine.getIncludes() + " (list them with -l)");
            return 1;
        } catch (ProfilersFailedException e) {
            // The profiler's own complaint (or its help, for -prof name:help) is in the suppressed exceptions.
            System.err.println("jmh: " + e.getMessage());
            for (Throwable reason : e.getSuppressed()) {
                System.err.println(reason.getMessage());
            }
            return 1;
        } catch (RunnerException e) {
            System.err.print("jmh: the run failed: ");
            e.printStackTrace(System.err);
            return 1;
        } catch (IOException e) {
            System.err.println("jmh: " + e);
            return 1;
        }
    }

    private static org.openjdk.jmh.runner.options.Options withDefaults(CommandLineOptions commandLine) {
        ChainedOptionsBuilder builder = new OptionsBuilder().parent(commandLine);
        if (!commandLine.shouldFailOnError().hasValue()) {
            builder.shouldFailOnError(true);
        }
        if (!commandLine.getJvmArgs().hasValue()) {
            builder.jvmArgs(forkFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()).toArray(String[]::new));
        }
        return builder.build();
    }

    /** This JVM's flags for a fork: all but the launcher's class-data-sharing archive and its logging. */
    static List<String> forkFlags(List<String> hostFlags) {
        List<String> flags = new ArrayList<>(hostFlags.size());
        for (String flag : hostFlags) {
            if (flag.startsWith("-XX:SharedArchiveFile=") || flag.equals("-XX:+AutoCreateSharedArchive")
                    || flag.startsWith("-Xlog:cds") || flag.startsWith("-Xshare:")) {
                continue;
            }
            flags.add(flag);
        }
        return flags;
    }
}
