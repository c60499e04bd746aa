package jango.postgres;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import jango.engine.BalanceChange;
import jango.engine.SnapshotCodec;
import jango.engine.port.ShardStore;
import jango.engine.port.ShardStore.ShardCommit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A failed statement is either an outage a retry may get past ({@link ShardStore.Unavailable}) or
 * a bug no retry fixes ({@link ShardStore.Defect}), decided by the SQLSTATE the real server sends.
 * A bug is never reported as the database being unavailable.
 */
class SqlFailureTest {
    @TempDir
    static Path dir;
    private static TestPostgres postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = TestPostgres.start(dir.resolve("pg"));
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** What the server raises, and whether a retry may get past it. */
    private static final Map<String, Boolean> OUTAGE_BY_STATE = Map.ofEntries(
            Map.entry("08006", true),  // connection_failure
            Map.entry("40001", true),  // serialization_failure
            Map.entry("40P01", true),  // deadlock_detected
            Map.entry("53300", true),  // too_many_connections
            Map.entry("53100", true),  // disk_full
            Map.entry("57P01", true),  // admin_shutdown
            Map.entry("57P03", true),  // cannot_connect_now (starting up)
            Map.entry("57014", true),  // query_canceled
            Map.entry("58030", true),  // io_error
            Map.entry("55P03", true),  // lock_not_available (lock_timeout)
            Map.entry("25006", true),  // read_only_sql_transaction (a standby after a failover)
            Map.entry("XX000", true),  // internal_error (the server's bug, not ours)
            Map.entry("42601", false), // syntax_error
            Map.entry("42703", false), // undefined_column
            Map.entry("42P01", false), // undefined_table
            Map.entry("42883", false), // undefined_function
            Map.entry("23502", false), // not_null_violation
            Map.entry("23514", false), // check_violation
            Map.entry("23503", false), // foreign_key_violation
            Map.entry("22003", false), // numeric_value_out_of_range
            Map.entry("22P02", false), // invalid_text_representation
            Map.entry("0A000", false)); // feature_not_supported

    @Test
    void theServersSqlStateDecidesBetweenOutageAndBug() {
        try (Database database = Database.open(postgres.createDatabase("classes"))) {
            OUTAGE_BY_STATE.forEach((state, outage) -> {
                var thrown = assertThatThrownBy(() -> raise(database, state, null)).as(state)
                        .hasMessageContaining("SQLState " + state);
                if (outage) {
                    thrown.isInstanceOf(ShardStore.Unavailable.class).hasMessageStartingWith("raise of " + state + " failed: ");
                } else {
                    thrown.isInstanceOf(ShardStore.Defect.class).isNotInstanceOf(ShardStore.Unavailable.class)
                            .hasMessageContaining("a bug in Jango's SQL or schema, not a database outage")
                            .hasMessageContaining("statement: DO $$ BEGIN RAISE EXCEPTION");
                }
            });
            // Two shards storing one command id at once is a race the loser's reload resolves; any other duplicate is a bug.
            assertThatThrownBy(() -> raise(database, "23505", "results_pkey")).isInstanceOf(ShardStore.Unavailable.class);
            assertThatThrownBy(() -> raise(database, "23505", "history_by_owner_asset")).isInstanceOf(ShardStore.Defect.class);
        }
    }

    private static void raise(Database database, String state, String constraint) {
        String sql = "DO $$ BEGIN RAISE EXCEPTION 'planted' USING ERRCODE = '" + state + "'"
                + (constraint == null ? "" : ", CONSTRAINT = '" + constraint + "'") + "; END $$";
        database.transaction("raise of " + state, connection -> {
            try (PreparedStatement raise = connection.prepareStatement(sql)) {
                return raise.execute();
            }
        });
    }

    @Test
    void aSessionTheServerEndsIsAnOutage() {
        try (Database database = Database.open(postgres.createDatabase("terminated"))) {
            assertThatThrownBy(() -> database.transaction("terminated work", connection -> {
                int pid;
                try (PreparedStatement select = connection.prepareStatement("SELECT pg_backend_pid()");
                     ResultSet row = select.executeQuery()) {
                    row.next();
                    pid = row.getInt(1);
                }
                try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("terminated"), TestPostgres.USER,
                        TestPostgres.PASSWORD); Statement kill = admin.createStatement()) {
                    kill.execute("SELECT pg_terminate_backend(" + pid + ")");
                }
                try (PreparedStatement select = connection.prepareStatement("SELECT 1")) {
                    return select.execute();
                }
            })).isInstanceOf(ShardStore.Unavailable.class).hasMessageContaining("terminated work failed");
            assertThat((int) database.<Integer>transaction("the next work", connection -> 1)).as("the pool replaced the connection").isEqualTo(1);
        }
    }

    /**
     * A column the code names and the schema lacks (what a bad migration or a typo does): reads
     * and commits fail as bugs naming the statement, logged once, and nothing of the commit stays.
     */
    @Test
    void aStatementTheSchemaRefusesIsADefectNamingTheStatement() throws SQLException {
        PgConfig config = postgres.createDatabase("broken_schema");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(Database.class);
        logger.addAppender(logged);
        logged.start();
        try (PgShardStore store = PgShardStore.open(config)) {
            store.init(1);
            ShardDriver driver = new ShardDriver(0, 21).take(ShardDriver.acquire(store, 0, "a"));
            store.commit(driver.registerAssets(store));
            store.commit(driver.batch(50));
            execute(config, "ALTER TABLE history RENAME COLUMN type TO kind");

            assertThatThrownBy(() -> store.history("s0u1", "USD", 2, null)).isInstanceOf(ShardStore.Defect.class)
                    .hasMessageContaining("read of s0u1's history failed on a bug")
                    .hasMessageContaining("column \"type\" does not exist").hasMessageContaining("(SQLState 42703)")
                    .hasMessageContaining("statement: SELECT shard, seq, revision, at_micros, command_id, type");
            ShardCommit commit = driver.batch(50);
            List<BalanceChange> history = new ArrayList<>(commit.history());
            assertThat(history).isNotEmpty();
            long offset = store.shardRows().getFirst().nextOffset();
            assertThatThrownBy(() -> store.commit(commit)).isInstanceOf(ShardStore.Defect.class)
                    .hasMessageContaining("commit of shard 0")
                    .hasMessageContaining("statement: INSERT INTO history");
            assertThat(store.shardRows().getFirst().nextOffset()).as("rolled back").isEqualTo(offset);
            assertThat(logged.list).filteredOn(e -> e.getFormattedMessage().startsWith("event=pg_statement_bug"))
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(line -> assertThat(line).contains("work=\"read of s0u1's history\"", "sqlstate=42703",
                            "statement=\"SELECT shard, seq, revision"))
                    .anySatisfy(line -> assertThat(line).contains("work=\"commit of shard 0", "statement=\"INSERT INTO history"));

            execute(config, "ALTER TABLE history RENAME COLUMN kind TO type");
            store.commit(commit);
            assertThat(SnapshotCodec.stateHash(ShardDriver.reload(store, 0, driver.epoch()).engine())).isEqualTo(driver.stateHash());
            assertThat(store.history("s0u1", null, 2, null).entries()).isNotEmpty();
        } finally {
            logger.detachAppender(logged);
        }
    }

    private static void execute(PgConfig config, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
