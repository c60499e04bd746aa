package jango.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code jango} in a separate JVM, as a user runs it; killed with SIGKILL when a test says so. */
final class Child {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");

    private final Process process;
    private final String url;

    private final Path log;

    private Child(Process process, String url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    Path log() {
        return log;
    }

    record Result(int exitCode, String output) {
    }

    static List<String> javaCommand(String... args) {
        return javaCommand(List.of(), args);
    }

    static List<String> javaCommand(List<String> jvmFlags, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx1g");
        command.addAll(jvmFlags);
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("jango.cli.Jango");
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Starts {@code jango serve --port 0} and waits for its "listening" line. Its output is drained
     * into {@code log} for its whole life: a child whose stdout pipe fills up blocks on its next
     * log line, which would stall the server under test.
     */
    static Child serve(Path dataDir, Path log) throws IOException {
        return start(log, "serve", "--port", "0", "--data-dir", dataDir.toString());
    }

    /** Starts {@code jango ARGS} (a serve) and waits for its "listening" line; see {@link #serve}. */
    static Child start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /** As {@link #start(Path, String...)}, with flags for the child JVM (system properties). */
    static Child start(Path log, List<String> jvmFlags, String... args) throws IOException {
        Process process = new ProcessBuilder(javaCommand(jvmFlags, args)).redirectErrorStream(true).start();
        CompletableFuture<String> listening = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 var file = Files.newBufferedWriter(log)) {
                String line;
                while ((line = out.readLine()) != null) {
                    file.write(line);
                    file.newLine();
                    file.flush(); // tests read the log while the child runs
                    Matcher matcher = LISTENING.matcher(line);
                    if (!listening.isDone() && matcher.find()) {
                        file.flush();
                        listening.complete(matcher.group(1));
                    }
                }
            } catch (IOException e) {
                // the child is gone
            } finally {
                listening.complete(null);
            }
        }, "child-output");
        drain.setDaemon(true);
        drain.start();
        try {
            String url = listening.get(60, TimeUnit.SECONDS);
            if (url == null) {
                throw new IOException("jango serve exited (" + process.waitFor() + ") before listening:\n" + Files.readString(log));
            }
            return new Child(process, url, log);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IOException("jango serve did not start: " + e + "\n" + Files.readString(log), e);
        }
    }

    /** Runs a jango command to completion (bounded) and returns its exit code and output. */
    static Result run(Path log, String... args) throws Exception {
        Process process = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("jango " + String.join(" ", args) + " did not finish in 10 minutes");
        }
        return new Result(process.exitValue(), Files.readString(log));
    }

    String url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGSTOP / SIGCONT: a process frozen as by a long GC pause or a stalled VM, then thawed. */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void kill9() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM: the clean stop a user gets with Ctrl-C. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("jango serve did not stop within 60 s of SIGTERM");
        }
    }
}
