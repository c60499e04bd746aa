package jango.server;

import jango.engine.Command;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming command parser gives exactly the tree parser's answers: the same commands, or the
 * same refusal (class and message), on well-formed bodies of every type, on bad ones, and on
 * hundreds of thousands of seeded mutations of them (bytes deleted, inserted, repeated, swapped).
 */
class JsonCommandsTest {
    private static final String[] BODIES = {
            "{\"id\":\"c1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1.5\"}",
            "{\"id\":\"c2\",\"type\":\"withdraw\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"0.00000001\"}",
            "{\"id\":\"c3\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"0.5\",\"hold\":\"o-7\",\"expiresAt\":\"2030-01-01T00:00:00.123456Z\"}",
            "{\"id\":\"c4\",\"type\":\"release\",\"hold\":\"o-7\"}",
            "{\"id\":\"c5\",\"type\":\"release\",\"hold\":\"o-7\",\"amount\":\"0.1\"}",
            "{\"id\":\"c6\",\"type\":\"transfer\",\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"o-7\"}",
            "{\"id\":\"c7\",\"type\":\"transfer\",\"legs\":[{\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"BTC\",\"amount\":\"0.49\",\"hold\":\"o-7\"},"
                    + "{\"from\":\"u1\",\"to\":\"@fees\",\"asset\":\"USDT\",\"amount\":\"0.01\"}]}",
            "{\"id\":\"c8\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"ETH\",\"amount\":\"-0.5\",\"reason\":\"ticket 42 \\u00e9\\ud83d\\ude00\"}",
            "{ \"amount\" : \"10\" , \"asset\":\"USDT\", \"account\":\"u9\", \"type\":\"deposit\", \"id\":\"c9\" }",
            "{\"id\":\"c10\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"" + "9".repeat(60) + "\"}",
    };

    private static final String[] BAD = {
            "", " ", "not json", "{\"id\":\"m1\"", "[]", "5", "\"x\"", "null", "{} {}", "{} 5", "{} x", "[1,2", "{\"a\":[1,{\"b\":2}]} 7",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"amount\":\"2\"}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":1.5}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":1e999999999}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":" + "1".repeat(1200) + "}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":true}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":[\"BTC\"],\"amount\":\"1\"}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":{\"x\":[1,2]},\"asset\":\"BTC\",\"amount\":\"1\"}",
            "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"memo\":{\"deep\":[[[]]]}}",
            "{\"memo\":1,\"id\":\"m1\",\"type\":\"transfer\",\"legs\":null}",
            "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":null}",
            "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[5,{}]}",
            "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[{\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"1\",\"legs\":[]}]}",
            "{\"id\":\"m1\",\"type\":\"release\",\"hold\":\"h\",\"amount\":null}",
            "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h\",\"expiresAt\":null}",
            "{\"id\":\"m1\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"reason\":\"x\\ud800\"}",
            "{\"id\":\"m1\",\"type\":null}",
            "{\"id\":null,\"type\":\"deposit\"}",
            "{\"commands\":[]}",
            "{\"commands\":{}}",
            "{\"cmds\":[]}",
            "{\"commands\":null}",
            "{\"x\":1,\"commands\":[{}],\"y\":2}",
            "{\"commands\":[{\"id\":\"a\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":\"1\"}, 5]}",
            "{\"commands\":[{\"id\":\"a\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":\"1\"},{\"id\":\"b\",\"type\":\"deposit\",\"account\":\"u\",\"asset\":\"KRW\",\"amount\":1}]}",
            "{\"commands\":[{\"id\":\"a\"}],\"commands\":[]}",
    };

    /** What a parser came to: the commands, or the class and message of its refusal. */
    private record Outcome(List<Command> commands, String refusal) {
    }

    private static Outcome outcome(Supplier<List<Command>> parse) {
        try {
            return new Outcome(parse.get(), null);
        } catch (Malformed | JangoServer.TooLarge e) {
            return new Outcome(null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static void same(byte[] body) {
        String what = new String(body, StandardCharsets.UTF_8);
        Outcome treeSingle = outcome(() -> List.of(TreeCommands.single(body)));
        Outcome streamSingle = outcome(() -> List.of(JsonCommands.single(body)));
        assertThat(streamSingle).as("single: " + what).isEqualTo(treeSingle);
        Outcome treeBatch = outcome(() -> TreeCommands.batch(body, 3));
        Outcome streamBatch = outcome(() -> JsonCommands.batch(body, 3, (command, i) -> { }));
        assertThat(streamBatch).as("batch: " + what).isEqualTo(treeBatch);
    }

    private static String batchOf(String... commands) {
        return "{\"commands\":[" + String.join(",", commands) + "]}";
    }

    @Test
    void wellFormedBodiesGiveTheSameCommands() {
        for (String body : BODIES) {
            same(body.getBytes(StandardCharsets.UTF_8));
            assertThat(outcome(() -> List.of(JsonCommands.single(body.getBytes(StandardCharsets.UTF_8)))).refusal()).as(body).isNull();
        }
        same(batchOf(BODIES[0], BODIES[6], BODIES[7]).getBytes(StandardCharsets.UTF_8));
        same(batchOf(BODIES[0], BODIES[1], BODIES[2], BODIES[3]).getBytes(StandardCharsets.UTF_8)); // over the limit of 3
    }

    /** Elements past the limit are counted, not read into objects: a 1 MiB body of 350,000 took about 80 MB before its refusal. */
    @Test
    void aBodyFarOverTheLimitsIsCountedNotRead() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] batch = ("{\"commands\":[" + "{},".repeat(349_999) + "{}]}").getBytes(StandardCharsets.UTF_8);
        byte[] transfer = ("{\"id\":\"m\",\"type\":\"transfer\",\"legs\":[" + "{},".repeat(349_999) + "{}]}").getBytes(StandardCharsets.UTF_8);
        long before = threads.getCurrentThreadAllocatedBytes();
        String tooMany = outcome(() -> JsonCommands.batch(batch, 10_000, (command, i) -> { })).refusal();
        long batchBytes = threads.getCurrentThreadAllocatedBytes() - before;
        before = threads.getCurrentThreadAllocatedBytes();
        String tooManyLegs = outcome(() -> List.of(JsonCommands.single(transfer))).refusal();
        long transferBytes = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(tooMany).startsWith("TooLarge: ").contains("350000 elements");
        assertThat(tooManyLegs).startsWith("Malformed: ").contains("has 350000 legs");
        assertThat(batchBytes).as("bytes allocated reading the batch").isLessThan(24L << 20);
        assertThat(transferBytes).as("bytes allocated reading the transfer").isLessThan(24L << 20);
    }

    @Test
    void badBodiesGiveTheSameRefusals() {
        for (String body : BAD) {
            same(body.getBytes(StandardCharsets.UTF_8));
        }
        same(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'});
        same(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, '"', '}'});
        same(("{\"id\":\"m\",\"type\":\"deposit\",\"x\":" + "[".repeat(1500) + "]".repeat(1500) + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void seededMutationsGiveTheSameAnswers() {
        SplittableRandom random = new SplittableRandom(14);
        List<byte[]> seeds = new ArrayList<>();
        for (String body : BODIES) {
            seeds.add(body.getBytes(StandardCharsets.UTF_8));
            seeds.add(batchOf(body, BODIES[random.nextInt(BODIES.length)]).getBytes(StandardCharsets.UTF_8));
        }
        for (String body : BAD) {
            seeds.add(body.getBytes(StandardCharsets.UTF_8));
        }
        byte[] alphabet = "{}[]\",:0123456789.-+eE \\u nulltrfasidypeholdgm@\u00e9".getBytes(StandardCharsets.UTF_8);
        int cases = Integer.getInteger("jango.fuzz.cases", 100_000);
        for (int i = 0; i < cases; i++) {
            byte[] body = mutate(seeds.get(random.nextInt(seeds.size())), random, alphabet);
            same(body);
        }
    }

    private static byte[] mutate(byte[] seed, SplittableRandom random, byte[] alphabet) {
        byte[] body = seed.clone();
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && body.length > 0; e++) {
            int at = random.nextInt(body.length);
            body = switch (random.nextInt(5)) {
                case 0 -> concat(slice(body, 0, at), slice(body, Math.min(body.length, at + 1 + random.nextInt(4)), body.length));
                case 1 -> concat(slice(body, 0, at), new byte[] {alphabet[random.nextInt(alphabet.length)]}, slice(body, at, body.length));
                case 2 -> {
                    int end = Math.min(body.length, at + 1 + random.nextInt(12));
                    yield concat(slice(body, 0, end), slice(body, at, end), slice(body, end, body.length));
                }
                case 3 -> {
                    byte[] copy = body.clone();
                    copy[at] = (byte) random.nextInt(256);
                    yield copy;
                }
                default -> {
                    byte[] copy = body.clone();
                    int other = random.nextInt(body.length);
                    byte b = copy[at];
                    copy[at] = copy[other];
                    copy[other] = b;
                    yield copy;
                }
            };
        }
        return body;
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        return java.util.Arrays.copyOfRange(bytes, from, Math.max(from, to));
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += Objects.requireNonNull(part).length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
