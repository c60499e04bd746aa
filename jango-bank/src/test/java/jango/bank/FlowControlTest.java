package jango.bank;

import jango.bank.sim.FaultPlan;
import jango.bank.sim.SimBank;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Maintenance windows on an injected clock, per-bank rate limits measured at the bank, isolation of a stalled bank, the breaker and the bounded queue. */
class FlowControlTest {
    @TempDir
    Path dir;

    @Test
    void aWithdrawalInAWindowIsDelayedAndGoesWithinASecondOfItsEnd() throws Exception {
        Instant windowEnd = OffsetDateTime.parse("2026-11-27T00:30:00+09:00").toInstant();
        ManualClock clock = new ManualClock(OffsetDateTime.parse("2026-11-26T23:40:00+09:00").toInstant());
        MaintenanceCalendar calendar = new MaintenanceCalendar(ZoneId.of("Asia/Seoul"),
                List.of(MaintenanceCalendar.parseDaily("23:30-00:30")), List.of(), List.of());
        try (BankRig rig = BankRig.start(dir, List.of("004"), FaultPlan.NONE, b -> b.withCalendar(calendar), clock)) {
            rig.fund("u1", 100_000);
            // One user, many delayed withdrawals; one of them will be refused by the bank. None may fail another.
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String id = "w" + i;
                ids.add(id);
                Withdrawal accepted = ((AcceptResult.Accepted) rig.withdraw(id, "u1", 1_000, "004", i == 3 ? "999-closed" : "110-123"))
                        .withdrawal();
                assertThat(accepted.status()).isEqualTo(WithdrawalStatus.DELAYED);
                assertThat(accepted.notBeforeMillis()).isEqualTo(windowEnd.toEpochMilli());
            }
            assertThat(rig.balance("u1")).containsExactly(90_000, 10_000);

            clock.set(windowEnd.minusSeconds(1));
            clock.set(windowEnd);
            for (String id : ids) {
                Withdrawal done = rig.awaitStatus(id, id.equals("w3") ? WithdrawalStatus.FAILED : WithdrawalStatus.COMPLETED, 10_000);
                assertThat(done.updatedAtMillis() - windowEnd.toEpochMilli()).as("settled on the gateway's clock within a second of the end")
                        .isBetween(0L, 999L);
            }
            assertThat(rig.sim.bank("004").books().transfers()).hasSize(10);
            assertThat(rig.balance("u1")).containsExactly(91_000, 0);
        }
    }

    @Test
    void anAnnouncedWindowDelaysUntilItsEnd() throws Exception {
        Instant start = OffsetDateTime.parse("2026-11-26T10:00:00+09:00").toInstant();
        ManualClock clock = new ManualClock(start);
        try (BankRig rig = BankRig.start(dir, List.of("004"), FaultPlan.NONE, b -> b, clock)) {
            rig.fund("u1", 10_000);
            rig.gateway.announceWindow("004", start.minusSeconds(60), start.plusSeconds(600), "core upgrade");
            Withdrawal accepted = ((AcceptResult.Accepted) rig.withdraw("w1", "u1", 1_000, "004", "110-123")).withdrawal();
            assertThat(accepted.status()).isEqualTo(WithdrawalStatus.DELAYED);
            clock.set(start.plusSeconds(600));
            rig.awaitStatus("w1", WithdrawalStatus.COMPLETED, 10_000);
            // Announced windows are kept: a restarted gateway still knows it.
            rig.restartGateway();
            assertThat(rig.gateway.bank("004").config().calendar().announced()).hasSize(1);
        }
    }

    @Test
    void aBankLimitedTo50TpsNeverSeesMoreAndAStalledBankDelaysNoOther() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004", "088", "020"), FaultPlan.NONE, b -> b.code().equals("004")
                ? b.withLimits(50, 64, 10_000) : b, GatewayClock.SYSTEM)) {
            rig.fund("u1", 10_000_000);
            rig.sim.bank("088").stall(120_000);
            for (int i = 0; i < 20; i++) {
                rig.withdraw("stalled-" + i, "u1", 1_000, "088", "110-123");
            }
            for (int i = 0; i < 150; i++) {
                rig.withdraw("limited-" + i, "u1", 1_000, "004", "110-123");
            }
            List<String> free = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                free.add("free-" + i);
                rig.withdraw("free-" + i, "u1", 1_000, "020", "110-123");
            }
            for (String id : free) {
                Withdrawal done = rig.awaitStatus(id, WithdrawalStatus.COMPLETED, 20_000);
                assertThat(done.updatedAtMillis() - done.createdAtMillis()).as("%s, beside a stalled bank and a limited one", id)
                        .isLessThan(3_000);
            }
            for (int i = 0; i < 150; i++) {
                rig.awaitStatus("limited-" + i, WithdrawalStatus.COMPLETED, 30_000);
            }
            SimBank.Books limited = rig.sim.bank("004").books();
            assertThat(limited.requests()).isGreaterThanOrEqualTo(150);
            assertThat(limited.maxRequestsPerSecond()).as("requests in any one second at the bank").isLessThanOrEqualTo(50);
            assertThat(rig.sim.bank("088").books().transfers()).as("the stalled bank processed nothing").isEmpty();
            assertThat(rig.gateway.find("stalled-0").status()).isIn(WithdrawalStatus.SENT, WithdrawalStatus.UNKNOWN, WithdrawalStatus.QUEUED);
        }
    }

    @Test
    void pastAnOpenBreakerWithdrawalsWaitInABoundedQueueAndPastItNothingIsHeld() throws Exception {
        try (BankRig rig = BankRig.start(dir, List.of("004"), FaultPlan.NONE, b -> new BankConfig(b.code(), b.name(), b.address(),
                b.companyAccount(), 0, 64, 8, Duration.ofMillis(200), b.calendar(),
                new BankConfig.Breaker(4, 4, 50, Duration.ofMillis(300), 2)), GatewayClock.SYSTEM)) {
            rig.fund("u1", 100_000);
            rig.sim.bank("004").stall(120_000);
            for (int i = 0; i < 8; i++) {
                assertThat(rig.withdraw("w" + i, "u1", 1_000, "004", "110-123")).isInstanceOf(AcceptResult.Accepted.class);
            }
            BankRig.await("the breaker to open on timeouts", 20_000, () -> !rig.gateway.bank("004").breakerState().equals("CLOSED"));
            AcceptResult refused = rig.withdraw("w8", "u1", 1_000, "004", "110-123");
            assertThat(refused).isInstanceOf(AcceptResult.QueueFull.class);
            assertThat(rig.gateway.find("w8")).as("nothing recorded").isNull();
            assertThat(rig.balance("u1")).as("nothing held for the refused one").containsExactly(92_000, 8_000);

            rig.sim.bank("004").stall(0);
            rig.sim.bank("004").hangUp();
            for (int i = 0; i < 8; i++) {
                rig.awaitStatus("w" + i, WithdrawalStatus.COMPLETED, 30_000);
            }
            assertThat(rig.sim.bank("004").books().transfers()).hasSize(8);
            assertThat(rig.balance("u1")).containsExactly(92_000, 0);
            assertThat(rig.withdraw("w8", "u1", 1_000, "004", "110-123")).isInstanceOf(AcceptResult.Accepted.class);
        }
    }
}
