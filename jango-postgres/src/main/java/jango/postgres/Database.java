package jango.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import jango.engine.port.ShardStore;
import org.flywaydb.core.Flyway;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The connection pool and the one way this module talks to PostgreSQL: a unit of work in one
 * transaction, committed at the end and rolled back on any failure (or one read of one statement,
 * in autocommit: {@link #read}). A failure a retry may get past
 * (the database unreachable, restarting or overloaded; a connection that cannot be had in time)
 * becomes {@link ShardStore.Unavailable} naming the work; any other failed statement is a bug, and
 * becomes {@link ShardStore.Defect} naming the work and the statement, logged once here.
 */
final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);
    static final String POOL_NAME = "jango-pg";
    static final String READ_POOL_NAME = "jango-pg-reads";
    private static final int MAX_MESSAGE_CHARS = 500;

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final HikariDataSource pool;

    private Database(HikariDataSource pool) {
        this.pool = pool;
    }

    /** Opens the pool of the writers, the relay and the shards' loads, and migrates the schema (Flyway, db/migration). */
    static Database open(PgConfig config) {
        HikariDataSource pool = pool(config, POOL_NAME, config.poolSize());
        try {
            var result = Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
            log.info("event=pg_store_opened url={} pool_size={} read_pool_size={} schema_version={} migrations_applied={}",
                    config.safeUrl(), config.poolSize(), config.readPoolSize(), version, result.migrationsExecuted);
        } catch (RuntimeException e) {
            pool.close();
            throw new ShardStore.Unavailable("schema migration of " + config.safeUrl() + " failed: " + rootMessage(e), e);
        }
        return new Database(pool);
    }

    /**
     * Opens the pool of the API's reads, apart from {@link #open}'s: with one pool for both, a burst
     * of reads took the connections a writer waited for, and the writer counted the wait against its
     * retries like an outage (found in a review, 2026-12-02). The schema is {@link #open}'s to migrate.
     */
    static Database openReads(PgConfig config) {
        return new Database(pool(config, READ_POOL_NAME, config.readPoolSize()));
    }

    private static HikariDataSource pool(PgConfig config, String name, int size) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName(name);
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.user());
        hikari.setPassword(config.password());
        hikari.setMaximumPoolSize(size);
        hikari.setMinimumIdle(Math.min(2, size));
        hikari.setAutoCommit(false);
        hikari.setConnectionTimeout(config.connectionTimeoutMs());
        hikari.setValidationTimeout(Math.min(config.connectionTimeoutMs(), 5_000));
        // Batched INSERTs go as multi-row INSERTs: a batch is a few round trips, not one per row.
        hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
        hikari.addDataSourceProperty("socketTimeout", String.valueOf(Math.ceilDiv(config.socketTimeoutMs(), 1_000)));
        hikari.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, Math.ceilDiv(config.connectionTimeoutMs(), 1_000))));
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        hikari.addDataSourceProperty("ApplicationName", "jango");
        // A writer frozen mid-transaction (SIGSTOP, a long GC pause) must not hold its shard row's lock
        // forever: the server ends its session after 5 idle seconds, so the shard's new owner can take
        // the epoch; the frozen writer's commit then fails and it finds itself fenced. No statement
        // waits for a lock longer than 20 s either: it fails as unavailable and is retried.
        hikari.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout=5000 -c lock_timeout=20000");
        try {
            return new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            throw new ShardStore.Unavailable("cannot connect to " + config.safeUrl() + ": " + rootMessage(e), e);
        }
    }

    /**
     * A statement for a table that churns (outbox, records of transfers between shards: every row
     * deleted seconds after its insert), which the driver never prepares on the server (prepare
     * threshold 0), so PostgreSQL plans it for its arguments and the table's size at each run.
     * Autovacuum keeps finding such a table nearly empty and cuts its file back; a server-side
     * prepared statement switches to a generic plan after five runs, and one made then is a
     * sequential scan, kept while dead rows grow the table to thousands of pages (docs/performance.md,
     * 2026-12-02). Planning costs a fraction of a millisecond a run.
     */
    static PreparedStatement plannedEachRun(Connection connection, String sql) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        return statement;
    }

    /** One READ COMMITTED transaction: each statement sees what was committed before it started. */
    <T> T transaction(String what, Work<T> work) {
        return run(what, Mode.TRANSACTION, work);
    }

    /** One REPEATABLE READ, READ ONLY transaction: every statement sees the same snapshot. */
    <T> T snapshot(String what, Work<T> work) {
        return run(what, Mode.SNAPSHOT, work);
    }

    /**
     * One read of one statement, in autocommit: a statement is atomic on its own, and without a
     * transaction around it there is no COMMIT to send and wait for. Under the 4-shard bench the
     * relay's reads of the outbox spent 30% of their time in that COMMIT (docs/performance.md); a
     * writer's reads before each batch, and the API's reads, are the same.
     */
    <T> T read(String what, Work<T> work) {
        return run(what, Mode.ONE_READ, work);
    }

    private enum Mode { TRANSACTION, SNAPSHOT, ONE_READ }

    private <T> T run(String what, Mode mode, Work<T> work) {
        StatementRecorder recorder = null;
        try (Connection pooled = pool.getConnection()) {
            recorder = new StatementRecorder(pooled);
            Connection connection = recorder.connection();
            if (mode == Mode.ONE_READ) {
                connection.setAutoCommit(true); // the pool sets it back when the connection returns
                return work.run(connection);
            }
            boolean committed = false;
            try {
                if (mode == Mode.SNAPSHOT) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                    }
                }
                T value = work.run(connection);
                connection.commit();
                committed = true;
                return value;
            } finally {
                if (!committed) {
                    rollback(connection, what);
                }
            }
        } catch (SQLException e) {
            if (SqlFailure.isOutage(e)) {
                throw new ShardStore.Unavailable(what + " failed: " + describe(e), e);
            }
            throw defect(what, e, recorder == null ? null : recorder.lastStatement());
        }
    }

    /** A bug, not an outage: the log line and the message name the statement (its text, never its values). */
    private static ShardStore.Defect defect(String what, SQLException e, String statement) {
        String sql = statement == null ? "(none prepared)" : abbreviate(oneLine(statement));
        String state = SqlFailure.serverError(e).getSQLState();
        log.error("event=pg_statement_bug work=\"{}\" sqlstate={} error=\"{}\" statement=\"{}\"", what, state, describe(e), sql);
        return new ShardStore.Defect(what + " failed on a bug in Jango's SQL or schema, not a database outage (no retry"
                + " can fix it): " + describe(e) + "; statement: " + sql, e);
    }

    private static void rollback(Connection connection, String what) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // The connection is likely gone, and the server rolls back what it had; the first error is the one to report.
            log.debug("event=pg_rollback_failed work=\"{}\" error=\"{}\"", what, e.getMessage());
        }
    }

    /**
     * The server's words for what failed. A batch's own message quotes the whole (rewritten,
     * multi-row) statement with its values, so the server error behind it is used instead.
     */
    static String describe(SQLException e) {
        SQLException cause = SqlFailure.serverError(e);
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : oneLine(cause.getMessage());
        return abbreviate(message) + (cause.getSQLState() == null ? "" : " (SQLState " + cause.getSQLState() + ")");
    }

    /** Log lines are one line each: the server's "Position: n" and a statement's line breaks become spaces. */
    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    private static String abbreviate(String text) {
        return text.length() > MAX_MESSAGE_CHARS ? text.substring(0, MAX_MESSAGE_CHARS) + "..." : text;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
    }

    @Override
    public void close() {
        pool.close();
    }
}
