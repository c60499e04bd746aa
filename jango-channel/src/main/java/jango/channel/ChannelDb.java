package jango.channel;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import jango.postgres.PgConfig;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.SQLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel copy's PostgreSQL: a small pool, the schema migrated by Flyway from
 * {@code db/channel} (apart from the ledger's own migrations), and units of work that commit at the
 * end or roll back.
 */
public final class ChannelDb implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChannelDb.class);

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final HikariDataSource pool;

    private ChannelDb(HikariDataSource pool) {
        this.pool = pool;
    }

    public static ChannelDb open(PgConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("jango-channel");
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.user());
        hikari.setPassword(config.password());
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(1);
        hikari.setAutoCommit(false);
        hikari.setConnectionTimeout(config.connectionTimeoutMs());
        hikari.addDataSourceProperty("socketTimeout", String.valueOf(Math.ceilDiv(config.socketTimeoutMs(), 1_000)));
        hikari.addDataSourceProperty("ApplicationName", "jango-channel");
        HikariDataSource pool = new HikariDataSource(hikari);
        try {
            var result = Flyway.configure().dataSource(pool).locations("classpath:db/channel")
                    .table("channel_schema_history").load().migrate();
            log.info("event=channel_db_opened url={} migrations_applied={}", config.safeUrl(), result.migrationsExecuted);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new ChannelDb(pool);
    }

    /** One transaction: committed when {@code work} returns, rolled back when it throws. */
    public <T> T transaction(Work<T> work) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            boolean committed = false;
            try {
                T value = work.run(connection);
                connection.commit();
                committed = true;
                return value;
            } finally {
                if (!committed) {
                    try {
                        connection.rollback();
                    } catch (SQLException e) {
                        log.debug("event=rollback_failed error=\"{}\"", e.getMessage());
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
