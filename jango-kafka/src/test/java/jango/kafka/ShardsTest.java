package jango.kafka;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.Reason;
import jango.engine.Result;
import jango.engine.Status;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardsTest {
    private final Shards shards = new Shards(4);

    @Test
    void theShardIsThePartitionKafkaWouldPickForTheOwnerKey() {
        for (int i = 0; i < 1_000; i++) {
            String owner = "user-" + i;
            assertThat(shards.of(owner)).isEqualTo(BuiltInPartitioner.partitionForKey(owner.getBytes(StandardCharsets.UTF_8), 4));
        }
    }

    @Test
    void aTransferIsKeyedByTheFirstUserItDebits() {
        assertThat(Shards.keyOwner(transfer(leg("@fees", "bob"), leg("alice", "carol")))).isEqualTo("alice");
        assertThat(Shards.keyOwner(transfer(leg("@fees", "bob")))).isEqualTo("bob");
        assertThat(Shards.keyOwner(new Command.Release("r1", "h1", null))).isNull();
    }

    @Test
    void theEnginesHashAsKafkaDoes() {
        for (int i = 0; i < 1_000; i++) {
            String owner = (i % 2 == 0 ? "@" : "") + "owner.with-all:chars_" + Integer.toString(i, 36).repeat(1 + i % 5);
            assertThat(jango.engine.ShardMap.murmur2(owner)).as(owner).isEqualTo(Utils.murmur2(owner.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void debitsAndCreditsMayGoToAnyShardButClearingIsReserved() {
        List<String> onOther = new ArrayList<>();
        String alice = "alice";
        for (int i = 0; onOther.size() < 1; i++) {
            if (shards.of("u" + i) != shards.of(alice)) {
                onOther.add("u" + i);
            }
        }
        String bob = onOther.getFirst();
        assertThat(shards.placementError(transfer(leg(alice, bob)), "")).isNull();
        assertThat(shards.placementError(transfer(leg(alice, bob), leg(bob, alice)), "commands[2].")).isNull();
        assertThat(shards.placementError(transfer(leg(alice, Names.CLEARING)), "commands[2]."))
                .startsWith("commands[2].legs[0].to: @clearing is reserved");
        assertThat(shards.placementError(new Command.Deposit("d", bob, "BTC", Decimal.parse("1", false)), "")).isNull();
    }

    @Test
    void clearingCreditIdsCannotBeClientIds() {
        String credit = Names.clearingCreditId("c-1", 3);
        assertThat(Names.isClearingCreditId(credit)).isTrue();
        assertThat(Names.ID.matches(credit)).isFalse();
        assertThat(new Command.Transfer(credit, List.of(leg(Names.CLEARING, "bob"))).id()).isEqualTo(credit);
        assertThatThrownBy(() -> new Command.Transfer("#c-1#x", List.of(leg("a", "b")))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Command.Transfer("#c-1", List.of(leg("a", "b")))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsRoundTrip() {
        Command command = transfer(leg("alice", "bob"));
        Wire.CommandRecord record = Wire.readCommand(Wire.command("a", 42, 1_700_000_000_123_456L, command), 0);
        assertThat(record.replyTo()).isEqualTo("a");
        assertThat(record.correlation()).isEqualTo(42);
        assertThat(record.atMicros()).as("the time is in the log").isEqualTo(1_700_000_000_123_456L);
        assertThat(record.command()).isEqualTo(command);
        assertThat(java.util.Arrays.copyOfRange(record.value(), record.offset(), record.offset() + record.length()))
                .as("the fingerprint is a slice of the record").isEqualTo(jango.engine.CommandCodec.encode(command));
        Result result = new Result("t", Status.REJECTED, Reason.INSUFFICIENT_FUNDS, "no", 7, 9, List.of());
        byte[] event = Wire.event("b", 43, new Outcome(Outcome.Kind.NEW, result, null, -1));
        assertThat(Wire.replyTo(event)).isEqualTo("b");
        Wire.Event read = Wire.readEvent(event);
        assertThat(read.correlation()).isEqualTo(43);
        assertThat(read.outcome().result()).isEqualTo(result);
    }

    @Test
    void aPackCarriesEachCommandWithItsOwnCorrelationAndFingerprint() {
        Command first = transfer(leg("alice", "bob"));
        Command second = new Command.Deposit("d", "alice", "BTC", Decimal.parse("2.5", false));
        Wire.Pack pack = new Wire.Pack("i-1", 1_700_000_000_000_001L);
        pack.add(7, first);
        pack.add(9, second);
        byte[] value = pack.toByteArray();
        List<Wire.CommandRecord> entries = Wire.readCommands(value, 0);
        assertThat(entries).extracting(Wire.CommandRecord::command).containsExactly(first, second);
        assertThat(entries).extracting(Wire.CommandRecord::correlation).containsExactly(7L, 9L);
        assertThat(entries).allSatisfy(entry -> {
            assertThat(entry.replyTo()).isEqualTo("i-1");
            assertThat(entry.atMicros()).isEqualTo(1_700_000_000_000_001L);
            assertThat(java.util.Arrays.copyOfRange(entry.value(), entry.offset(), entry.offset() + entry.length()))
                    .as("the fingerprint is a slice of the record").isEqualTo(jango.engine.CommandCodec.encode(entry.command()));
        });
        assertThat(Wire.readCommands(Wire.command("a", 42, 5, first), 0)).extracting(Wire.CommandRecord::command)
                .as("a record of one command reads as one entry").containsExactly(first);

        byte[] trailing = java.util.Arrays.copyOf(value, value.length + 1);
        assertThatThrownBy(() -> Wire.readCommands(trailing, 0)).hasMessageContaining("1 bytes after the record's 2 entries");
        byte[] cut = java.util.Arrays.copyOf(value, value.length - 3);
        assertThatThrownBy(() -> Wire.readCommands(cut, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Wire.readCommands(new Wire.Pack("i-1", 1).toByteArray(), 0))
                .hasMessageContaining("a pack of 0 commands");
    }

    @Test
    void anEventPackCarriesEachAnswerWithItsCorrelation() {
        Result refused = new Result("t", Status.REJECTED, Reason.INSUFFICIENT_FUNDS, "no", 7, 9, List.of());
        Wire.EventPack pack = new Wire.EventPack("i-2");
        pack.add(11, new Outcome(Outcome.Kind.NEW, refused, null, -1));
        pack.add(12, new Outcome(Outcome.Kind.UNAVAILABLE, null, "too many in flight", -1));
        byte[] value = pack.toByteArray();
        assertThat(Wire.replyTo(value)).as("read without the events").isEqualTo("i-2");
        List<Wire.Event> events = Wire.readEvents(value);
        assertThat(events).extracting(Wire.Event::correlation).containsExactly(11L, 12L);
        assertThat(events.get(0).outcome().result()).isEqualTo(refused);
        assertThat(events.get(1).outcome().message()).isEqualTo("too many in flight");
        assertThat(Wire.readEvents(Wire.event("i-2", 5, new Outcome(Outcome.Kind.NEW, refused, null, -1))))
                .as("a record of one answer reads as one event").extracting(Wire.Event::correlation).containsExactly(5L);
        assertThatThrownBy(() -> Wire.readEvents(java.util.Arrays.copyOf(value, value.length + 2)))
                .hasMessageContaining("2 bytes after the record's 2 entries");
    }

    private static Leg leg(String from, String to) {
        return new Leg(from, to, "BTC", Decimal.parse("1", false), null);
    }

    private static Command.Transfer transfer(Leg... legs) {
        return new Command.Transfer("t", List.of(legs));
    }
}
