package jango.bank;

import jango.bank.sim.FaultPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Deposits from a bank's notices: exactly once by the bank's number, suspense for unknown virtual accounts, resolution. */
class DepositFlowTest {
    @TempDir
    Path dir;

    @Test
    void everyNoticeCreditsOnceEvenWhenSentTwiceOrAcrossARestart() throws Exception {
        FaultPlan twice = FaultPlan.parse("duplicate-notice=1");
        try (BankRig rig = BankRig.start(dir, List.of("004"), twice, b -> b, GatewayClock.SYSTEM)) {
            rig.gateway.putVirtualAccount("27900001", "u1");
            for (int i = 0; i < 20; i++) {
                rig.sim.bank("004").deposit("27900001", 1_000, "김철수");
            }
            BankRig.await("20 deposits acknowledged", 20_000,
                    () -> rig.sim.bank("004").books().deposits().stream().allMatch(d -> d.acked()));
            assertThat(rig.balance("u1")).containsExactly(20_000, 0);

            rig.restartGateway(); // the bank resends nothing acknowledged; anything it does resend is a replay
            rig.sim.bank("004").deposit("27900001", 500, "김철수");
            BankRig.await("the 21st acknowledged", 20_000,
                    () -> rig.sim.bank("004").books().deposits().stream().allMatch(d -> d.acked()));
            assertThat(rig.balance("u1")).containsExactly(20_500, 0);
            assertThat(rig.gateway.deposit("004", 21).status()).isEqualTo(Deposit.Status.CREDITED);
        }
    }

    @Test
    void anUnknownVirtualAccountGoesToSuspenseUntilAnOperatorResolvesIt() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            long txNo = rig.sim.bank("004").deposit("55500001", 7_000, "누구");
            BankRig.await("the deposit in suspense", 20_000, () -> rig.gateway.suspense(10).size() == 1);
            Deposit waiting = rig.gateway.suspense(10).get(0);
            assertThat(waiting.txNo()).isEqualTo(txNo);
            assertThat(waiting.status()).isEqualTo(Deposit.Status.SUSPENSE);
            assertThat(rig.balance("@suspense")).containsExactly(7_000, 0);

            DepositFlow.Resolution resolved = rig.gateway.resolveSuspense("004", txNo, "u2").get();
            assertThat(resolved).isInstanceOf(DepositFlow.Resolution.Resolved.class);
            assertThat(rig.balance("u2")).containsExactly(7_000, 0);
            assertThat(rig.balance("@suspense")).containsExactly(0, 0);
            assertThat(rig.gateway.suspense(10)).isEmpty();
            assertThat(rig.gateway.resolveSuspense("004", txNo, "u2").get()).as("the same again changes nothing")
                    .isInstanceOf(DepositFlow.Resolution.Resolved.class);
            assertThat(rig.gateway.resolveSuspense("004", txNo, "u3").get()).isInstanceOf(DepositFlow.Resolution.Refused.class);
            assertThat(rig.balance("u2")).containsExactly(7_000, 0);
        }
    }
}
