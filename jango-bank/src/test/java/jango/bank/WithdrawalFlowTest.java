package jango.bank;

import jango.bank.sim.SimBank;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One withdrawal at a time through a real ledger, a real line and the simulator: each way it can end. */
class WithdrawalFlowTest {
    @TempDir
    Path dir;

    @Test
    void aPaidWithdrawalTakesTheHeldFunds() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            AcceptResult result = rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            assertThat(result).isInstanceOf(AcceptResult.Accepted.class);
            Withdrawal accepted = ((AcceptResult.Accepted) result).withdrawal();
            assertThat(accepted.status()).isIn(WithdrawalStatus.QUEUED, WithdrawalStatus.SENT, WithdrawalStatus.CONFIRMED,
                    WithdrawalStatus.COMPLETED);
            assertThat(accepted.txNo()).isEqualTo(1);

            Withdrawal done = rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            assertThat(done.bankDate()).isPositive();
            assertThat(rig.balance("u1")).containsExactly(70_000, 0);
            SimBank.Books books = rig.sim.bank("004").books();
            assertThat(books.transfers()).singleElement().satisfies(t -> {
                assertThat(t.txNo()).isEqualTo(1);
                assertThat(t.amount()).isEqualTo(30_000);
                assertThat(t.code()).isEqualTo("0000");
                assertThat(t.recipientName()).isEqualTo("홍길동");
                assertThat(t.reference()).isEqualTo("w1");
            });
        }
    }

    @Test
    void aRefusedWithdrawalReleasesItsHold() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.withdraw("w1", "u1", 30_000, "004", "999-closed");
            Withdrawal failed = rig.awaitStatus("w1", WithdrawalStatus.FAILED, 10_000);
            assertThat(failed.reason()).isEqualTo("CLOSED_ACCOUNT");
            assertThat(failed.message()).contains("0101");
            assertThat(rig.balance("u1")).containsExactly(100_000, 0);
        }
    }

    @Test
    void withoutFundsNothingIsHeldOrSent() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100);
            AcceptResult result = rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            Withdrawal rejected = ((AcceptResult.Accepted) result).withdrawal();
            assertThat(rejected.status()).isEqualTo(WithdrawalStatus.REJECTED);
            assertThat(rejected.reason()).isEqualTo("INSUFFICIENT_FUNDS");
            assertThat(rig.balance("u1")).containsExactly(100, 0);
            assertThat(rig.sim.bank("004").books().transfers()).isEmpty();
            assertThat(rig.gateway.bank("004").open()).isZero();
        }
    }

    @Test
    void theSameRequestIsAReplayAndAnotherWithTheSameIdAConflict() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            AcceptResult again = rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            assertThat(again).isInstanceOfSatisfying(AcceptResult.Accepted.class, a -> assertThat(a.replayed()).isTrue());
            assertThat(rig.withdraw("w1", "u1", 30_001, "004", "110-123-456789")).isInstanceOf(AcceptResult.Conflict.class);
            assertThat(rig.withdraw("w1", "u2", 30_000, "004", "110-123-456789")).isInstanceOf(AcceptResult.Conflict.class);
            assertThat(rig.sim.bank("004").books().transfers()).hasSize(1);
            assertThat(rig.balance("u1")).containsExactly(70_000, 0);
        }
    }

    @Test
    void aDroppedAnswerIsSettledByAnInquiryNotAResend() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").command("drop", 1);
            rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            Withdrawal done = rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            assertThat(done.attempts()).as("one transfer, then one inquiry").isEqualTo(2);
            SimBank.Books books = rig.sim.bank("004").books();
            assertThat(books.transfers()).hasSize(1);
            assertThat(books.duplicates()).as("never sent twice").isZero();
            assertThat(books.answersDropped()).isEqualTo(1);
            assertThat(rig.balance("u1")).containsExactly(70_000, 0);
        }
    }

    @Test
    void aRefusedTelegramIsSentAgainWithTheSameNumber() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").command("refuse", 2);
            rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            Withdrawal done = rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            assertThat(done.attempts()).isEqualTo(3);
            assertThat(rig.sim.bank("004").books().transfers()).singleElement().satisfies(t -> assertThat(t.txNo()).isEqualTo(done.txNo()));
        }
    }

    @Test
    void aDisconnectAfterPaymentIsSettledByAnInquiryAfterTheReconnect() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").command("disconnect", 1);
            rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            SimBank.Books books = rig.sim.bank("004").books();
            assertThat(books.transfers()).hasSize(1);
            assertThat(books.connections()).isGreaterThanOrEqualTo(2);
            assertThat(rig.balance("u1")).containsExactly(70_000, 0);
        }
    }

    @Test
    void aDuplicateAnswerChangesNothing() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").command("duplicate", 1);
            rig.withdraw("w1", "u1", 30_000, "004", "110-123-456789");
            rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            rig.withdraw("w2", "u1", 10_000, "004", "110-123-456789");
            rig.awaitStatus("w2", WithdrawalStatus.COMPLETED, 10_000);
            assertThat(rig.balance("u1")).containsExactly(60_000, 0);
        }
    }

    @Test
    void afterARestartEveryOpenWithdrawalIsFinished() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"))) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").stall(60_000); // nothing is answered: they stay SENT / UNKNOWN
            for (int i = 0; i < 5; i++) {
                rig.withdraw("w" + i, "u1", 1_000, "004", "110-123-456789");
            }
            BankRig.await("all sent", 10_000, () -> java.util.stream.IntStream.range(0, 5)
                    .allMatch(i -> rig.gateway.find("w" + i).attempts() >= 1));
            rig.restartGateway();
            rig.sim.bank("004").stall(0);
            rig.sim.bank("004").hangUp(); // the stalled line's telegrams are discarded unprocessed
            for (int i = 0; i < 5; i++) {
                rig.awaitStatus("w" + i, WithdrawalStatus.COMPLETED, 20_000);
            }
            assertThat(rig.sim.bank("004").books().transfers()).hasSize(5);
            assertThat(rig.balance("u1")).containsExactly(95_000, 0);
        }
    }
}
