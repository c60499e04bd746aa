package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import jango.kafka.DistributedLedger;
import jango.kafka.Shards;
import jango.kafka.Wire;
import jango.server.TestServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A batch's commands for one shard cross Kafka as one record (a pack), not one record each: the
 * producer's sender, the broker and the shard writer's poll pay per record. What a command of the
 * batch waits for (an earlier one on its account, BatchOrder) still holds: a command that only
 * needs an earlier one of its shard handed over joins that one's record, after it.
 */
class CommandPackingTest {
    private static final String NAME = "CommandPacking";
    private static final int SHARDS = 4;

    @Test
    void aBatchCrossesKafkaAsOneRecordPerShardAndAppliesInOrder() throws Exception {
        try (TestServer server = DistributedInfra.server(NAME, SHARDS)) {
            server.asset("BTC", 8);
            String instance = ((DistributedLedger) server.ledger).instanceId();
            Map<TopicPartition, Long> before = ends();

            // 100 users: a deposit, then a hold on what it deposited (waits for the deposit: same shard, same record).
            List<String> commands = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String user = "cp-u" + i;
                commands.add("{\"id\":\"cp-d" + i + "\",\"type\":\"deposit\",\"account\":\"" + user
                        + "\",\"asset\":\"BTC\",\"amount\":\"" + (i + 1) + "\"}");
                commands.add("{\"id\":\"cp-h" + i + "\",\"type\":\"hold\",\"account\":\"" + user
                        + "\",\"asset\":\"BTC\",\"amount\":\"" + (i + 1) + "\",\"hold\":\"cp-hold" + i + "\"}");
            }
            TestServer.Reply batch = server.post("/v1/commands/batch", "{\"commands\":[" + String.join(",", commands) + "]}");
            assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
            for (JsonNode result : batch.json().get("results")) {
                assertThat(result.get("status").asText()).as(result.toString()).isEqualTo("APPLIED");
            }
            for (int i = 0; i < 100; i++) {
                JsonNode balance = server.get("/v1/accounts/cp-u" + i + "/balances?asset=BTC").json().get("balances").get(0);
                assertThat(balance.get("available").asText()).isEqualTo("0");
                assertThat(balance.get("held").asText()).isEqualTo(String.valueOf(i + 1));
            }

            // Ticks are records of the partition too; the callers' records are those with this instance as reply-to.
            List<List<Wire.CommandRecord>> records = callersRecords(before, instance);
            assertThat(records).as("one record per shard the batch touched").hasSize(SHARDS);
            Shards shards = new Shards(SHARDS);
            int entries = 0;
            for (List<Wire.CommandRecord> record : records) {
                entries += record.size();
                int shard = shards.of(owner(record.get(0)));
                for (Wire.CommandRecord entry : record) {
                    assertThat(shards.of(owner(entry))).as("every command of a record is of its shard").isEqualTo(shard);
                }
            }
            assertThat(entries).isEqualTo(commands.size());
        }
    }

    /** A batch of 10,000 commands (the API's most) goes in several records per shard, each within the broker's limit. */
    @Test
    void theLargestBatchIsSplitIntoRecordsTheBrokerTakes() throws Exception {
        try (TestServer server = DistributedInfra.server(NAME, SHARDS)) {
            server.asset("ETH", 8);
            String instance = ((DistributedLedger) server.ledger).instanceId();
            Map<TopicPartition, Long> before = ends();
            List<String> commands = new ArrayList<>();
            // 940 KB of JSON, under the HTTP body's 1 MiB; about 180 KB a shard once encoded.
            for (int i = 0; i < 10_000; i++) {
                commands.add(String.format("{\"id\":\"cpb-%05d\",\"type\":\"deposit\",\"account\":\"cp-big-account-%03d\","
                        + "\"asset\":\"ETH\",\"amount\":\"1\"}", i, i % 500));
            }
            TestServer.Reply batch = server.post("/v1/commands/batch", "{\"commands\":[" + String.join(",", commands) + "]}");
            assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
            for (JsonNode result : batch.json().get("results")) {
                assertThat(result.get("status").asText()).isEqualTo("APPLIED");
            }
            assertThat(server.get("/v1/accounts/cp-big-account-007/balances?asset=ETH").json().get("balances").get(0).get("available").asText())
                    .isEqualTo("20");
            List<List<Wire.CommandRecord>> records = callersRecords(before, instance);
            assertThat(records.size()).as("more records than shards: a record is bounded in bytes").isGreaterThan(SHARDS);
            assertThat(records.stream().mapToInt(List::size).sum()).isEqualTo(commands.size());
        }
    }

    private static String owner(Wire.CommandRecord entry) {
        return Shards.keyOwner(entry.command());
    }

    private static Map<TopicPartition, Long> ends() {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions();
            return new HashMap<>(consumer.endOffsets(partitions));
        }
    }

    /** The records from {@code from} to the partitions' ends that carry this instance's callers' commands, each as its entries. */
    private static List<List<Wire.CommandRecord>> callersRecords(Map<TopicPartition, Long> from, String instance) {
        List<List<Wire.CommandRecord>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions();
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, from.get(partition));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() >= ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        continue;
                    }
                    List<Wire.CommandRecord> entries = Wire.readCommands(record.value(), record.timestamp());
                    if (entries.get(0).replyTo().equals(instance)) {
                        found.add(entries);
                    }
                }
            }
        }
        return found;
    }

    private static List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < SHARDS; p++) {
            partitions.add(new TopicPartition(NAME + ".commands", p));
        }
        return partitions;
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, DistributedInfra.bootstrap());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }
}
