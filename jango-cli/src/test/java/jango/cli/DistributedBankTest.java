package jango.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jango.bank.AcceptResult;
import jango.bank.BankGateway;
import jango.bank.Deposit;
import jango.bank.GatewayConfig;
import jango.bank.Withdrawal;
import jango.bank.WithdrawalRequest;
import jango.bank.WithdrawalStatus;
import jango.bank.sim.BankSimulator;
import jango.bank.sim.FaultPlan;
import jango.bank.sim.SimBank;
import jango.bank.telegram.AnswerCode;
import jango.engine.BalanceView;
import jango.engine.HoldState;
import jango.engine.Int128;
import jango.engine.port.Ledger;
import jango.kafka.Shards;
import jango.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bank gateway sits on the Ledger port, so it runs over distributed mode as over embedded mode
 * (issue 12): against a 2-shard distributed ledger (real Kafka and PostgreSQL) and a bank simulator
 * on real TCP, a withdrawal of a user on each shard completes (its hold SETTLED, the bank paid once),
 * one to a closed account fails with its hold RELEASED, and a deposit to a virtual account credits
 * its owner once, however often the bank notifies it.
 */
class DistributedBankTest {
    private static final String NAME = "DistributedBankTest";

    @TempDir
    Path dir;

    @Test
    void withdrawalsAndDepositsGoThroughTheGatewayOverTwoShards() throws Exception {
        List<String> users = ShardedWorkload.users(2, 8);
        Shards shards = new Shards(2);
        String onZero = users.stream().filter(u -> shards.of(u) == 0).findFirst().orElseThrow();
        String onOne = users.stream().filter(u -> shards.of(u) == 1).findFirst().orElseThrow();
        try (TestServer server = DistributedInfra.server(NAME, 2);
             BankSimulator sim = BankSimulator.start(List.of(new BankSimulator.BankSpec("004", 0)), "127.0.0.1", 0, FaultPlan.NONE, 7,
                     dir.resolve("statements"))) {
            Path banks = Files.writeString(dir.resolve("banks.properties"), "bank.004.address=127.0.0.1:" + sim.bank("004").port() + "\n");
            try (BankGateway gateway = BankGateway.open(GatewayConfig.load(banks), server.ledger, dir.resolve("bank"), new SimpleMeterRegistry())) {
                Ledger ledger = server.ledger;
                for (String user : List.of(onZero, onOne)) {
                    assertThat(server.command("{\"id\":\"fund-" + user + "\",\"type\":\"deposit\",\"account\":\"" + user
                            + "\",\"asset\":\"KRW\",\"amount\":\"1000\"}").status()).isEqualTo(200);
                }
                accept(gateway, new WithdrawalRequest("w0", onZero, 300, "004", "110-1", "홍길동"));
                accept(gateway, new WithdrawalRequest("w1", onOne, 400, "004", "110-2", "김철수"));
                accept(gateway, new WithdrawalRequest("w2", onOne, 100, "004", "999-1", "김철수"));
                Withdrawal w0 = ended(gateway, "w0");
                Withdrawal w1 = ended(gateway, "w1");
                Withdrawal w2 = ended(gateway, "w2");
                assertThat(w0.status()).isEqualTo(WithdrawalStatus.COMPLETED);
                assertThat(w1.status()).isEqualTo(WithdrawalStatus.COMPLETED);
                assertThat(w2.status()).isEqualTo(WithdrawalStatus.FAILED);
                assertThat(ledger.hold(w0.holdId()).state()).isEqualTo(HoldState.SETTLED);
                assertThat(ledger.hold(w1.holdId()).state()).isEqualTo(HoldState.SETTLED);
                assertThat(ledger.hold(w2.holdId()).state()).isEqualTo(HoldState.RELEASED);
                assertThat(available(ledger, onZero)).isEqualTo(Int128.of(700));
                assertThat(available(ledger, onOne)).isEqualTo(Int128.of(600));
                assertThat(held(ledger, onOne)).as("nothing stays held once a withdrawal ended").isEqualTo(Int128.ZERO);
                SimBank.Books books = sim.bank("004").books();
                assertThat(books.transfers().stream().filter(t -> t.code().equals(AnswerCode.OK.code())).map(SimBank.Transfer::amount))
                        .as("the bank paid each completed withdrawal, once").containsExactlyInAnyOrder(300L, 400L);
                assertThat(books.paidTwice()).isEmpty();

                gateway.putVirtualAccount("27900000000001", onOne);
                long txNo = sim.bank("004").deposit("27900000000001", 250, "김철수");
                TestWait.until("the deposit is credited", 30_000, () -> {
                    Deposit deposit = gateway.deposit("004", txNo);
                    return deposit != null && deposit.status() == Deposit.Status.CREDITED;
                });
                assertThat(available(ledger, onOne)).isEqualTo(Int128.of(850));
            }
        }
    }

    private static void accept(BankGateway gateway, WithdrawalRequest request) throws Exception {
        AcceptResult result = gateway.accept(request).get(30, TimeUnit.SECONDS);
        assertThat(result).as(request.id()).isInstanceOf(AcceptResult.Accepted.class);
    }

    private static Withdrawal ended(BankGateway gateway, String id) {
        TestWait.until(id + " ended", 60_000, () -> gateway.find(id).status().ended());
        return gateway.find(id);
    }

    private static Int128 available(Ledger ledger, String owner) {
        return ledger.balances(owner, "KRW").stream().map(BalanceView::available).findFirst().orElse(Int128.ZERO);
    }

    private static Int128 held(Ledger ledger, String owner) {
        return ledger.balances(owner, "KRW").stream().map(BalanceView::held).findFirst().orElse(Int128.ZERO);
    }
}
