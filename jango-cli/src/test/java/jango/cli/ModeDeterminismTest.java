package jango.cli;

import jango.embedded.Audit;
import jango.embedded.EmbeddedConfig;
import jango.engine.MemoryArchive;
import jango.engine.SnapshotCodec;
import jango.engine.port.ShardStore;
import jango.kafka.TopicReplay;
import jango.server.TestServer;
import jango.writer.StoreArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One engine, one writer loop, two logs: the same commands through embedded mode's journal and
 * through distributed mode's Kafka partition give the same state hash, and replaying each log from
 * its start, with nothing else, reproduces it. Time comes only from the log (both stamp with the
 * same injected clock here), and so do asset registrations.
 */
class ModeDeterminismTest {
    private static final long CLOCK_MICROS = 1_700_000_000_000_000L;
    private static final int COMMANDS = 400;

    @TempDir
    Path dir;

    @Test
    void theJournalAndTheKafkaLogGiveOneStateAndReplayToIt() throws Exception {
        List<String> commands = commands(new Random(20261201));
        String embeddedHash;
        String embeddedLive;
        try (TestServer embedded = new TestServer(EmbeddedConfig.defaults(dir.resolve("data")).withClock(() -> CLOCK_MICROS))) {
            embeddedLive = run(embedded, commands);
            embeddedHash = embedded.ledger.stateSummary().stateHash();
        }
        assertThat(embeddedHash).isEqualTo(embeddedLive);
        Audit.Report audit = Audit.run(dir.resolve("data"), line -> { });
        assertThat(audit.passed()).as(audit.problems().toString()).isTrue();
        assertThat(audit.stateHash()).as("the journal replayed from seq 1").isEqualTo(embeddedHash);

        String name = "ModeDeterminismTest";
        try (TestServer distributed = DistributedInfra.server(name, 1, () -> CLOCK_MICROS)) {
            run(distributed, commands);
            try (ShardStore store = DistributedInfra.store(name)) {
                ShardStore.ShardRow row = store.shardRows().get(0);
                String stored = SnapshotCodec.stateHash(store.reload(0, row.epoch(), new StoreArchive(store)).engine());
                assertThat(stored).as("the shard's state in PostgreSQL").isEqualTo(embeddedHash);
                String replayed = SnapshotCodec.stateHash(TopicReplay.replay(DistributedInfra.bootstrap(), name + ".commands", 0, 1,
                        row.nextOffset(), new MemoryArchive(), line -> { }));
                assertThat(replayed).as("the Kafka partition replayed from offset 0").isEqualTo(embeddedHash);
            }
        }
    }

    /**
     * Sends each command alone and in order (one log, one order). A retry is sent only once the
     * first answer is readable, so both modes answer it from the stored result, not from the log.
     */
    private static String run(TestServer server, List<String> commands) {
        server.asset("KRW", 0);
        server.asset("ETH", 18);
        for (String command : commands) {
            if (server.get("/v1/commands/" + idOf(command)).status() == 200) {
                TestServer.Reply again = server.command(command);
                assertThat(again.status()).as(again.toString()).isIn(200, 409);
                continue;
            }
            TestServer.Reply reply = server.command(command);
            assertThat(reply.status()).as(reply.toString()).isIn(200, 409);
        }
        return server.ledger.stateSummary().stateHash();
    }

    private static String idOf(String command) {
        int start = command.indexOf("\"id\":\"") + 6;
        return command.substring(start, command.indexOf('"', start));
    }

    /** Deposits, withdrawals (some refused), holds, transfers from holds and from available, releases, adjustments, retries. */
    private static List<String> commands(Random random) {
        List<String> commands = new ArrayList<>();
        for (int i = 0; i < COMMANDS; i++) {
            String id = "m" + i;
            String user = "u" + random.nextInt(6);
            String other = "u" + random.nextInt(6);
            String asset = random.nextBoolean() ? "KRW" : "ETH";
            String amount = asset.equals("KRW") ? Integer.toString(1 + random.nextInt(500)) : "0." + (1 + random.nextInt(999));
            String hold = "h" + random.nextInt(40);
            commands.add(switch (random.nextInt(9)) {
                case 0, 1 -> json(id, "deposit", "\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"");
                case 2 -> json(id, "withdraw", "\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"");
                case 3 -> json(id, "hold", "\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount
                        + "\",\"hold\":\"" + hold + "\"");
                case 4 -> json(id, "release", "\"hold\":\"" + hold + "\"");
                case 5 -> json(id, "transfer", "\"from\":\"" + user + "\",\"to\":\"" + (other.equals(user) ? "@fees" : other)
                        + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\",\"hold\":\"" + hold + "\"");
                case 6 -> json(id, "transfer", "\"from\":\"" + user + "\",\"to\":\"" + (other.equals(user) ? "@fees" : other)
                        + "\",\"asset\":\"" + asset + "\",\"amount\":\"" + amount + "\"");
                case 7 -> json(id, "adjust", "\"account\":\"" + user + "\",\"asset\":\"" + asset + "\",\"amount\":\"-" + amount
                        + "\",\"reason\":\"fix\"");
                default -> commands.isEmpty() ? json(id, "release", "\"hold\":\"none\"") : commands.get(random.nextInt(commands.size()));
            });
        }
        return commands;
    }

    private static String json(String id, String type, String fields) {
        return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\"," + fields + "}";
    }
}
