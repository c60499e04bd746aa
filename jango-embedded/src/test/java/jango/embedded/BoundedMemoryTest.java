package jango.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory is set by accounts and open holds, never by the number of commands applied: millions of
 * commands, each with a new id and a stored result, through the engine and through the embedded
 * ledger in a JVM whose heap is a small fraction of what every result in memory would take
 * (about 300 bytes each before results moved to disk: 2 million results alone were 600 MB). What
 * the heap holds besides the accounts is bounded by the index writer's backlog (50,000 entries).
 * It fails with OutOfMemoryError if anything grows with the command count.
 */
class BoundedMemoryTest {
    private static final String HEAP = "-Xmx192m";
    private static final int ENGINE_COMMANDS = 5_000_000;
    private static final int LEDGER_COMMANDS = 2_000_000;

    @TempDir
    Path dir;

    @Test
    void millionsOfCommandsRunInASmallFixedHeap() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add(HEAP);
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BoundedMemoryRun.class.getName());
        command.add(dir.resolve("data").toString());
        command.add(Integer.toString(ENGINE_COMMANDS));
        command.add(Integer.toString(LEDGER_COMMANDS));
        Path log = dir.resolve("run.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = process.waitFor(10, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(finished).as("finished within 10 minutes:\n%s", tail(output)).isTrue();
        assertThat(output).as(tail(output)).doesNotContain("OutOfMemoryError").contains("bounded");
        assertThat(process.exitValue()).as(tail(output)).isZero();
    }

    private static String tail(String output) {
        return output.length() <= 4_000 ? output : output.substring(output.length() - 4_000);
    }
}
