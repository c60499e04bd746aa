package jango.bench.jmh;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.Int128;
import jango.engine.Outcome;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark streams do real work: every command applies, the money laws hold, ids never repeat. */
class WorkloadTest {
    private static final int USERS = 50;
    private static final int COMMANDS = 3 * Workload.OPEN_ORDER_PAIRS * Workload.COMMANDS_PER_ORDER_PAIR;

    @Test
    void everyTransferApplies() {
        Workload workload = new Workload(1, USERS);
        Engine engine = funded(workload);
        assertThat(applyAll(engine, workload::nextTransfer)).isEqualTo(COMMANDS);
        engine.checkInvariants();
    }

    @Test
    void everyHoldSettlementAndReleaseOfTheExchangeFlowApplies() {
        Workload workload = new Workload(2, USERS);
        Engine engine = funded(workload);
        assertThat(applyAll(engine, workload::nextExchangeCommand)).isEqualTo(COMMANDS);
        engine.checkInvariants();
        assertThat(engine.view().balance(Workload.FEES, Workload.USDT).available().signum()).isPositive();
        assertThat(engine.view().balance(Workload.FEES, Workload.BTC).available().signum()).isPositive();
    }

    @Test
    void theSameSeedGivesTheSameStream() {
        Workload first = new Workload(3, USERS);
        Workload second = new Workload(3, USERS);
        for (int i = 0; i < 1_000; i++) {
            assertThat(first.nextExchangeCommand()).isEqualTo(second.nextExchangeCommand());
        }
    }

    /**
     * Every name a command carries is an object of its own, as a request's parser makes it: none is
     * the funding's object nor another command's, so no lookup in the engine ends at an identity check.
     */
    @Test
    void namesAreObjectsOfTheirOwnAsAParserMakesThem() {
        Workload workload = new Workload(4, USERS);
        java.util.IdentityHashMap<String, Boolean> seen = new java.util.IdentityHashMap<>();
        for (Command command : workload.funding()) {
            if (command instanceof Command.Deposit deposit) {
                seen.put(deposit.account(), true);
                seen.put(deposit.asset(), true);
            }
        }
        seen.put(Workload.FEES, true);
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            for (Command command : java.util.List.of(workload.nextTransfer(), workload.nextExchangeCommand())) {
                switch (command) {
                    case Command.Transfer t -> t.legs().forEach(leg -> {
                        names.add(leg.from());
                        names.add(leg.to());
                        names.add(leg.asset());
                        if (leg.holdId() != null) {
                            names.add(leg.holdId());
                        }
                    });
                    case Command.PlaceHold h -> names.addAll(java.util.List.of(h.account(), h.asset(), h.holdId()));
                    case Command.Release r -> names.add(r.holdId());
                    default -> throw new AssertionError("unexpected " + command);
                }
            }
        }
        assertThat(names).hasSizeGreaterThan(10_000);
        for (String name : names) {
            assertThat(seen.put(name, true)).as("%s is an object of its own", name).isNull();
        }
    }

    @Test
    void amountsAreWrittenAsAClientWould() {
        assertThat(Workload.decimal(50_000_000, 8)).isEqualTo(new Decimal(Int128.of(5), 1));
        assertThat(Workload.decimal(123, 2)).isEqualTo(new Decimal(Int128.of(123), 2));
        assertThat(Workload.decimal(7_000, 2)).isEqualTo(new Decimal(Int128.of(70), 0));
    }

    private static Engine funded(Workload workload) {
        Engine engine = new Engine();
        for (Command command : workload.funding()) {
            engine.apply(engine.lastSeq() + 1, 0, command, EngineListener.NONE);
        }
        return engine;
    }

    /** Applies {@link #COMMANDS} commands; returns how many were APPLIED the first time their id was seen. */
    private static int applyAll(Engine engine, Supplier<Command> source) {
        Set<String> ids = new HashSet<>();
        int applied = 0;
        for (int i = 0; i < COMMANDS; i++) {
            Command command = source.get();
            assertThat(ids.add(command.id())).as("id %s is new", command.id()).isTrue();
            Outcome outcome = engine.apply(engine.lastSeq() + 1, 1 + i / 100, command, EngineListener.NONE);
            if (outcome.kind() == Outcome.Kind.NEW && outcome.result().applied()) {
                applied++;
            }
        }
        return applied;
    }
}
