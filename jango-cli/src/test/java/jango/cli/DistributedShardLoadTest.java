package jango.cli;

import jango.kafka.DistributedLedger;
import jango.postgres.PgConfig;
import jango.server.TestServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a shard checks when an instance takes it: the store's halt, and the log it was built from. */
class DistributedShardLoadTest {
    /**
     * The commands topic is the log the shards' state was built from. If it is deleted and made
     * again (or the service is pointed at another cluster), its partition ends before the offset the
     * store reached. Kafka's consumer would quietly start such a partition again from offset 0, and
     * the writer passed over every new command below the stored offset: accepted, never applied,
     * never answered, and /health said UP. The shard must halt instead, saying why, and answer 503.
     */
    @Test
    void aCommandsTopicMadeAgainBehindTheStoreHaltsTheShardAndSkipsNothing() throws Exception {
        String name = "ShardLoadTopicRecreated";
        try (TestServer server = DistributedInfra.server(name, 1)) {
            server.asset("BTC", 8);
            for (int i = 1; i <= 3; i++) {
                TestServer.Reply reply = server.command(deposit("tr-" + i));
                assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            }
        }

        try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, DistributedInfra.bootstrap()))) {
            admin.deleteTopics(List.of(name + ".commands")).all().get();
            TestServer.await("the commands topic is gone", 60_000, () -> {
                try {
                    return !admin.listTopics().names().get().contains(name + ".commands");
                } catch (Exception e) {
                    return false;
                }
            });
        }

        // The server makes the topic again, empty: its one partition ends at offset 0.
        try (TestServer server = DistributedInfra.serverUnloaded(name, 1, DistributedShardLoadTest::nowMicros)) {
            TestServer.await("the shard halted", 60_000, () -> server.get("/health").status() == 503);
            String health = server.get("/health").body();
            assertThat(health).contains("ends at offset 0").contains("not the log the state was built from");

            TestServer.Reply refused = server.command(deposit("tr-4"));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
            assertThat(refused.json().get("error").asText()).isEqualTo("SHARD_HALTED");

            TestServer.Reply balances = server.get("/v1/accounts/tr-u1/balances?asset=BTC");
            assertThat(balances.json().get("balances").get(0).get("available").asText())
                    .as("the state the store holds, nothing lost and nothing added").isEqualTo("3");
        }
    }

    /**
     * A shard an earlier owner halted (the halt is in the store) stays halted on the instance that
     * takes it next, until an operator resumes it: before, the new owner ran it, while /health still
     * reported the stored halt.
     */
    @Test
    void aShardHaltedByItsEarlierOwnerStaysHaltedUntilAnOperatorResumesIt() throws Exception {
        String name = "ShardLoadStoredHalt";
        try (TestServer server = DistributedInfra.server(name, 1)) {
            server.asset("BTC", 8);
            assertThat(server.command(deposit("sh-1")).status()).isEqualTo(200);
        }
        PgConfig database = DistributedInfra.database(name);
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             Statement statement = connection.createStatement()) {
            statement.execute("UPDATE shards SET halted_reason = 'halted on instance gone-1: a test' WHERE shard = 0");
        }

        try (TestServer server = DistributedInfra.serverUnloaded(name, 1, DistributedShardLoadTest::nowMicros)) {
            TestServer.await("the shard reports its halt", 60_000, () -> server.get("/health").status() == 503);
            assertThat(server.get("/health").body()).contains("halted on instance gone-1: a test");
            // /health reads the stored halt at once; the instance refuses commands itself once it has loaded the shard.
            DistributedLedger ledger = (DistributedLedger) server.ledger;
            TestServer.await("this instance loaded the shard, halted", 60_000, () -> ledger.haltedShards().contains(0));
            assertThat(ledger.ownedShards()).as("a halted shard is not counted as loaded and up").isEmpty();
            TestServer.Reply refused = server.command(deposit("sh-2"));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
            assertThat(refused.json().get("error").asText()).isEqualTo("SHARD_HALTED");

            assertThat(server.post("/v1/admin/shards/0/resume", "").status()).isEqualTo(202);
            TestServer.await("the shard resumed", 60_000, () -> server.get("/health").status() == 200);
            TestServer.Reply applied = server.command(deposit("sh-2"));
            assertThat(applied.status()).as(applied.toString()).isEqualTo(200);
            assertThat(server.get("/v1/accounts/tr-u1/balances?asset=BTC").json().get("balances").get(0).get("available").asText())
                    .isEqualTo("2");
        }
    }

    private static long nowMicros() {
        return java.util.concurrent.TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
    }

    private static String deposit(String id) {
        return "{\"id\": \"" + id + "\", \"type\": \"deposit\", \"account\": \"tr-u1\", \"asset\": \"BTC\", \"amount\": \"1\"}";
    }
}
