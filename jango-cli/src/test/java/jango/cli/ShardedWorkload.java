package jango.cli;

import jango.kafka.Shards;
import jango.server.TestServer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short seeded workload for a distributed ledger of several shards: deposits, transfers that
 * credit users on other shards (through {@code @clearing}) with a fee to {@code @fees}, holds,
 * settlements from holds to users anywhere, releases, withdrawals (some refused), and retries. Every
 * transfer debits one user only, so every command is placed on one shard.
 */
final class ShardedWorkload {
    static final String ASSET = "KRW";

    private ShardedWorkload() {
    }

    /** {@code users} owners spread over the shards: at least two on each of {@code shards}. */
    static List<String> users(int shards, int users) {
        Shards map = new Shards(shards);
        List<String> chosen = new ArrayList<>();
        int[] perShard = new int[shards];
        for (int i = 0; chosen.size() < users; i++) {
            String user = "u" + i;
            int shard = map.of(user);
            if (perShard[shard] < Math.max(2, users / shards)) {
                perShard[shard]++;
                chosen.add(user);
            }
        }
        return chosen;
    }

    static List<String> commands(Random random, List<String> users, int count, String idPrefix) {
        List<String> commands = new ArrayList<>();
        for (String user : users) {
            commands.add(json(idPrefix + "d-" + user, "deposit", "\"account\":\"" + user + "\",\"asset\":\"" + ASSET + "\",\"amount\":\"100000\""));
        }
        for (int i = 0; i < count; i++) {
            String id = idPrefix + i;
            String user = users.get(random.nextInt(users.size()));
            String other = users.get(random.nextInt(users.size()));
            String amount = Integer.toString(1 + random.nextInt(900));
            String hold = idPrefix + "h" + random.nextInt(Math.max(1, count / 6));
            commands.add(switch (random.nextInt(8)) {
                case 0 -> json(id, "deposit", "\"account\":\"" + user + "\",\"asset\":\"" + ASSET + "\",\"amount\":\"" + amount + "\"");
                case 1 -> json(id, "withdraw", "\"account\":\"" + user + "\",\"asset\":\"" + ASSET + "\",\"amount\":\""
                        + (random.nextInt(10) == 0 ? "99999999" : amount) + "\"");
                case 2 -> json(id, "hold", "\"account\":\"" + user + "\",\"asset\":\"" + ASSET + "\",\"amount\":\"" + amount
                        + "\",\"hold\":\"" + hold + "\"");
                case 3 -> json(id, "release", "\"hold\":\"" + hold + "\"");
                case 4 -> json(id, "transfer", "\"from\":\"" + user + "\",\"to\":\"" + other + "\",\"asset\":\"" + ASSET
                        + "\",\"amount\":\"" + amount + "\",\"hold\":\"" + hold + "\"");
                case 5 -> json(id, "transfer", "\"legs\":[{\"from\":\"" + user + "\",\"to\":\"" + other + "\",\"asset\":\"" + ASSET
                        + "\",\"amount\":\"" + amount + "\"},{\"from\":\"" + user + "\",\"to\":\"@fees\",\"asset\":\"" + ASSET
                        + "\",\"amount\":\"3\"}]");
                case 6 -> json(id, "transfer", "\"from\":\"" + user + "\",\"to\":\"" + other + "\",\"asset\":\"" + ASSET
                        + "\",\"amount\":\"" + amount + "\"");
                default -> commands.get(random.nextInt(commands.size())); // a retry: the same id and body
            });
        }
        return commands;
    }

    /** Sends each command alone, in order, and expects an answer (APPLIED or REJECTED). */
    static void run(TestServer server, List<String> commands) {
        for (String command : commands) {
            TestServer.Reply reply = server.command(command);
            assertThat(reply.status()).as(command + " -> " + reply).isEqualTo(200);
        }
    }

    static String json(String id, String type, String fields) {
        return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\"," + fields + "}";
    }
}
