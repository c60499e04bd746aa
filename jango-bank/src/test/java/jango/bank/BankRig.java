package jango.bank;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jango.bank.link.BankLink;
import jango.bank.sim.BankSimulator;
import jango.bank.sim.FaultPlan;
import jango.bank.sim.SimBank;
import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Int128;
import jango.engine.Outcome;
import jango.engine.port.Ledger;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A real embedded ledger, a real bank simulator on real TCP ports and a gateway between them, all
 * in this JVM, with short timeouts so that faults settle in milliseconds.
 */
final class BankRig implements AutoCloseable {
    final Path dir;
    final Ledger ledger;
    final BankSimulator sim;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatewayConfig config;
    BankGateway gateway;

    private BankRig(Path dir, Ledger ledger, BankSimulator sim) {
        this.dir = dir;
        this.ledger = ledger;
        this.sim = sim;
    }

    static BankRig start(Path dir, List<String> banks, FaultPlan plan, UnaryOperator<BankConfig> tune, GatewayClock clock) throws Exception {
        Ledger ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(dir.resolve("ledger")), jango.engine.port.LedgerObserver.NONE);
        List<BankSimulator.BankSpec> specs = banks.stream().map(code -> new BankSimulator.BankSpec(code, 0)).toList();
        BankSimulator sim = BankSimulator.start(specs, "127.0.0.1", 0, plan, 42, dir.resolve("statements"));
        BankRig rig = new BankRig(dir, ledger, sim);
        List<BankConfig> configs = new ArrayList<>();
        for (SimBank bank : sim.banks()) {
            configs.add(tune.apply(new BankConfig(bank.code(), "sim " + bank.code(), new InetSocketAddress("127.0.0.1", bank.port()),
                    "1000" + bank.code() + "0000001", 0, 64, 10_000, Duration.ofMillis(400),
                    MaintenanceCalendar.none(ZoneId.of("Asia/Seoul")), new BankConfig.Breaker(20, 10, 50, Duration.ofMillis(500), 3))));
        }
        rig.config = GatewayConfig.of(configs).withClock(clock).withRetries(Duration.ofMillis(20), Duration.ofMillis(300))
                .withLink(new BankLink.Settings(1_000, 20, 300, 1_000, 1_000));
        rig.openGateway();
        return rig;
    }

    static BankRig start(Path dir, List<String> banks) throws Exception {
        return start(dir, banks, FaultPlan.NONE, b -> b, GatewayClock.SYSTEM);
    }

    void openGateway() throws Exception {
        gateway = BankGateway.open(config, ledger, dir.resolve("bank"), registry);
    }

    /** Closes the gateway as a crash would leave it: no step finishes, the store keeps what it has. */
    void restartGateway() throws Exception {
        gateway.close();
        openGateway();
    }

    void fund(String account, long amount) throws Exception {
        Outcome outcome = ledger.submit(List.of(new Command.Deposit("fund-" + account + "-" + System.nanoTime(), account, "KRW",
                new Decimal(Int128.of(amount), 0)))).get(10, TimeUnit.SECONDS).get(0);
        if (!outcome.result().applied()) {
            throw new AssertionError("funding " + account + ": " + outcome.result());
        }
    }

    long[] balance(String account) {
        for (BalanceView view : ledger.balances(account, "KRW")) {
            return new long[] {view.available().toBigInteger().longValueExact(), view.held().toBigInteger().longValueExact()};
        }
        return new long[] {0, 0};
    }

    AcceptResult withdraw(String id, String account, long amount, String bank, String bankAccount) throws Exception {
        return gateway.accept(new WithdrawalRequest(id, account, amount, bank, bankAccount, "홍길동")).get(10, TimeUnit.SECONDS);
    }

    Withdrawal awaitStatus(String id, WithdrawalStatus status, long timeoutMs) {
        await("withdrawal " + id + " " + status, timeoutMs, () -> {
            Withdrawal w = gateway.find(id);
            return w != null && w.status() == status;
        });
        return gateway.find(id);
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
        sim.close();
        ledger.close();
    }
}
