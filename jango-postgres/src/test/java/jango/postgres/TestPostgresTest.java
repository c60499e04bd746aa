package jango.postgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestPostgresTest {
    @TempDir
    Path dir;

    @Test
    void restartsOnTheSamePortWithTheSameData() throws SQLException {
        try (TestPostgres postgres = TestPostgres.start(dir.resolve("pg"))) {
            int port = postgres.port();
            execute(postgres, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
            postgres.stop();
            assertThat(postgres.running()).isFalse();
            assertThatThrownBy(() -> execute(postgres, "SELECT 1")).isInstanceOf(SQLException.class);

            postgres.start();
            assertThat(postgres.port()).isEqualTo(port);
            try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
                 Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery("SELECT v FROM kept")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getInt(1)).isEqualTo(42);
            }
        }
    }

    /**
     * Users run PostgreSQL 15 or newer, which is stricter than 14 (it refuses {@code $2AND}, which 14
     * read as {@code $2 AND}): the tests must run what users run. The version is the root pom's
     * {@code postgres.binaries.version}.
     */
    @Test
    void runsPostgreSql15OrNewer() throws SQLException {
        try (TestPostgres postgres = TestPostgres.start(dir.resolve("pg"));
             Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SHOW server_version_num")) {
            assertThat(row.next()).isTrue();
            assertThat(Integer.parseInt(row.getString(1))).isGreaterThanOrEqualTo(150_000);
        }
    }

    /** scripts/dev-cluster.sh runs the same PostgreSQL as the tests when none is installed. */
    @Test
    void theDevClusterFetchesTheVersionTheTestsRun() throws IOException {
        Pattern version = Pattern.compile("<postgres\\.binaries\\.version>([^<]+)</postgres\\.binaries\\.version>");
        Matcher root = version.matcher(Files.readString(Path.of("..", "pom.xml")));
        Matcher devCluster = version.matcher(Files.readString(Path.of("..", "scripts", "dev-cluster", "pom.xml")));
        assertThat(root.find()).isTrue();
        assertThat(devCluster.find()).isTrue();
        assertThat(devCluster.group(1)).isEqualTo(root.group(1));
    }

    private static void execute(TestPostgres postgres, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
