package jango.cli;

import jango.kafka.DistributedLedger;
import jango.kafka.Shards;
import jango.server.TestServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a caller gets its answer in distributed mode: from the instance it asked, in memory after the
 * commit when that instance owns the shard, and through the events topic only when another instance
 * does. An answer published for a caller that waits on the publishing instance itself would cost an
 * outbox row, the relay's read and delete, a record on the broker and every instance's read of it,
 * for an answer that could only ever reach the same process.
 */
class AnswerRoutingTest {
    private static final String NAME = "AnswerRouting";

    @Test
    void anInstanceAnswersItsOwnShardsCallersInMemoryAndPublishesOnlyForCallersOfOtherShards() throws Exception {
        try (TestServer cluster = DistributedInfra.cluster(NAME, 2, 2);
             Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, DistributedInfra.bootstrap()))) {
            cluster.asset("BTC", 8);
            Set<Integer> owned = ((DistributedLedger) cluster.ledger).ownedShards();
            assertThat(owned).as("the first instance owns one of the two shards").hasSize(1);
            Shards shards = new Shards(2);
            HttpClient http = HttpClient.newHttpClient();
            URI first = URI.create("http://127.0.0.1:" + cluster.server.port() + "/v1/commands");

            long before = eventsEnd(admin);
            int here = 0;
            int elsewhere = 0;
            for (int i = 0; i < 24; i++) {
                String user = "ar-u" + i;
                String deposit = "{\"id\": \"ar-" + i + "\", \"type\": \"deposit\", \"account\": \"" + user
                        + "\", \"asset\": \"BTC\", \"amount\": \"" + (i + 1) + "\"}";
                HttpResponse<String> reply = http.send(HttpRequest.newBuilder(first).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(deposit)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
                assertThat(TestServer.JSON.readTree(reply.body()).get("status").asText()).isEqualTo("APPLIED");
                if (owned.contains(shards.of(user))) {
                    here++;
                } else {
                    elsewhere++;
                }
            }
            assertThat(here).as("deposits to users of the asked instance's shard").isPositive();
            assertThat(elsewhere).as("deposits to users of the other instance's shard").isPositive();
            assertThat(eventsEnd(admin) - before)
                    .as("events published: one per caller answered by the other instance, none for the asked instance's own")
                    .isEqualTo(elsewhere);

            for (int i = 0; i < 24; i++) {
                TestServer.Reply balances = cluster.get("/v1/accounts/ar-u" + i + "/balances?asset=BTC");
                assertThat(balances.json().get("balances").get(0).get("available").asText()).isEqualTo(String.valueOf(i + 1));
            }

            // A batch: its commands for the other instance's shard go as one record, applied in one
            // batch there, whose answers for this instance come back as one event record.
            long beforeBatch = eventsEnd(admin);
            StringBuilder batch = new StringBuilder("{\"commands\":[");
            for (int i = 0; i < 24; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"id\": \"ar-b").append(i).append("\", \"type\": \"withdraw\", \"account\": \"ar-u")
                        .append(i).append("\", \"asset\": \"BTC\", \"amount\": \"1\"}");
            }
            TestServer.Reply withdrawn = cluster.post("/v1/commands/batch", batch.append("]}").toString());
            assertThat(withdrawn.status()).as(withdrawn.toString()).isEqualTo(200);
            assertThat(withdrawn.json().get("results")).allSatisfy(result -> assertThat(result.get("status").asText()).isEqualTo("APPLIED"));
            assertThat(eventsEnd(admin) - beforeBatch).as("one event record for the batch's answers from the other instance")
                    .isEqualTo(1);
            assertThat(cluster.get("/v1/accounts/ar-u23/balances?asset=BTC").json().get("balances").get(0).get("available").asText())
                    .isEqualTo("23");
        }
    }

    /**
     * A commit that went through while its writer was told it failed (the connection broke as
     * PostgreSQL committed): the writer reloads the shard, finds the batch stored, and answers its
     * callers on this instance then, with what was stored. They are in no outbox, so before this they
     * waited out the answer timeout and got a 503. Nothing is applied twice.
     */
    @Test
    void aCallerWhoseCommitWentThroughUnseenIsAnsweredAfterTheReload() throws Exception {
        CommitLostAnswerStore[] store = new CommitLostAnswerStore[1];
        try (TestServer server = DistributedInfra.server(NAME + "Lost", 1, s -> store[0] = new CommitLostAnswerStore(s))) {
            server.asset("BTC", 8);
            // The asset's registration is an entry of the shard's log too: answered once it is committed.
            assertThat(server.command("{\"id\": \"lost-0\", \"type\": \"deposit\", \"account\": \"lost-u0\", \"asset\": \"BTC\","
                    + " \"amount\": \"1\"}").status()).isEqualTo(200);
            String deposit = "{\"id\": \"lost-1\", \"type\": \"deposit\", \"account\": \"lost-u1\", \"asset\": \"BTC\", \"amount\": \"5\"}";
            store[0].loseAnswersOfNext(1);
            TestServer.Reply reply = server.command(deposit);
            assertThat(store[0].stillToLose()).as("the commit was reported failed").isZero();
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            assertThat(reply.json().get("status").asText()).isEqualTo("APPLIED");

            TestServer.Reply again = server.command(deposit);
            assertThat(again.json().get("seq").asLong()).as("the stored result, not a second application")
                    .isEqualTo(reply.json().get("seq").asLong());
            assertThat(server.get("/v1/accounts/lost-u1/balances?asset=BTC").json().get("balances").get(0).get("available").asText())
                    .isEqualTo("5");
        }
    }

    /** The sum of the events topic's partitions' end offsets: how many records were ever published there. */
    private static long eventsEnd(Admin admin) throws Exception {
        String topic = NAME + ".events";
        int partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long sum = 0;
        for (var offset : admin.listOffsets(latest).all().get().values()) {
            sum += offset.offset();
        }
        return sum;
    }
}
