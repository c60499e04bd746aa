package jango.cli;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import jango.engine.Names;
import jango.engine.port.ChangeEvent;
import jango.kafka.DistributedConfig;
import jango.postgres.PgConfig;
import jango.server.TestServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The change-events topic is a projection's whole input: with 2 shards and transfers that credit
 * users on the other shard, a consumer that reads the topic from its start and applies each change
 * only when its revision is newer than the one it holds rebuilds every balance of every shard
 * exactly as PostgreSQL holds it. Each shard's changes are in its own partition, keyed by owner,
 * and every account's revisions arrive in order, none missing.
 */
class ChangeEventsTest {
    private static final String NAME = "ChangeEventsTest";

    /** What a projection keeps per account: the newest revision's balance. */
    record Row(Int128 available, Int128 held, long revision) {
    }

    @Test
    void aConsumerOfTheTopicRebuildsEveryBalanceOfEveryShard() throws Exception {
        List<String> users = ShardedWorkload.users(2, 8);
        try (TestServer server = DistributedInfra.server(NAME, 2)) {
            server.asset(ShardedWorkload.ASSET, 0);
            ShardedWorkload.run(server, ShardedWorkload.commands(new Random(11), users, 300, "c"));

            Map<String, Row> stored = storedBalances(DistributedInfra.database(NAME));
            assertThat(stored.keySet()).as("accounts of both shards, @clearing included")
                    .anyMatch(k -> k.startsWith("0/")).anyMatch(k -> k.startsWith("1/")).anyMatch(k -> k.contains("/@clearing/"));
            Map<String, Row> rebuilt = new TreeMap<>();
            Map<String, Long> lastSeen = new HashMap<>();
            List<String> problems = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = consumer()) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo info : consumer.partitionsFor(DistributedConfig.changesTopic(NAME + ".commands"), Duration.ofSeconds(30))) {
                    partitions.add(new TopicPartition(info.topic(), info.partition()));
                }
                assertThat(partitions).as("one partition per shard").hasSize(2);
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                TestServer.await("the projection equals PostgreSQL", 60_000, () -> {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        apply(record, rebuilt, lastSeen, problems);
                    }
                    return rebuilt.equals(stored);
                });
            }
            assertThat(problems).isEmpty();
            assertThat(rebuilt).isEqualTo(stored);

            // Applying everything again (a consumer that restarts from the beginning) changes nothing.
            Map<String, Row> again = new TreeMap<>(rebuilt);
            try (KafkaConsumer<String, byte[]> consumer = consumer()) {
                List<TopicPartition> partitions = List.of(new TopicPartition(NAME + ".changes", 0), new TopicPartition(NAME + ".changes", 1));
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        ChangeEvent event = ChangeEvent.decode(record.value());
                        applyNewer(again, key(event), event.change());
                    }
                }
            }
            assertThat(again).isEqualTo(stored);
        }
    }

    /** Checks where the record is and that its account's revisions come in order, then applies it. */
    private static void apply(ConsumerRecord<String, byte[]> record, Map<String, Row> rebuilt, Map<String, Long> lastSeen,
                              List<String> problems) {
        ChangeEvent event = ChangeEvent.decode(record.value());
        BalanceChange change = event.change();
        if (record.partition() != event.shard()) {
            problems.add(change + " of shard " + event.shard() + " in partition " + record.partition());
        }
        if (!change.account().equals(record.key())) {
            problems.add(change + " keyed " + record.key());
        }
        String key = key(event);
        long last = lastSeen.getOrDefault(key, 0L);
        // A relay may publish a row again after a crash: an older revision is a duplicate, never a gap.
        if (change.revision() > last + 1) {
            problems.add(key + ": revision " + change.revision() + " after " + last);
        }
        lastSeen.put(key, Math.max(last, change.revision()));
        applyNewer(rebuilt, key, change);
    }

    private static void applyNewer(Map<String, Row> rows, String key, BalanceChange change) {
        Row have = rows.get(key);
        if (have == null || change.revision() > have.revision()) {
            rows.put(key, new Row(change.available(), change.held(), change.revision()));
        }
    }

    /** A user's account is one row whichever shard; a system owner has one per shard. */
    private static String key(ChangeEvent event) {
        return event.shard() + "/" + event.change().account() + "/" + event.change().asset();
    }

    private static Map<String, Row> storedBalances(PgConfig database) throws SQLException {
        Map<String, Row> rows = new TreeMap<>();
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             Statement select = connection.createStatement();
             ResultSet row = select.executeQuery("SELECT shard, owner, asset, available, held, revision FROM balances")) {
            while (row.next()) {
                String owner = row.getString("owner");
                rows.put(row.getInt("shard") + "/" + owner + "/" + row.getString("asset"),
                        new Row(Int128.fromBigInteger(row.getBigDecimal("available").toBigIntegerExact()),
                                Int128.fromBigInteger(row.getBigDecimal("held").toBigIntegerExact()), row.getLong("revision")));
                assertThat(Names.isSystem(owner) || !owner.isEmpty()).isTrue();
            }
        }
        return rows;
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
