package jango.kafka;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which commands of a batch wait for which, so the batch applies in order across shards. */
class BatchOrderTest {
    private final Shards shards = new Shards(4);
    private final Decimal one = Decimal.parse("1", false);

    /** A user on {@code shard}. */
    private String on(int shard, String name) {
        for (int i = 0; ; i++) {
            if (shards.of(name + i) == shard) {
                return name + i;
            }
        }
    }

    @Test
    void oneShardsCommandsGoAtOnceAndUnrelatedOnesNeverWait() {
        String a = on(0, "a");
        String b = on(0, "b");
        String c = on(1, "c");
        BatchOrder order = new BatchOrder(shards, List.of(
                new Command.Deposit("1", a, "USDT", one),
                new Command.PlaceHold("2", a, "USDT", one, "h", Command.NO_EXPIRY),
                new Command.Transfer("3", List.of(new Leg(a, b, "USDT", one, "h"))),
                new Command.Release("4", "h", null),
                new Command.Withdraw("5", c, "USDT", one),
                new Command.Transfer("6", List.of(new Leg(a, "@fees", "USDT", one, null)))));
        assertThat(order.dependsOn(0)).isEmpty();
        for (int i = 1; i < 4; i++) {
            assertThat(order.dependsOn(i)).as("command %d", i).containsExactly(i - 1);
            assertThat(order.handOffSuffices(i - 1, i)).as("command %d", i).isTrue();
            assertThat(order.crosses(i)).isFalse();
        }
        assertThat(order.dependsOn(4)).isEmpty();
        assertThat(order.dependsOn(5)).as("after the release, which names the hold's account").containsExactly(3);
        assertThat(order.handOffSuffices(3, 5)).isTrue();
        assertThat(order.releaseOwner(3)).isEqualTo(a);
    }

    @Test
    void aTransferBetweenShardsWaitsForWhatCameBeforeAndWhatComesAfterWaitsForIt() {
        String buyer = on(2, "buyer");
        String seller = on(3, "seller");
        String other = on(2, "other");
        BatchOrder order = new BatchOrder(shards, List.of(
                new Command.PlaceHold("1", buyer, "USDT", one, "bid", Command.NO_EXPIRY),
                new Command.PlaceHold("2", seller, "BTC", one, "ask", Command.NO_EXPIRY),
                new Command.Transfer("3", List.of(new Leg(seller, buyer, "BTC", one, "ask"), new Leg(buyer, seller, "USDT", one, "bid"))),
                new Command.Release("4", "bid", null),
                new Command.Withdraw("5", seller, "USDT", one),
                new Command.Deposit("6", other, "USDT", one),
                new Command.Deposit("7", buyer, "USDT", one),
                new Command.Release("8", "elsewhere", null)));
        assertThat(order.dependsOn(0)).isEmpty();
        assertThat(order.dependsOn(1)).isEmpty();
        assertThat(order.crosses(2)).isTrue();
        assertThat(order.dependsOn(2)).containsExactlyInAnyOrder(0, 1);
        assertThat(order.handOffSuffices(0, 2)).as("a transfer between shards waits for the acknowledgements").isFalse();
        assertThat(order.dependsOn(3)).containsExactly(2);
        assertThat(order.handOffSuffices(2, 3)).as("after a transfer between shards: its answer").isFalse();
        assertThat(order.releaseOwner(3)).isEqualTo(buyer);
        assertThat(order.dependsOn(4)).containsExactly(2);
        assertThat(order.dependsOn(5)).as("another user of the buyer's shard").isEmpty();
        // After the release that waited: the buyer's deposit goes once the release is handed to the producer.
        assertThat(order.dependsOn(6)).containsExactly(3);
        assertThat(order.handOffSuffices(3, 6)).isTrue();
        assertThat(order.dependsOn(7)).as("a hold the batch does not name is looked up when sent").isEmpty();
        assertThat(order.releaseOwner(7)).isNull();
    }
}
