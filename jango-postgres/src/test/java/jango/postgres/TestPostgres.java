package jango.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;

/**
 * A real PostgreSQL for tests (zonky's binaries from Maven), on loopback, with its data in a
 * directory the test owns, so it can be {@link #stop() stopped} and {@link #start() started}
 * again on the same port with the same data: what a database restart looks like to the store.
 * Durable settings stay on ({@code fsync}, {@code synchronous_commit}), so commit costs measured
 * against it are honest.
 *
 * <p>Shipped in this module's test-jar for other modules' tests. Not thread-safe to start and stop
 * from several threads at once; {@link #jdbcUrl()} and friends are safe anywhere.
 */
public final class TestPostgres implements AutoCloseable {
    public static final String USER = "postgres";
    /** The embedded server trusts loopback connections; any password does. */
    public static final String PASSWORD = "postgres";
    private static final String HOST = "127.0.0.1";
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    private final Path directory;
    private final int port;
    private EmbeddedPostgres embedded;

    private TestPostgres(Path directory, int port) {
        this.directory = directory;
        this.port = port;
    }

    /** Starts a server on a free port with its data in {@code directory} (created, or reused as it is). */
    public static TestPostgres start(Path directory) {
        return start(directory, freePort());
    }

    /** Starts a server on {@code port} with its data in {@code directory} (created, or reused as it is). */
    public static TestPostgres start(Path directory, int port) {
        Objects.requireNonNull(directory, "directory");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        TestPostgres postgres = new TestPostgres(directory.toAbsolutePath(), port);
        postgres.start();
        return postgres;
    }

    /** Starts the server again after {@link #stop()}: same port, same data. No-op when it runs. */
    public synchronized void start() {
        if (embedded != null) {
            return;
        }
        try {
            Files.createDirectories(directory);
            Path log = directory.resolve("postgres.log");
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory.resolve("data"))
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setRegisterShutdownHook(true)
                    .setPGStartupWait(STARTUP_WAIT)
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setServerConfig("listen_addresses", HOST)
                    .setServerConfig("unix_socket_directories", directory.toString())
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "100");
            embedded = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL on port " + port + " in " + directory
                    + " (log in " + directory.resolve("postgres.log") + ")", e);
        }
    }

    /** Stops the server (a clean shutdown); the data stays for {@link #start()}. No-op when stopped. */
    public synchronized void stop() {
        if (embedded == null) {
            return;
        }
        try {
            embedded.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop PostgreSQL on port " + port, e);
        } finally {
            embedded = null;
        }
    }

    public synchronized boolean running() {
        return embedded != null;
    }

    public int port() {
        return port;
    }

    public Path directory() {
        return directory;
    }

    /** The URL of the {@code postgres} database. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** A store configuration for the {@code postgres} database, failing fast when the server is down. */
    public PgConfig config() {
        return config("postgres");
    }

    public PgConfig config(String database) {
        return PgConfig.of(jdbcUrl(database), USER, PASSWORD).withConnectionTimeoutMs(1_000).withSocketTimeoutMs(30_000);
    }

    /**
     * Creates an empty database (dropping one of that name first), so each test can have its own
     * store on one server; returns its configuration.
     */
    public PgConfig createDatabase(String database) {
        if (!database.matches("[a-z][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("database: " + database + " (expected: [a-z][a-z0-9_]{0,62})");
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + database + " on port " + port, e);
        }
        return config(database);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "TestPostgres[" + jdbcUrl() + ", " + directory + (running() ? "" : ", stopped") + "]";
    }

    /** A port free now; another process could take it before the server binds it, which tests accept. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }
}
