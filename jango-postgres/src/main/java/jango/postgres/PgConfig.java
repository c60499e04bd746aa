package jango.postgres;

import java.util.Objects;

/**
 * Where the distributed store's PostgreSQL is and how many connections it may hold. Built once
 * and passed in; every wait on the database is bounded by one of these.
 *
 * @param jdbcUrl             {@code jdbc:postgresql://host:port/database}
 * @param user                database user
 * @param password            its password (null when the server trusts the connection); never logged
 * @param poolSize            most connections the writers, the relay and the shards' loads hold open
 * @param readPoolSize        most connections the API's reads hold open, in a pool of their own
 * @param connectionTimeoutMs how long a call waits for a connection before it fails as unavailable
 * @param socketTimeoutMs     how long one statement may wait for the server's answer
 */
public record PgConfig(String jdbcUrl, String user, String password, int poolSize, int readPoolSize,
                       long connectionTimeoutMs, long socketTimeoutMs) {
    public static final int DEFAULT_POOL_SIZE = 8;
    public static final int DEFAULT_READ_POOL_SIZE = 8;
    public static final long DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_SOCKET_TIMEOUT_MS = 60_000;

    public PgConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        check(jdbcUrl.startsWith("jdbc:postgresql:"), "jdbcUrl", jdbcUrl, "jdbc:postgresql://host:port/database");
        // Flyway's migration holds two connections at once (its lock and its work): with one it times out.
        check(poolSize >= 2 && poolSize <= 64, "poolSize", poolSize, "2..64");
        check(readPoolSize >= 1 && readPoolSize <= 64, "readPoolSize", readPoolSize, "1..64");
        // HikariCP refuses less than 250 ms.
        check(connectionTimeoutMs >= 250 && connectionTimeoutMs <= 600_000, "connectionTimeoutMs", connectionTimeoutMs,
                "250..600000");
        check(socketTimeoutMs >= 1_000 && socketTimeoutMs <= 3_600_000, "socketTimeoutMs", socketTimeoutMs, "1000..3600000");
    }

    public static PgConfig of(String jdbcUrl, String user, String password) {
        return new PgConfig(jdbcUrl, user, password, DEFAULT_POOL_SIZE, DEFAULT_READ_POOL_SIZE,
                DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_SOCKET_TIMEOUT_MS);
    }

    public PgConfig withPoolSize(int size) {
        return new PgConfig(jdbcUrl, user, password, size, readPoolSize, connectionTimeoutMs, socketTimeoutMs);
    }

    public PgConfig withReadPoolSize(int size) {
        return new PgConfig(jdbcUrl, user, password, poolSize, size, connectionTimeoutMs, socketTimeoutMs);
    }

    public PgConfig withConnectionTimeoutMs(long timeoutMs) {
        return new PgConfig(jdbcUrl, user, password, poolSize, readPoolSize, timeoutMs, socketTimeoutMs);
    }

    public PgConfig withSocketTimeoutMs(long timeoutMs) {
        return new PgConfig(jdbcUrl, user, password, poolSize, readPoolSize, connectionTimeoutMs, timeoutMs);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }

    /** The URL without its query, which may carry a password: safe to log. */
    public String safeUrl() {
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    /** Without the password (nor the URL's query). */
    @Override
    public String toString() {
        return "PgConfig[jdbcUrl=" + safeUrl() + ", user=" + user + ", poolSize=" + poolSize + ", readPoolSize=" + readPoolSize
                + ", connectionTimeoutMs=" + connectionTimeoutMs + ", socketTimeoutMs=" + socketTimeoutMs + "]";
    }
}
