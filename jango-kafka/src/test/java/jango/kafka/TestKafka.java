package jango.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real single-node Kafka (KRaft: broker and controller in one process) for tests, in a child
 * JVM started from the test's own classpath and java binary, so it can be killed like a crash
 * ({@link #kill()}: SIGKILL) and brought back on the same port and data ({@link #restart()}).
 *
 * <pre>{@code
 * try (TestKafka kafka = TestKafka.start(dir)) {      // ~3 s; formats the storage the first time
 *     kafka.createTopic("commands", 4);                // waits until every partition has a leader
 *     ... clients on kafka.bootstrap() ...
 *     kafka.kill();                                    // SIGKILL
 *     kafka.restart();                                 // same port and data; ~5 s after a kill
 * }                                                    // admin closed, broker stopped gracefully
 * }</pre>
 *
 * <p>Everything lives in the caller's directory: {@code data/} (the log dirs), {@code server.properties},
 * {@code server.log} (the broker's logging through logback, never the test's stdout; with log4j2
 * as the SLF4J backend instead it is {@code server-log4j2.log}), {@code kafka.out} (the child's
 * stdout and stderr, one {@code ====} line per start). The storage is formatted on the first
 * start, inside the child, before the broker starts ({@link TestKafkaMain}).
 *
 * <p>After a {@link #kill()} the restarted controller keeps the dead broker registered until its
 * session times out ({@code broker.session.timeout.ms}, 3 s here instead of 9 s), so a restart
 * after a kill takes about 3 s longer than one after {@link #stop()}. Clients see the broker gone
 * for the whole time; producers with the default {@code delivery.timeout.ms} (120 s) ride it out.
 *
 * <p>The quorum is static ({@code controller.quorum.voters}): the controller's address is not
 * written into the storage, so a later {@link #start} on the same directory may pick another
 * controller port. The broker port of {@link #restart()} is always the same.
 *
 * <p>Needs {@code org.apache.kafka:kafka_2.13} on the test classpath (test scope): a test-jar
 * user must declare it itself, test-scope dependencies are not transitive.
 *
 * <p>The broker does not fsync each message (Kafka's default): acknowledged data survives
 * {@link #kill()} (the page cache survives a process crash), not a machine crash.
 */
public final class TestKafka implements AutoCloseable {
    public static final String HOST = "127.0.0.1";
    /**
     * How long {@link #start} and {@link #restart()} wait for the broker to answer;
     * {@code -Django.kafka.startSecs=N}. Generous: with two test JVMs on 2 busy cores a broker took
     * more than 30 s to open its port while it was making progress; a dead one fails at once.
     */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(Long.getLong("jango.kafka.startSecs", 120));
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** Every child still running, killed when the test JVM exits (the child also watches its parent). */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "test-kafka-reaper"));
    }

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final Map<String, String> overrides;
    private final String clusterId;
    private Process process;
    private Admin admin;
    private Duration lastStart = Duration.ZERO;

    private TestKafka(Path dir, int port, int controllerPort, Map<String, String> overrides, String clusterId) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.overrides = Map.copyOf(overrides);
        this.clusterId = clusterId;
    }

    /** A broker on a free port with its data in {@code dir} (formatted if new, reused if not). */
    public static TestKafka start(Path dir) {
        return start(dir, 0);
    }

    /** A broker on {@code port} (0: a free one) with its data in {@code dir}. */
    public static TestKafka start(Path dir, int port) {
        return start(dir, port, Map.of());
    }

    /**
     * A broker on {@code port} (0: a free one) with its data in {@code dir}, and extra broker
     * settings that replace the defaults of {@link #serverProperties()} (e.g.
     * {@code auto.create.topics.enable=true}, {@code log.flush.interval.messages=1}).
     */
    public static TestKafka start(Path dir, int port, Map<String, String> brokerSettings) {
        if (TestKafka.class.getClassLoader().getResource("kafka/Kafka.class") == null) {
            throw new IllegalStateException("kafka.Kafka is not on the test classpath: add org.apache.kafka:kafka_2.13 "
                    + "(test scope) to this module's pom; a test-jar does not bring its test dependencies");
        }
        try {
            Files.createDirectories(dir);
            Path abs = dir.toAbsolutePath();
            // The cluster id is written into the storage by the format; keep it with the data.
            Path idFile = abs.resolve("cluster.id");
            String clusterId;
            if (Files.exists(idFile)) {
                clusterId = Files.readString(idFile).trim();
            } else {
                clusterId = Uuid.randomUuid().toString();
                Files.writeString(idFile, clusterId);
            }
            int brokerPort = port == 0 ? freePort() : port;
            int controller = freePort(brokerPort);
            TestKafka kafka = new TestKafka(abs, brokerPort, controller, brokerSettings, clusterId);
            kafka.launch();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:port}, the same across {@link #restart()}. */
    public String bootstrap() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** The broker's log (Kafka's own logging), for a failing test to look at. */
    public Path logFile() {
        return dir.resolve("server.log");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child's pid, or -1 when it does not run. */
    public synchronized long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /** How long the last start or restart took, from launching the JVM to the broker answering. */
    public synchronized Duration lastStartTime() {
        return lastStart;
    }

    /** SIGKILL, like a crash: no controlled shutdown, no flush. Returns once the process is gone. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit(process, STOP_TIMEOUT);
        LIVE.remove(process);
        process = null;
    }

    /** SIGTERM and a controlled shutdown (SIGKILL after 30 s). Returns once the process is gone. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                awaitExit(process, STOP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LIVE.remove(process);
        process = null;
    }

    /**
     * Stops the broker gracefully if it runs (call {@link #kill()} first for a crash), then starts
     * it again on the same port and data, and waits until it answers.
     */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** An admin client for this broker, made once and closed by {@link #close()}; it reconnects across restarts. */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                    AdminClientConfig.CLIENT_ID_CONFIG, "test-kafka-admin"));
        }
        return admin;
    }

    /** Creates a topic (replication 1) and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    public void createTopic(String name, int partitions, Map<String, String> topicConfig) {
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(topicConfig);
        try {
            admin().createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    TopicDescription description = admin().describeTopics(List.of(name)).allTopicNames()
                            .get(10, TimeUnit.SECONDS).get(name);
                    if (description.partitions().size() == partitions
                            && description.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
                        return;
                    }
                } catch (ExecutionException e) {
                    // not in the broker's metadata yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " has no leader for every partition after 30 s\n" + logTail(40));
                }
                Thread.sleep(20);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("creating topic " + name + " failed\n" + logTail(40), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Closes the admin client and stops the broker gracefully. The data stays in {@link #dir()}. */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        stop();
    }

    /** The last lines of {@code server.log} and {@code kafka.out}, for failure messages. */
    public String logTail(int lines) {
        StringBuilder out = new StringBuilder();
        for (Path file : List.of(logFile(), dir.resolve("server-log4j2.log"), dir.resolve("kafka.out"))) {
            if (file.getFileName().toString().equals("server-log4j2.log") && !nonEmpty(file)) {
                continue;
            }
            out.append("---- ").append(file).append(" (last ").append(lines).append(" lines)\n");
            try {
                List<String> all = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of("(none)");
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                out.append("(unreadable: ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    private static boolean nonEmpty(Path file) {
        try {
            return Files.exists(file) && Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The broker settings this instance writes to {@code server.properties}: a fast single node. */
    public Map<String, String> serverProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("log.dirs", dir.resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Tests create their topics (createTopic): a typo should not silently make a 1-partition topic.
        p.put("auto.create.topics.enable", "false");
        // After a kill the restarted controller still has the dead incarnation registered and refuses the
        // new one until that session times out (default 9 s): a short session makes a crash restart fast.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "3000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "2");
        p.putAll(overrides);
        return p;
    }

    // ---------------------------------------------------------------- the child JVM

    private synchronized void launch() {
        long t0 = System.nanoTime();
        try {
            // Our own previous process is gone when stop()/kill() return, so its port is free; wait briefly anyway.
            awaitPortFree(port, Duration.ofSeconds(2));
            Path props = dir.resolve("server.properties");
            StringBuilder text = new StringBuilder("# Written by jango.kafka.TestKafka\n");
            serverProperties().forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.writeString(props, text);
            Files.writeString(dir.resolve("logback.xml"), logback());
            Files.writeString(dir.resolve("log4j2.properties"), log4j2());
            // The classpath goes in an @argfile: a long test classpath can pass the 128 KiB limit of one argument.
            Files.writeString(dir.resolve("java.args"), "-cp \"" + classpath().replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
            Path out = dir.resolve("kafka.out");
            Files.writeString(out, "==== " + Instant.now() + " starting on " + bootstrap() + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);

            List<String> command = new ArrayList<>();
            command.add(javaBinary());
            command.add("-Xms128m");
            command.add("-Xmx512m");
            command.add("-XX:+UseG1GC");
            command.add("-Djava.awt.headless=true");
            command.add("-Dlogback.configurationFile=" + dir.resolve("logback.xml"));
            command.add("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"));
            command.add("--enable-native-access=ALL-UNNAMED");
            if (Runtime.version().feature() >= 24) {
                command.add("--sun-misc-unsafe-memory-access=allow");
            }
            command.add("@" + dir.resolve("java.args"));
            command.add(TestKafkaMain.class.getName());
            command.add(props.toString());
            command.add(clusterId);
            command.add(Long.toString(ProcessHandle.current().pid()));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
            // Options meant for the test JVM (an agent, a debug port) must not reach the broker.
            builder.environment().remove("JAVA_TOOL_OPTIONS");
            builder.environment().remove("JDK_JAVA_OPTIONS");
            builder.environment().remove("_JAVA_OPTIONS");
            process = builder.start();
            LIVE.add(process);
            awaitReady(t0);
            lastStart = Duration.ofNanos(System.nanoTime() - t0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            if (process != null) {
                process.destroyForcibly();
                awaitExit(process, STOP_TIMEOUT);
                LIVE.remove(process);
                process = null;
            }
            throw e;
        }
    }

    /** Waits for the port to take connections, then for describeCluster to name this node. */
    private void awaitReady(long t0) {
        long deadline = t0 + START_TIMEOUT.toNanos();
        Process child = process;
        // First the cheap check, so a client does not log a failed connection every few ms.
        while (!accepts(port)) {
            checkAlive(child);
            if (System.nanoTime() > deadline) {
                throw notReady("did not open " + bootstrap());
            }
            sleep(50);
        }
        Map<String, Object> config = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.CLIENT_ID_CONFIG, "test-kafka-probe",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000,
                AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        String last = "no answer";
        try (Admin probe = Admin.create(config)) {
            while (true) {
                checkAlive(child);
                try {
                    Collection<Node> nodes = probe.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                    last = "no unfenced broker yet";
                } catch (ExecutionException | TimeoutException e) {
                    last = String.valueOf(e.getCause() == null ? e : e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                if (System.nanoTime() > deadline) {
                    throw notReady("did not answer describeCluster (" + last + ")");
                }
                sleep(50);
            }
        }
    }

    private void checkAlive(Process child) {
        if (!child.isAlive()) {
            throw new IllegalStateException("Kafka (" + dir + ") exited with " + child.exitValue() + " while starting\n" + logTail(60));
        }
    }

    private IllegalStateException notReady(String what) {
        return new IllegalStateException("Kafka (" + dir + ", pid " + process.pid() + ") " + what + " within "
                + START_TIMEOUT.toSeconds() + " s\n" + logTail(60));
    }

    private String logback() {
        return """
                <configuration>
                  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <append>true</append>
                    <encoder><pattern>[%%d] %%-5level %%logger - %%msg%%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.kafka.clients" level="WARN"/>
                  <logger name="org.apache.kafka.common.metrics" level="WARN"/>
                  <logger name="org.apache.kafka.common.config" level="WARN"/>
                  <root level="INFO"><appender-ref ref="FILE"/></root>
                </configuration>
                """.formatted(xml(logFile().toString()));
    }

    private String log4j2() {
        // Only used if the classpath has log4j2 as the SLF4J backend, or for Kafka's own log4j-core use.
        return """
                status = warn
                appender.file.type = File
                appender.file.name = FILE
                appender.file.fileName = %s
                appender.file.append = true
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n
                rootLogger.level = info
                rootLogger.appenderRef.file.ref = FILE
                """.formatted(dir.resolve("server-log4j2.log").toString().replace("\\", "\\\\"));
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** This JVM's classpath with every entry absolute: the child runs in {@link #dir()}. */
    private static String classpath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.isEmpty())
                .map(e -> e.endsWith("*")
                        ? Path.of(e.substring(0, e.length() - 1)).toAbsolutePath() + java.io.File.separator + "*"
                        : Path.of(e).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static int freePort(int... not) {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(HOST, 0));
                int found = socket.getLocalPort();
                boolean taken = false;
                for (int n : not) {
                    taken |= n == found;
                }
                if (!taken) {
                    return found;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port");
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A restart must get the same port: wait a little for whatever still holds it, then fail clearly. */
    private static void awaitPortFree(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(HOST, port));
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("port " + port + " on " + HOST + " is in use by another process", e);
                }
                sleep(50);
            }
        }
    }

    private static void awaitExit(Process process, Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("Kafka (pid " + process.pid() + ") did not exit within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Properties for a client of this broker (bootstrap only); callers add the rest. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return p;
    }
}
