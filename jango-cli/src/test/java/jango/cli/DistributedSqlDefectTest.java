package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import jango.postgres.PgConfig;
import jango.server.TestServer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bug in our SQL is not an outage: a read that meets one answers 500 INTERNAL (the log names
 * the statement), never 503 "the database is unavailable", and the shard writer halts with a
 * reason that says it is a bug. Nothing is skipped: once the schema is mended and the shard
 * resumed, the command that met the bug is applied. The bug is planted the way a bad migration
 * would: a column the code names is renamed in the real PostgreSQL.
 */
class DistributedSqlDefectTest {
    private static final String NAME = "DistributedSqlDefectTest";

    @Test
    void aBugInOurSqlIsA500AndAHaltThatSaysBugNotAnOutage() throws Exception {
        try (TestServer server = DistributedInfra.server(NAME, 1)) {
            server.asset("BTC", 8);
            for (int i = 1; i <= 3; i++) {
                assertThat(server.command(deposit("sd-" + i)).status()).isEqualTo(200);
            }
            // The request: the second page of one asset's history (503 "$2AND" on PostgreSQL 15 before the fix).
            TestServer.Reply first = server.get("/v1/accounts/sd-u1/history?asset=BTC&limit=2");
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            String cursor = first.json().get("next").asText();
            TestServer.Reply second = server.get("/v1/accounts/sd-u1/history?asset=BTC&limit=2&cursor=" + cursor);
            assertThat(second.status()).as(second.toString()).isEqualTo(200);
            assertThat(second.json().get("entries")).hasSize(1);

            PgConfig database = DistributedInfra.database(NAME);
            execute(database, "ALTER TABLE history RENAME COLUMN type TO kind");
            TestServer.Reply broken = server.get("/v1/accounts/sd-u1/history?asset=BTC&limit=2");
            assertThat(broken.status()).as(broken.toString()).isEqualTo(500);
            assertThat(broken.json().get("error").asText()).isEqualTo("INTERNAL");
            assertThat(broken.body()).doesNotContain("unavailable");

            // The writer meets the bug when it commits the next command: it halts the shard, saying why.
            CompletableFuture<TestServer.Reply> pending = CompletableFuture.supplyAsync(() -> server.command(deposit("sd-4")));
            TestServer.await("the shard halted", 60_000, () -> server.get("/health").status() == 503);
            JsonNode health = server.get("/health").json();
            assertThat(health.toString()).contains("a bug in Jango's SQL or schema, not a database outage")
                    .contains("INSERT INTO history");
            TestServer.Reply halted = server.command(deposit("sd-5"));
            assertThat(halted.status()).isEqualTo(503);
            assertThat(halted.json().get("error").asText()).isEqualTo("SHARD_HALTED");
            assertThat(halted.body()).contains("bug");

            execute(database, "ALTER TABLE history RENAME COLUMN kind TO type");
            assertThat(server.post("/v1/admin/shards/0/resume", "").status()).isEqualTo(202);
            TestServer.await("the shard resumed", 60_000, () -> server.get("/health").status() == 200);
            assertThat(pending.get().status()).as("answered or timed out, never lost").isIn(200, 503);
            TestServer.Reply retried = server.command(deposit("sd-4"));
            assertThat(retried.status()).as(retried.toString()).isEqualTo(200);
            assertThat(retried.json().get("status").asText()).isEqualTo("APPLIED");
            assertThat(server.get("/v1/accounts/sd-u1/balances?asset=BTC").json().get("balances").get(0).get("available").asText())
                    .isEqualTo("4");
            assertThat(server.get("/v1/admin/state").json().get("invariants").asText()).isEqualTo("ok");
        }
    }

    private static String deposit(String id) {
        return "{\"id\": \"" + id + "\", \"type\": \"deposit\", \"account\": \"sd-u1\", \"asset\": \"BTC\", \"amount\": \"1\"}";
    }

    private static void execute(PgConfig config, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
