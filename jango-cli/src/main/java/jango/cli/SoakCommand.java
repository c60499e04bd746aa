package jango.cli;

import jango.bench.Soak;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jango soak}: see {@link Soak}. */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A long run that shows memory is set by accounts and open holds, not by commands: starts jango serve",
                "with a small fixed heap, drives an exchange's day through the HTTP API, samples the heap after a full GC and",
                "the resident memory, writes the curve as SVG, reports disk per stored result, then times a restart after",
                "kill -9. Exit code 0 = memory stayed within 10%% after warm-up, 1 = it grew, 2 = bad options."})
final class SoakCommand implements Callable<Integer> {
    private static final String HUGE_PAGES = "-XX:+UseTransparentHugePages";

    @Option(names = "--commands", defaultValue = "100000000", description = "commands to apply (default: ${DEFAULT-VALUE})")
    long commands;

    @Option(names = "--heap", defaultValue = "1g", description = "the server's -Xmx (default: ${DEFAULT-VALUE})")
    String heap;

    @Option(names = "--data-dir", description = "the server's data directory (default: a temporary one, deleted after)")
    Path dataDir;

    @Option(names = "--keep-data", description = "keep the temporary data directory")
    boolean keepData;

    @Option(names = "--chart", description = "write the memory and throughput curve here (SVG)")
    Path chart;

    @Option(names = "--concurrency", defaultValue = "4", description = "clients sending batches (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--batch", defaultValue = "1000", description = "commands per batch request (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--accounts", defaultValue = "10000", description = "user accounts (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--sample-seconds", defaultValue = "30", description = "seconds between samples (default: ${DEFAULT-VALUE})")
    int sampleSeconds;

    @Option(names = "--warmup", defaultValue = "0.1", description = "share of the commands before memory is judged (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--id-filter-mib", paramLabel = "MIB", defaultValue = "64",
            description = "the server's id filter (jango serve --id-filter-mib; default: ${DEFAULT-VALUE}); past about 50 million ids "
                    + "a larger one keeps new ids from reading the index, 128 or more for 100 million commands")
    int idFilterMib;

    @Override
    public Integer call() throws Exception {
        String aotCache = serveAotCache();
        Soak.Options options;
        try {
            options = new Soak.Options(commands, heap, dataDir, keepData, chart, concurrency, batch, accounts, sampleSeconds, warmup,
                    serveCommand(aotCache), List.of("--id-filter-mib", Integer.toString(idFilterMib)));
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage());
            return 2;
        }
        System.out.println(aotCache != null
                ? "soak: the server starts from the start-up cache " + aotCache
                : "soak: the server starts without a start-up cache (on JDK 25+, run and stop ./jango serve once to make one)");
        return Soak.run(options, System.out) ? 0 : 1;
    }

    /** The launcher's start-up cache for {@code jango serve} (JDK 25+, once a stop has made one), or null. */
    private static String serveAotCache() {
        String path = System.getProperty("jango.soak.serveAotCache");
        return path != null && java.nio.file.Files.isRegularFile(Path.of(path)) ? path : null;
    }

    /**
     * This JVM's java, the launcher's flags and class path, and serve's start-up cache when there is
     * one ({@code aotCache}, or null): the server runs as {@code ./jango serve} would.
     */
    private static List<String> serveCommand(String aotCache) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        String libraryPath = System.getProperty("java.library.path");
        if (libraryPath != null && !libraryPath.isEmpty()) {
            command.add("-Djava.library.path=" + libraryPath); // RocksDB's native library, which the launcher took out of its jar
        }
        if (ManagementFactory.getRuntimeMXBean().getInputArguments().contains(HUGE_PAGES)) {
            command.add(HUGE_PAGES); // the launcher asks for them where the kernel offers them
        }
        if (aotCache != null) {
            command.addAll(List.of("-XX:AOTCache=" + aotCache, "-Xlog:aot=off", "-Xlog:cds=off"));
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Jango.class.getName());
        return command;
    }
}
