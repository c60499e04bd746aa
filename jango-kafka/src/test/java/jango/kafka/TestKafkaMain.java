package jango.kafka;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The main class of {@link TestKafka}'s child JVM: formats the storage if it is new, then runs
 * {@code kafka.Kafka} (broker + controller) in this JVM, one JVM start instead of two. Exits at
 * once if the test JVM that started it dies, so a killed test run leaves no broker behind.
 *
 * <p>Arguments: the server.properties file, the cluster id, the parent's pid.
 */
public final class TestKafkaMain {
    private TestKafkaMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: TestKafkaMain <server.properties> <cluster id> <parent pid>");
            System.exit(2);
        }
        String props = args[0];
        String clusterId = args[1];
        long parent = Long.parseLong(args[2]);
        ProcessHandle.of(parent).ifPresentOrElse(
                p -> p.onExit().thenRun(() -> {
                    System.err.println("TestKafkaMain: parent " + parent + " exited; halting");
                    Runtime.getRuntime().halt(3);
                }),
                () -> Runtime.getRuntime().halt(3));

        Properties config = new Properties();
        try (InputStream in = new FileInputStream(props)) {
            config.load(in);
        }
        Path logDir = Path.of(config.getProperty("log.dirs").split(",")[0]);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            long t0 = System.nanoTime();
            int rc = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", props}, System.out);
            if (rc != 0) {
                System.err.println("TestKafkaMain: formatting the storage failed with " + rc);
                System.exit(rc);
            }
            System.out.printf("TestKafkaMain: formatted %s in %d ms%n", logDir, (System.nanoTime() - t0) / 1_000_000);
        }
        kafka.Kafka.main(new String[] {props});
    }
}
