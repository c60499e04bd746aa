package jango.cli;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.port.ShardStore;
import jango.kafka.Shards;
import jango.kafka.Wire;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import jango.postgres.PgConfig;
import jango.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jango audit --mode distributed} as operators run it (its own JVM): after a 2-shard run with
 * credits across shards and an id that two shards were sent (the second answered ID_CONFLICT from
 * the first one's stored result), replaying each shard's partition gives PostgreSQL's state hash:
 * PASS. A balance changed behind the ledger's back in PostgreSQL (conservation kept, so only the
 * replay can tell) fails the audit, naming the shard.
 */
class DistributedAuditTest {
    private static final String NAME = "DistributedAuditTest";

    @TempDir
    Path dir;

    @Test
    void theReplayOfEachShardGivesPostgresStateAndAPlantedDifferenceFailsNamingItsShard() throws Exception {
        List<String> users = ShardedWorkload.users(2, 8);
        Shards shards = new Shards(2);
        String onZero = users.stream().filter(u -> shards.of(u) == 0).findFirst().orElseThrow();
        String onOne = users.stream().filter(u -> shards.of(u) == 1).findFirst().orElseThrow();
        try (TestServer server = DistributedInfra.server(NAME, 2)) {
            server.asset(ShardedWorkload.ASSET, 0);
            ShardedWorkload.run(server, ShardedWorkload.commands(new Random(7), users, 150, "a"));
            // One id, two bodies on two shards, as when two requests race past the server's shortcut
            // (which answers a known id without the log): the second reaches shard 1's log, and shard 1
            // answers it ID_CONFLICT from the result shard 0 stored. A replay of shard 1 must do the same:
            // its own log alone would apply the deposit.
            assertThat(server.command(ShardedWorkload.json("twice", "deposit", "\"account\":\"" + onZero
                    + "\",\"asset\":\"KRW\",\"amount\":\"5\"")).status()).isEqualTo(200);
            long before = offsetOf(1);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                producer.send(new ProducerRecord<>(NAME + ".commands", 1, onOne, Wire.command("", 0,
                        TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()),
                        new Command.Deposit("twice", onOne, "KRW", Decimal.parse("6", false))))).get();
            }
            TestServer.await("shard 1 applied the raced command", 30_000, () -> offsetOf(1) > before);
            assertThat(server.get("/v1/accounts/" + onOne + "/history?limit=1").body()).doesNotContain("\"twice\"");
        }

        Child.Result pass = audit("pass");
        assertThat(pass.exitCode()).as(pass.output()).isZero();
        assertThat(pass.output()).contains("audit: PASS").contains("audit: shard 0 replaying offsets 0..")
                .containsPattern("audit: shard=0 offset=\\d+ seq=\\d+ results_checked=[1-9]\\d* other_shards_holds_messages=\\d+ state_hash=\\w+ ok")
                .containsPattern("audit: shard=1 offset=\\d+ seq=\\d+ results_checked=[1-9]\\d* other_shards_holds_messages=\\d+ state_hash=\\w+ ok");

        PgConfig database = DistributedInfra.database(NAME);
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             PreparedStatement plant = connection.prepareStatement("UPDATE balances SET available = available + ?"
                     + " WHERE shard = 1 AND owner = ? AND asset = 'KRW'")) {
            plant.setInt(1, 1);
            plant.setString(2, onOne);
            assertThat(plant.executeUpdate()).isEqualTo(1);
            plant.setInt(1, -1);
            plant.setString(2, "@external");
            assertThat(plant.executeUpdate()).as("conservation kept").isEqualTo(1);
        }
        Child.Result fail = audit("fail");
        assertThat(fail.exitCode()).as(fail.output()).isEqualTo(1);
        assertThat(fail.output()).contains("audit: FAIL")
                .containsPattern("audit: shard=0 .* ok")
                .containsPattern("audit: shard=1 .* FAIL")
                .contains("audit: PROBLEM shard 1: the state in PostgreSQL")
                .doesNotContain("PROBLEM shard 0");
    }

    private static long offsetOf(int shard) {
        try (ShardStore store = DistributedInfra.store(NAME)) {
            return store.shardRows().get(shard).nextOffset();
        }
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, DistributedInfra.bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private Child.Result audit(String name) throws Exception {
        PgConfig database = DistributedInfra.database(NAME);
        return Child.run(dir.resolve(name + ".log"), "audit", "--mode", "distributed", "--kafka", DistributedInfra.bootstrap(),
                "--postgres", database.jdbcUrl(), "--pg-user", database.user(), "--pg-password", database.password(),
                "--commands-topic", NAME + ".commands");
    }
}
