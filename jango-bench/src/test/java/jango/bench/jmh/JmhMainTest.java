package jango.bench.jmh;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JmhMainTest {
    @Test
    void forksKeepTheLauncherFlagsButNotItsClassDataSharingArchive() {
        List<String> host = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=/x/jango.jsa", "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off", "-Xmx2g");
        assertThat(JmhMain.forkFlags(host)).containsExactly(
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g");
    }

    @Test
    void badOptionsAreExitCodeTwo() {
        assertThat(JmhMain.run("-f", "not-a-number")).isEqualTo(2);
    }

    @Test
    void listsBothBenchmarks() {
        assertThat(JmhMain.run("-l")).isZero();
    }
}
