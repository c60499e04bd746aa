package jango.bench;

import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.Outcome;
import jango.engine.Reason;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The workload does real work: mostly APPLIED, some rejections, every type, conservation intact. */
class ExchangeDayTest {

    @Test
    void theStreamMostlyAppliesWithSomeRejectionsAndEveryCommandType() {
        ExchangeDay day = new ExchangeDay(1_000, 3, 1.1, 7);
        Engine engine = new Engine();
        long seq = 0;
        for (Command command : day.setup()) {
            engine.apply(++seq, 1, command, EngineListener.NONE);
        }
        Map<String, Integer> types = new HashMap<>();
        Map<Reason, Integer> rejections = new EnumMap<>(Reason.class);
        int applied = 0;
        int total = 0;
        for (int c = 0; c < 4; c++) {
            ExchangeDay.Client client = day.client(c, "t");
            for (int batch = 0; batch < 50; batch++) {
                for (Command command : client.next(100)) {
                    Outcome outcome = engine.apply(++seq, 2, command, EngineListener.NONE);
                    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.NEW);
                    types.merge(command.type(), 1, Integer::sum);
                    total++;
                    if (outcome.result().applied()) {
                        applied++;
                    } else {
                        rejections.merge(outcome.result().reason(), 1, Integer::sum);
                    }
                }
                engine.checkInvariants();
            }
        }
        assertThat(types.keySet()).containsExactlyInAnyOrder("deposit", "withdraw", "hold", "transfer", "release");
        assertThat((double) applied / total).isGreaterThan(0.95);
        assertThat(rejections).containsKey(Reason.INSUFFICIENT_FUNDS);
        assertThat(engine.view().balance("@fees", ExchangeDay.QUOTE).available().signum()).isPositive();
    }

    @Test
    void clientsWithTheSameSeedProduceTheSameCommands() {
        List<Command> first = new ExchangeDay(100, 2, 1.0, 3).client(1, "x").next(500);
        List<Command> again = new ExchangeDay(100, 2, 1.0, 3).client(1, "x").next(500);
        assertThat(again).isEqualTo(first);
        assertThat(new ExchangeDay(100, 2, 1.0, 4).client(1, "x").next(500)).isNotEqualTo(first);
    }

    /** With --shards and --cross-shard the share of settlements between shards is the one asked for. */
    @Test
    void theShareOfTradesBetweenShardsIsTheOneAskedFor() {
        jango.engine.ShardMap map = new jango.engine.ShardMap(0, 4);
        for (double share : new double[] {0, 0.25, 1}) {
            ExchangeDay.Client client = new ExchangeDay(1_000, 3, 1.1, 7, 4, share).client(0, "t");
            int trades = 0;
            int crossing = 0;
            while (trades < 4_000) {
                for (Command command : client.next(100)) {
                    if (command instanceof Command.Transfer transfer) {
                        trades++;
                        jango.engine.Leg leg = transfer.legs().get(0);
                        crossing += map.of(leg.from()) != map.of(leg.to()) ? 1 : 0;
                    }
                }
            }
            assertThat((double) crossing / trades).as("share %s", share).isBetween(share - 0.03, share + 0.03);
        }
    }
}
