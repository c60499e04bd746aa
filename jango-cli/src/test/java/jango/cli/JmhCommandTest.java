package jango.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JmhCommandTest {
    @Test
    void everyArgumentReachesJmhInOrder() {
        List<String> args = List.of("EngineBench", "-p", "batchSize=10000", "-f", "1", "-wi", "2", "-i", "3",
                "-jvmArgsAppend", "-Xmx8g", "-rf", "json", "-rff", "out.json", "-h", "--help");
        CommandLine jango = new CommandLine(new Jango());
        CommandLine.ParseResult parsed = jango.parseArgs(concat("jmh", args));
        JmhCommand jmh = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(jmh.jmhArgs).containsExactlyElementsOf(args);
    }

    @Test
    void noArgumentsRunsJmhWithItsDefaults() {
        CommandLine jango = new CommandLine(new Jango());
        CommandLine.ParseResult parsed = jango.parseArgs("jmh");
        JmhCommand jmh = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(jmh.jmhArgs).isEmpty();
    }

    private static String[] concat(String first, List<String> rest) {
        String[] all = new String[rest.size() + 1];
        all[0] = first;
        for (int i = 0; i < rest.size(); i++) {
            all[i + 1] = rest.get(i);
        }
        return all;
    }
}
