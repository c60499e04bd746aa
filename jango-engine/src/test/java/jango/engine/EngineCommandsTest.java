package jango.engine;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static jango.engine.Harness.adjust;
import static jango.engine.Harness.amount;
import static jango.engine.Harness.asset;
import static jango.engine.Harness.deposit;
import static jango.engine.Harness.hold;
import static jango.engine.Harness.holdLeg;
import static jango.engine.Harness.leg;
import static jango.engine.Harness.release;
import static jango.engine.Harness.transfer;
import static jango.engine.Harness.withdraw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** Every command type and every rejection reason, one behaviour per test, invariants checked after each entry. */
class EngineCommandsTest {
    private static final String MAX = Int128.MAX.toString();

    private Harness h;

    @BeforeEach
    void assets() {
        h = new Harness();
        assertThat(h.apply(asset("BTC", 8)).kind()).isEqualTo(Outcome.Kind.ASSET_CREATED);
        assertThat(h.apply(asset("USD", 2)).kind()).isEqualTo(Outcome.Kind.ASSET_CREATED);
        assertThat(h.apply(asset("PTS", 0)).kind()).isEqualTo(Outcome.Kind.ASSET_CREATED);
        assertThat(h.apply(asset("WEI", 18)).kind()).isEqualTo(Outcome.Kind.ASSET_CREATED);
    }

    private void assertRejected(Result result, Reason reason) {
        assertThat(result.status()).as("status of %s", result).isEqualTo(Status.REJECTED);
        assertThat(result.reason()).as("reason of %s", result).isEqualTo(reason);
        assertThat(result.message()).isNotBlank();
        assertThat(result.balances()).isEmpty();
    }

    private static void assertApplied(Result result) {
        assertThat(result.status()).as("status of %s", result).isEqualTo(Status.APPLIED);
        assertThat(result.reason()).isNull();
        assertThat(result.message()).isNull();
    }

    /** A command that must be rejected with {@code reason} and change nothing at all. */
    private void assertRejectedWithoutEffect(Command command, Reason reason) {
        Map<String, Object> before = h.state();
        h.clearEvents();
        Result result = h.run(command);
        assertRejected(result, reason);
        assertThat(h.state()).as("state after rejected %s", command).isEqualTo(before);
        assertThat(h.balanceChanges).isEmpty();
        assertThat(h.holdChanges).isEmpty();
        assertThat(h.engine.view().storedResult(command.id()).result()).isEqualTo(result);
    }

    @Nested
    class Assets {
        @Test
        void registerIsCreatedThenExistsThenConflict() {
            assertThat(h.apply(asset("ETH", 18)).kind()).isEqualTo(Outcome.Kind.ASSET_CREATED);
            assertThat(h.apply(asset("ETH", 18)).kind()).isEqualTo(Outcome.Kind.ASSET_EXISTS);
            Outcome conflict = h.apply(asset("ETH", 8));
            assertThat(conflict.kind()).isEqualTo(Outcome.Kind.ASSET_CONFLICT);
            assertThat(conflict.assetScale()).isEqualTo(18);
            assertThat(conflict.message()).contains("ETH", "18");
            assertThat(h.engine.assetScales()).containsEntry("ETH", 18).containsEntry("BTC", 8).hasSize(5);
        }

        @Test
        void assetCommandsTakeASeqButStoreNoResult() {
            long seq = h.engine.lastSeq();
            h.apply(asset("ETH", 18));
            assertThat(h.engine.lastSeq()).isEqualTo(seq + 1);
            assertThat(h.results()).isZero();
        }

        @Test
        void registerChecksItsShape() {
            assertThatThrownBy(() -> asset("eth", 8)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> asset("ETH", 19)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> asset("ETH", -1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class DepositAndWithdraw {
        @Test
        void depositMovesMoneyFromExternalAndCreatesTheAccount() {
            assertThat(h.balance("u1", "BTC")).isNull();
            Result result = h.run(deposit("d1", "u1", "BTC", "1.5"));
            assertApplied(result);
            assertThat(result.id()).isEqualTo("d1");
            assertThat(result.seq()).isEqualTo(h.engine.lastSeq());
            assertThat(result.atMicros()).isEqualTo(h.nowMicros);
            assertThat(result.balances()).extracting(BalanceView::account, BalanceView::asset, BalanceView::available,
                            BalanceView::held, BalanceView::revision)
                    .containsExactlyInAnyOrder(
                            tuple("u1", "BTC", Int128.of(150_000_000), Int128.ZERO, 1L),
                            tuple("@external", "BTC", Int128.of(-150_000_000), Int128.ZERO, 1L));
            assertThat(h.balance("u1", "BTC")).isEqualTo("1.5/0");
            assertThat(h.balance("@external", "BTC")).isEqualTo("-1.5/0");
        }

        @Test
        void withdrawMovesMoneyBackToExternal() {
            h.run(deposit("d1", "u1", "USD", "10"));
            Result result = h.run(withdraw("w1", "u1", "USD", "2.25"));
            assertApplied(result);
            assertThat(h.balance("u1", "USD")).isEqualTo("7.75/0");
            assertThat(h.balance("@external", "USD")).isEqualTo("-7.75/0");
            assertThat(h.revision("u1", "USD")).isEqualTo(2);
            assertApplied(h.run(withdraw("w2", "u1", "USD", "7.75")));
            assertThat(h.balance("u1", "USD")).isEqualTo("0/0");
            assertThat(h.balance("@external", "USD")).isEqualTo("0/0");
        }

        @Test
        void withdrawMoreThanAvailableIsInsufficientFunds() {
            h.run(deposit("d1", "u1", "USD", "10"));
            assertRejectedWithoutEffect(withdraw("w1", "u1", "USD", "10.01"), Reason.INSUFFICIENT_FUNDS);
        }

        @Test
        void withdrawFromAnAccountNobodyTouchedIsInsufficientFundsAndCreatesNothing() {
            assertRejectedWithoutEffect(withdraw("w1", "nobody", "USD", "1"), Reason.INSUFFICIENT_FUNDS);
            assertThat(h.balance("nobody", "USD")).isNull();
            assertThat(h.balance("@external", "USD")).isNull();
        }

        @Test
        void heldMoneyCannotBeWithdrawn() {
            h.run(deposit("d1", "u1", "USD", "10"));
            h.run(hold("h1", "u1", "USD", "8", "hold-1"));
            assertRejectedWithoutEffect(withdraw("w1", "u1", "USD", "2.01"), Reason.INSUFFICIENT_FUNDS);
            assertApplied(h.run(withdraw("w2", "u1", "USD", "2")));
        }

        @Test
        void unknownAssetIsRejected() {
            assertRejectedWithoutEffect(deposit("d1", "u1", "DOGE", "1"), Reason.UNKNOWN_ASSET);
            assertRejectedWithoutEffect(withdraw("w1", "u1", "DOGE", "1"), Reason.UNKNOWN_ASSET);
            assertThat(h.balance("u1", "DOGE")).isNull();
        }

        @Test
        void moreFractionDigitsThanTheScaleIsScaleExceeded() {
            assertRejectedWithoutEffect(deposit("d1", "u1", "USD", "1.001"), Reason.SCALE_EXCEEDED);
            assertRejectedWithoutEffect(deposit("d2", "u1", "PTS", "1.5"), Reason.SCALE_EXCEEDED);
            // As typed: a trailing zero still counts as a fraction digit.
            assertRejectedWithoutEffect(deposit("d3", "u1", "USD", "1.000"), Reason.SCALE_EXCEEDED);
            assertApplied(h.run(deposit("d4", "u1", "USD", "1.00")));
            assertApplied(h.run(deposit("d5", "u1", "WEI", "0.000000000000000001")));
            assertThat(h.balance("u1", "WEI")).isEqualTo("0.000000000000000001/0");
        }

        @Test
        void amountsBeyond127BitsAreAmountOverflow() {
            // Digits alone beyond 2^127-1.
            assertRejectedWithoutEffect(deposit("d1", "u1", "PTS", "170141183460469231731687303715884105728"), Reason.AMOUNT_OVERFLOW);
            // Digits fit, minor units at scale 18 do not.
            assertRejectedWithoutEffect(deposit("d2", "u1", "WEI", "1000000000000000000000"), Reason.AMOUNT_OVERFLOW);
            // Exactly 2^127-1 minor units is fine.
            assertApplied(h.run(deposit("d3", "u1", "PTS", MAX)));
            assertApplied(h.run(deposit("d4", "u1", "WEI", "170141183460469231731.687303715884105727")));
            assertThat(h.balance("u1", "WEI")).isEqualTo("170141183460469231731.687303715884105727/0");
        }

        @Test
        void aBalancePastTheRangeIsAmountOverflow() {
            h.run(deposit("d1", "u1", "PTS", MAX));
            assertRejectedWithoutEffect(deposit("d2", "u1", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
        }

        @Test
        void externalPastTheRangeIsAmountOverflowAndCreatesNoAccount() {
            h.run(deposit("d1", "u1", "PTS", MAX));
            assertApplied(h.run(deposit("d2", "u2", "PTS", "1"))); // @external is now exactly -2^127
            assertThat(h.engine.view().balance("@external", "PTS").available()).isEqualTo(Int128.MIN);
            assertRejectedWithoutEffect(deposit("d3", "u3", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
            assertThat(h.balance("u3", "PTS")).isNull();
            // Withdrawing brings it back into range.
            assertApplied(h.run(withdraw("w1", "u1", "PTS", "5")));
            assertApplied(h.run(deposit("d4", "u3", "PTS", "5")));
        }

        @Test
        void systemAccountsCannotDepositOrWithdraw() {
            assertRejectedWithoutEffect(deposit("d1", "@fees", "USD", "1"), Reason.SYSTEM_ACCOUNT);
            assertRejectedWithoutEffect(withdraw("w1", "@external", "USD", "1"), Reason.SYSTEM_ACCOUNT);
            // The system check comes before the asset check.
            assertRejectedWithoutEffect(deposit("d2", "@fees", "DOGE", "1"), Reason.SYSTEM_ACCOUNT);
        }
    }

    @Nested
    class Holds {
        @BeforeEach
        void funds() {
            h.run(deposit("d1", "u1", "USD", "100"));
        }

        @Test
        void placeMovesAvailableToHeld() {
            h.clearEvents();
            Result result = h.run(hold("h1", "u1", "USD", "30.5", "order-1"));
            assertApplied(result);
            assertThat(result.balances()).extracting(BalanceView::account).containsExactly("u1");
            assertThat(h.balance("u1", "USD")).isEqualTo("69.5/30.5");
            HoldView view = h.engine.view().hold("order-1");
            assertThat(view).isEqualTo(new HoldView("order-1", "u1", "USD", Int128.of(3050), Int128.of(3050),
                    Command.NO_EXPIRY, HoldState.OPEN));
            assertThat(h.holdChanges).containsExactly(view);
            assertThat(h.balanceChanges).singleElement().satisfies(change -> {
                assertThat(change.availableDelta()).isEqualTo(Int128.of(-3050));
                assertThat(change.heldDelta()).isEqualTo(Int128.of(3050));
                assertThat(change.type()).isEqualTo("hold");
                assertThat(change.commandId()).isEqualTo("h1");
            });
        }

        @Test
        void placeMoreThanAvailableIsInsufficientFunds() {
            h.run(hold("h1", "u1", "USD", "60", "order-1"));
            assertRejectedWithoutEffect(hold("h2", "u1", "USD", "40.01", "order-2"), Reason.INSUFFICIENT_FUNDS);
            assertThat(h.engine.view().hold("order-2")).isNull();
            assertRejectedWithoutEffect(hold("h3", "u2", "USD", "1", "order-3"), Reason.INSUFFICIENT_FUNDS);
            assertThat(h.balance("u2", "USD")).isNull();
        }

        @Test
        void aHoldIdIsUsedOnceEvenAfterTheHoldIsClosed() {
            h.run(hold("h1", "u1", "USD", "10", "order-1"));
            assertRejectedWithoutEffect(hold("h2", "u1", "USD", "10", "order-1"), Reason.HOLD_EXISTS);
            h.run(release("r1", "order-1", null));
            assertRejectedWithoutEffect(hold("h3", "u1", "USD", "10", "order-1"), Reason.HOLD_EXISTS);
        }

        @Test
        void placeRejectsSystemAccountsUnknownAssetsAndScale() {
            assertRejectedWithoutEffect(hold("h1", "@fees", "USD", "1", "order-1"), Reason.SYSTEM_ACCOUNT);
            assertRejectedWithoutEffect(hold("h2", "u1", "DOGE", "1", "order-1"), Reason.UNKNOWN_ASSET);
            assertRejectedWithoutEffect(hold("h3", "u1", "USD", "0.001", "order-1"), Reason.SCALE_EXCEEDED);
            assertRejectedWithoutEffect(hold("h4", "u1", "USD", "9".repeat(40), "order-1"), Reason.AMOUNT_OVERFLOW);
            assertThat(h.engine.view().hold("order-1")).isNull();
        }

        @Test
        void releasePartialThenAllIsReleased() {
            h.run(hold("h1", "u1", "USD", "30", "order-1"));
            assertApplied(h.run(release("r1", "order-1", "10")));
            assertThat(h.balance("u1", "USD")).isEqualTo("80/20");
            assertThat(h.engine.view().hold("order-1").remaining()).isEqualTo(Int128.of(2000));
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.OPEN);

            assertApplied(h.run(release("r2", "order-1", null)));
            assertThat(h.balance("u1", "USD")).isEqualTo("100/0");
            HoldView closed = h.engine.view().hold("order-1");
            assertThat(closed.state()).isEqualTo(HoldState.RELEASED);
            assertThat(closed.remaining()).isEqualTo(Int128.ZERO);
            assertThat(closed.amount()).isEqualTo(Int128.of(3000));
        }

        @Test
        void releasingExactlyWhatIsLeftIsReleased() {
            h.run(hold("h1", "u1", "USD", "30", "order-1"));
            assertApplied(h.run(release("r1", "order-1", "30.00")));
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.RELEASED);
        }

        @Test
        void releaseRejections() {
            h.run(hold("h1", "u1", "USD", "30", "order-1"));
            assertRejectedWithoutEffect(release("r1", "order-1", "30.01"), Reason.INSUFFICIENT_FUNDS);
            assertRejectedWithoutEffect(release("r2", "no-such-hold", null), Reason.UNKNOWN_HOLD);
            assertRejectedWithoutEffect(release("r3", "order-1", "0.001"), Reason.SCALE_EXCEEDED);
            assertRejectedWithoutEffect(release("r4", "order-1", "9".repeat(40)), Reason.AMOUNT_OVERFLOW);
            h.run(release("r5", "order-1", null));
            assertRejectedWithoutEffect(release("r6", "order-1", null), Reason.UNKNOWN_HOLD);
            assertRejectedWithoutEffect(release("r7", "order-1", "1"), Reason.UNKNOWN_HOLD);
        }
    }

    @Nested
    class Transfers {
        @BeforeEach
        void funds() {
            h.run(deposit("d1", "u1", "USD", "100"));
            h.run(deposit("d2", "u2", "BTC", "2"));
        }

        @Test
        void singleLegMovesAvailable() {
            Result result = h.run(transfer("t1", "u1", "u2", "USD", "40"));
            assertApplied(result);
            assertThat(result.balances()).extracting(BalanceView::account).containsExactlyInAnyOrder("u1", "u2");
            assertThat(h.balance("u1", "USD")).isEqualTo("60/0");
            assertThat(h.balance("u2", "USD")).isEqualTo("40/0");
            assertThat(h.balance("@external", "USD")).isEqualTo("-100/0");
        }

        @Test
        void tradeSettlementWithFeeLegs() {
            Result result = h.run(transfer("trade-1",
                    leg("u1", "u2", "USD", "50"),
                    leg("u2", "u1", "BTC", "1"),
                    leg("u1", "@fees", "USD", "0.05"),
                    leg("u2", "@fees", "BTC", "0.001")));
            assertApplied(result);
            assertThat(result.balances()).extracting(BalanceView::account, BalanceView::asset).containsExactlyInAnyOrder(
                    tuple("u1", "USD"), tuple("u2", "USD"), tuple("u2", "BTC"), tuple("u1", "BTC"),
                    tuple("@fees", "USD"), tuple("@fees", "BTC"));
            assertThat(h.balance("u1", "USD")).isEqualTo("49.95/0");
            assertThat(h.balance("u2", "USD")).isEqualTo("50/0");
            assertThat(h.balance("u1", "BTC")).isEqualTo("1/0");
            assertThat(h.balance("u2", "BTC")).isEqualTo("0.999/0");
            assertThat(h.balance("@fees", "USD")).isEqualTo("0.05/0");
            assertThat(h.balance("@fees", "BTC")).isEqualTo("0.001/0");
            // One revision per command per account, however many legs touched it.
            assertThat(h.revision("u1", "USD")).isEqualTo(2);
        }

        @Test
        void legsApplyInOrderSoALaterLegMaySpendAnEarlierCredit() {
            assertApplied(h.run(transfer("t1", leg("u1", "u3", "USD", "100"), leg("u3", "u4", "USD", "100"))));
            assertThat(h.balance("u3", "USD")).isEqualTo("0/0");
            assertThat(h.balance("u4", "USD")).isEqualTo("100/0");
            // Order matters: the other way round u3 has nothing yet.
            assertRejected(h.run(transfer("t2", leg("u5", "u6", "USD", "1"), leg("u4", "u5", "USD", "1"))),
                    Reason.INSUFFICIENT_FUNDS);
        }

        @Test
        void systemAccountsMayPayAndGoNegativeInLegs() {
            assertApplied(h.run(transfer("t1", "@clearing", "u1", "USD", "5")));
            assertThat(h.balance("@clearing", "USD")).isEqualTo("-5/0");
            assertApplied(h.run(transfer("t2", "u1", "@clearing", "USD", "105")));
            assertThat(h.balance("@clearing", "USD")).isEqualTo("100/0");
        }

        @Test
        void sameAccountIsRejected() {
            assertRejectedWithoutEffect(transfer("t1", "u1", "u1", "USD", "1"), Reason.SAME_ACCOUNT);
            assertRejectedWithoutEffect(transfer("t2", "@fees", "@fees", "USD", "1"), Reason.SAME_ACCOUNT);
        }

        @Test
        void singleLegRejections() {
            assertRejectedWithoutEffect(transfer("t1", "u1", "u2", "USD", "100.01"), Reason.INSUFFICIENT_FUNDS);
            assertRejectedWithoutEffect(transfer("t2", "u1", "u2", "DOGE", "1"), Reason.UNKNOWN_ASSET);
            assertRejectedWithoutEffect(transfer("t3", "u1", "u2", "USD", "0.001"), Reason.SCALE_EXCEEDED);
            assertRejectedWithoutEffect(transfer("t4", "u1", "u2", "USD", "9".repeat(39)), Reason.AMOUNT_OVERFLOW);
            assertThat(h.engine.view().storedResult("t1").result().message()).doesNotStartWith("legs[");
        }

        @Test
        void creditPastTheRangeIsAmountOverflow() {
            h.run(deposit("d3", "rich", "PTS", MAX));
            h.run(transfer("t1", "rich", "u1", "PTS", "10")); // @external has room again
            h.run(withdraw("w1", "u1", "PTS", "10"));
            assertRejectedWithoutEffect(transfer("t2", "@treasury", "rich", "PTS", "11"), Reason.AMOUNT_OVERFLOW);
            assertThat(h.balance("@treasury", "PTS")).isNull();
        }

        @Test
        void systemDebitPastTheRangeIsAmountOverflow() {
            assertApplied(h.run(transfer("t1", "@mint", "u1", "PTS", MAX)));
            h.run(withdraw("w1", "u1", "PTS", "1"));
            assertApplied(h.run(transfer("t2", "@mint", "u2", "PTS", "1"))); // @mint is exactly -2^127
            assertRejectedWithoutEffect(transfer("t3", "@mint", "u3", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
        }

        @Test
        void legsCheckTheirShape() {
            assertThatThrownBy(() -> new Command.Transfer("t1", List.of())).isInstanceOf(IllegalArgumentException.class);
            Leg one = leg("u1", "u2", "USD", "1");
            assertThatThrownBy(() -> new Command.Transfer("t1", java.util.Collections.nCopies(Names.MAX_LEGS + 1, one)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(new Command.Transfer("t1", java.util.Collections.nCopies(Names.MAX_LEGS, one)).legs()).hasSize(16);
            assertThatThrownBy(() -> new Leg("u1", "u2", "USD", Harness.signed("-1"), null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Leg("u 1", "u2", "USD", amount("1"), null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Leg("u1", "u2", "USD", amount("1"), "bad hold")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class TransfersFromHolds {
        @BeforeEach
        void funds() {
            h.run(deposit("d1", "u1", "USD", "100"));
            h.run(hold("h1", "u1", "USD", "60", "order-1"));
        }

        @Test
        void partialThenSettled() {
            assertApplied(h.run(transfer("t1", holdLeg("u1", "u2", "USD", "25", "order-1"))));
            assertThat(h.balance("u1", "USD")).isEqualTo("40/35");
            assertThat(h.balance("u2", "USD")).isEqualTo("25/0");
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.OPEN);
            assertThat(h.engine.view().hold("order-1").remaining()).isEqualTo(Int128.of(3500));

            h.clearEvents();
            assertApplied(h.run(transfer("t2", holdLeg("u1", "u2", "USD", "30", "order-1"), holdLeg("u1", "@fees", "USD", "5", "order-1"))));
            assertThat(h.balance("u1", "USD")).isEqualTo("40/0");
            assertThat(h.balance("u2", "USD")).isEqualTo("55/0");
            assertThat(h.balance("@fees", "USD")).isEqualTo("5/0");
            HoldView settled = h.engine.view().hold("order-1");
            assertThat(settled.state()).isEqualTo(HoldState.SETTLED);
            assertThat(settled.remaining()).isEqualTo(Int128.ZERO);
            assertThat(h.holdChanges).containsExactly(settled);
            assertRejectedWithoutEffect(transfer("t3", holdLeg("u1", "u2", "USD", "1", "order-1")), Reason.UNKNOWN_HOLD);
            assertRejectedWithoutEffect(release("r1", "order-1", null), Reason.UNKNOWN_HOLD);
        }

        @Test
        void aHoldLegNeedsNoAvailable() {
            h.run(withdraw("w1", "u1", "USD", "40"));
            assertApplied(h.run(transfer("t1", holdLeg("u1", "u2", "USD", "60", "order-1"))));
            assertThat(h.balance("u1", "USD")).isEqualTo("0/0");
        }

        @Test
        void moreThanTheHoldHasLeftIsInsufficientFunds() {
            // u1 has 40 available, but a hold leg only ever draws on the hold.
            assertRejectedWithoutEffect(transfer("t1", holdLeg("u1", "u2", "USD", "60.01", "order-1")), Reason.INSUFFICIENT_FUNDS);
            assertRejectedWithoutEffect(transfer("t2", holdLeg("u1", "u2", "USD", "40", "order-1"),
                    holdLeg("u1", "u3", "USD", "20.01", "order-1")), Reason.INSUFFICIENT_FUNDS);
        }

        @Test
        void holdOnAnotherAccountOrAssetIsHoldMismatch() {
            h.run(deposit("d2", "u1", "BTC", "1"));
            h.run(deposit("d3", "u9", "USD", "10"));
            assertRejectedWithoutEffect(transfer("t1", holdLeg("u9", "u2", "USD", "1", "order-1")), Reason.HOLD_MISMATCH);
            assertRejectedWithoutEffect(transfer("t2", holdLeg("u1", "u2", "BTC", "1", "order-1")), Reason.HOLD_MISMATCH);
            assertRejectedWithoutEffect(transfer("t3", holdLeg("@fees", "u2", "USD", "1", "order-1")), Reason.HOLD_MISMATCH);
        }

        @Test
        void unknownHoldIsRejected() {
            assertRejectedWithoutEffect(transfer("t1", holdLeg("u1", "u2", "USD", "1", "order-404")), Reason.UNKNOWN_HOLD);
        }
    }

    @Nested
    class MultiLegAllOrNothing {
        @BeforeEach
        void funds() {
            h.run(deposit("d1", "u1", "USD", "100"));
            h.run(deposit("d2", "u2", "BTC", "1"));
            h.run(hold("h1", "u1", "USD", "60", "order-1"));
            h.run(hold("h2", "u1", "USD", "10", "order-2"));
            h.run(deposit("d3", "rich", "PTS", MAX));
        }

        static Stream<Arguments> failingThirdLegs() {
            return Stream.of(
                    Arguments.of(leg("u2", "u3", "BTC", "1.5"), Reason.INSUFFICIENT_FUNDS),
                    Arguments.of(leg("u2", "u3", "DOGE", "1"), Reason.UNKNOWN_ASSET),
                    Arguments.of(leg("u2", "u3", "BTC", "0.000000001"), Reason.SCALE_EXCEEDED),
                    Arguments.of(holdLeg("u1", "u3", "USD", "1", "order-404"), Reason.UNKNOWN_HOLD),
                    Arguments.of(holdLeg("u2", "u3", "BTC", "1", "order-2"), Reason.HOLD_MISMATCH),
                    // order-1 has 60 held; the first leg already took 60.
                    Arguments.of(holdLeg("u1", "u3", "USD", "1", "order-1"), Reason.UNKNOWN_HOLD),
                    Arguments.of(leg("@mint", "rich", "PTS", "1"), Reason.AMOUNT_OVERFLOW),
                    Arguments.of(leg("u9", "u9", "USD", "1"), Reason.SAME_ACCOUNT));
        }

        @ParameterizedTest
        @MethodSource("failingThirdLegs")
        void aFailingThirdLegLeavesEverythingAsItWas(Leg third, Reason reason) {
            Map<String, Object> before = h.state();
            long revision = h.revision("u1", "USD");
            h.clearEvents();
            Result result = h.run(transfer("t1",
                    holdLeg("u1", "newcomer", "USD", "60", "order-1"), // would settle order-1 and create an account
                    leg("u2", "@fees", "BTC", "0.5"),                  // would create @fees
                    third));
            assertRejected(result, reason);
            assertThat(result.message()).startsWith("legs[2]: ");
            assertThat(h.state()).isEqualTo(before);
            assertThat(h.balance("newcomer", "USD")).isNull();
            assertThat(h.balance("@fees", "BTC")).isNull();
            assertThat(h.balance("@mint", "PTS")).isNull();
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.OPEN);
            assertThat(h.engine.view().hold("order-1").remaining()).isEqualTo(Int128.of(6000));
            assertThat(h.revision("u1", "USD")).isEqualTo(revision);
            assertThat(h.balanceChanges).isEmpty();
            assertThat(h.holdChanges).isEmpty();
            // The same legs with a good third one apply, so it was the third leg that failed.
            assertApplied(h.run(transfer("t2", holdLeg("u1", "newcomer", "USD", "60", "order-1"),
                    leg("u2", "@fees", "BTC", "0.5"), leg("u2", "u3", "BTC", "0.5"))));
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.SETTLED);
        }
    }

    @Nested
    class Adjustments {
        @Test
        void positiveAndNegativeCorrectionsAgainstAdjustments() {
            Result up = h.run(adjust("a1", "u1", "USD", "12.5"));
            assertApplied(up);
            assertThat(h.balance("u1", "USD")).isEqualTo("12.5/0");
            assertThat(h.balance("@adjustments", "USD")).isEqualTo("-12.5/0");
            assertThat(h.balance("@external", "USD")).isNull();
            h.clearEvents();
            assertApplied(h.run(adjust("a2", "u1", "USD", "-2.5")));
            assertThat(h.balance("u1", "USD")).isEqualTo("10/0");
            assertThat(h.balance("@adjustments", "USD")).isEqualTo("-10/0");
            assertThat(h.balanceChanges).extracting(BalanceChange::account, BalanceChange::availableDelta, BalanceChange::type)
                    .containsExactlyInAnyOrder(tuple("u1", Int128.of(-250), "adjust"), tuple("@adjustments", Int128.of(250), "adjust"));
        }

        @Test
        void adjustRejections() {
            h.run(adjust("a1", "u1", "USD", "10"));
            assertRejectedWithoutEffect(adjust("a2", "u1", "USD", "-10.01"), Reason.INSUFFICIENT_FUNDS);
            assertRejectedWithoutEffect(adjust("a3", "@fees", "USD", "1"), Reason.SYSTEM_ACCOUNT);
            assertRejectedWithoutEffect(adjust("a4", "u1", "DOGE", "1"), Reason.UNKNOWN_ASSET);
            assertRejectedWithoutEffect(adjust("a5", "u1", "USD", "-0.001"), Reason.SCALE_EXCEEDED);
            assertRejectedWithoutEffect(adjust("a6", "u1", "USD", "-" + "9".repeat(40)), Reason.AMOUNT_OVERFLOW);
            assertRejectedWithoutEffect(adjust("a7", "u1", "PTS", "-" + MAX), Reason.INSUFFICIENT_FUNDS);
        }

        @Test
        void adjustChecksItsShape() {
            assertThatThrownBy(() -> new Command.Adjust("a1", "u1", "USD", Harness.signed("1"), " "))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Command.Adjust("a1", "u1", "USD", Harness.signed("1"), "x".repeat(Names.MAX_REASON_LENGTH + 1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Command.Adjust("a1", "u1", "USD", new Decimal(Int128.ZERO, 0), "r"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Idempotency {
        @Test
        void sameIdAndBodyIsReplayedWithTheStoredResult() {
            Result first = h.run(deposit("d1", "u1", "USD", "10"));
            Map<String, Object> before = h.state();
            h.clearEvents();
            Outcome again = h.apply(deposit("d1", "u1", "USD", "10"));
            assertThat(again.kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(again.result()).isEqualTo(first);
            assertThat(again.result().seq()).isEqualTo(first.seq()).isLessThan(h.engine.lastSeq());
            assertThat(h.state()).isEqualTo(before);
            assertThat(h.balanceChanges).isEmpty();
            assertThat(h.results()).isEqualTo(1);
        }

        @Test
        void aRejectedResultIsFinalAndReplayedEvenWhenItWouldNowApply() {
            Result first = h.run(withdraw("w1", "u1", "USD", "5"));
            assertRejected(first, Reason.INSUFFICIENT_FUNDS);
            h.run(deposit("d1", "u1", "USD", "10"));
            Outcome again = h.apply(withdraw("w1", "u1", "USD", "5"));
            assertThat(again.kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(again.result()).isEqualTo(first);
            assertThat(h.balance("u1", "USD")).isEqualTo("10/0");
        }

        @Test
        void sameIdWithAnotherBodyIsIdConflictAndChangesNothing() {
            Result first = h.run(deposit("d1", "u1", "USD", "10"));
            Map<String, Object> before = h.state();
            for (Command other : List.of(deposit("d1", "u1", "USD", "11"), deposit("d1", "u2", "USD", "10"),
                    deposit("d1", "u1", "BTC", "10"), withdraw("d1", "u1", "USD", "10"), deposit("d1", "u1", "USD", "10.0"),
                    transfer("d1", "u1", "u2", "USD", "10"))) {
                Outcome outcome = h.apply(other);
                assertThat(outcome.kind()).as("%s", other).isEqualTo(Outcome.Kind.ID_CONFLICT);
                assertThat(outcome.result()).isEqualTo(first);
                assertThat(outcome.message()).contains("d1");
            }
            assertThat(h.state()).isEqualTo(before);
            assertThat(h.engine.view().storedResult("d1").result()).isEqualTo(first);
        }

        @Test
        void replayComparesBodiesByMeaningNotIdentity() {
            h.run(deposit("d1", "u1", "USD", "10"));
            h.run(hold("h1", "u1", "USD", "1", "order-1", 5_000));
            h.run(transfer("t1", leg("u1", "u2", "USD", "1"), holdLeg("u1", "u2", "USD", "1", "order-1")));
            assertThat(h.apply(hold("h1", "u1", "USD", "1", "order-1", 5_000)).kind()).isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(h.apply(hold("h1", "u1", "USD", "1", "order-1", 5_001)).kind()).isEqualTo(Outcome.Kind.ID_CONFLICT);
            assertThat(h.apply(transfer("t1", leg("u1", "u2", "USD", "1"), holdLeg("u1", "u2", "USD", "1", "order-1"))).kind())
                    .isEqualTo(Outcome.Kind.REPLAYED);
            assertThat(h.apply(transfer("t1", holdLeg("u1", "u2", "USD", "1", "order-1"), leg("u1", "u2", "USD", "1"))).kind())
                    .isEqualTo(Outcome.Kind.ID_CONFLICT);
        }
    }

    @Nested
    class Expiry {
        @BeforeEach
        void funds() {
            h.run(deposit("d1", "u1", "USD", "100"));
        }

        @Test
        void aTickAtOrAfterTheExpiryExpiresTheHold() {
            h.run(hold("h1", "u1", "USD", "30", "order-1", 5_000));
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(5_000);
            h.clearEvents();
            Outcome early = h.tick(4_999);
            assertThat(early.kind()).isEqualTo(Outcome.Kind.TICK);
            assertThat(early.result()).isNull();
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.OPEN);
            assertThat(h.balanceChanges).isEmpty();

            long revision = h.revision("u1", "USD");
            h.tick(5_000);
            HoldView expired = h.engine.view().hold("order-1");
            assertThat(expired.state()).isEqualTo(HoldState.EXPIRED);
            assertThat(expired.remaining()).isEqualTo(Int128.ZERO);
            assertThat(h.balance("u1", "USD")).isEqualTo("100/0");
            assertThat(h.balanceChanges).singleElement().satisfies(change -> {
                assertThat(change.commandId()).isNull();
                assertThat(change.type()).isEqualTo("expire");
                assertThat(change.seq()).isEqualTo(h.engine.lastSeq());
                assertThat(change.atMicros()).isEqualTo(5_000);
                assertThat(change.account()).isEqualTo("u1");
                assertThat(change.availableDelta()).isEqualTo(Int128.of(3000));
                assertThat(change.heldDelta()).isEqualTo(Int128.of(-3000));
                assertThat(change.available()).isEqualTo(Int128.of(10_000));
                assertThat(change.held()).isEqualTo(Int128.ZERO);
                assertThat(change.revision()).isEqualTo(revision + 1);
            });
            assertThat(h.holdChanges).containsExactly(expired);
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(Command.NO_EXPIRY);
            assertRejectedWithoutEffect(release("r1", "order-1", null), Reason.UNKNOWN_HOLD);
            assertRejectedWithoutEffect(transfer("t1", holdLeg("u1", "u2", "USD", "1", "order-1")), Reason.UNKNOWN_HOLD);
        }

        @Test
        void expiryReturnsOnlyWhatIsLeft() {
            h.run(hold("h1", "u1", "USD", "30", "order-1", 5_000));
            h.run(release("r1", "order-1", "10"));
            h.run(transfer("t1", holdLeg("u1", "u2", "USD", "5", "order-1")));
            h.clearEvents();
            h.tick(9_000);
            assertThat(h.balance("u1", "USD")).isEqualTo("95/0");
            assertThat(h.balanceChanges).singleElement().extracting(BalanceChange::availableDelta).isEqualTo(Int128.of(1500));
        }

        @Test
        void closedAndUnexpiringHoldsAreNotExpired() {
            h.run(hold("h1", "u1", "USD", "10", "released", 2_000));
            h.run(hold("h2", "u1", "USD", "10", "settled", 3_000));
            h.run(hold("h3", "u1", "USD", "10", "forever"));
            h.run(hold("h4", "u1", "USD", "10", "later", 9_000));
            h.run(release("r1", "released", null));
            h.run(transfer("t1", holdLeg("u1", "u2", "USD", "10", "settled")));
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(9_000);
            h.clearEvents();
            h.tick(8_999);
            assertThat(h.balanceChanges).isEmpty();
            assertThat(h.engine.view().hold("released").state()).isEqualTo(HoldState.RELEASED);
            assertThat(h.engine.view().hold("settled").state()).isEqualTo(HoldState.SETTLED);
            h.tick(Long.MAX_VALUE - 1);
            assertThat(h.engine.view().hold("later").state()).isEqualTo(HoldState.EXPIRED);
            assertThat(h.engine.view().hold("forever").state()).isEqualTo(HoldState.OPEN);
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(Command.NO_EXPIRY);
        }

        @Test
        void holdsExpireInOrderOfTimeThenId() {
            h.run(hold("h1", "u1", "USD", "1", "b", 3_000));
            h.run(hold("h2", "u1", "USD", "2", "a", 3_000));
            h.run(hold("h3", "u1", "USD", "3", "c", 2_000));
            h.run(deposit("d2", "u2", "USD", "1"));
            h.run(hold("h4", "u2", "USD", "1", "d", 2_500));
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(2_000);
            h.clearEvents();
            h.tick(3_000);
            assertThat(h.holdChanges).extracting(HoldView::holdId).containsExactly("c", "d", "a", "b");
            assertThat(h.balanceChanges).extracting(BalanceChange::account, BalanceChange::availableDelta)
                    .containsExactly(tuple("u1", Int128.of(300)), tuple("u2", Int128.of(100)),
                            tuple("u1", Int128.of(200)), tuple("u1", Int128.of(100)));
            assertThat(h.balanceChanges).extracting(BalanceChange::revision).containsExactly(5L, 3L, 6L, 7L);
        }

        @Test
        void aHoldAlreadyDueWhenPlacedExpiresOnTheNextTick() {
            h.nowMicros = 10_000;
            assertApplied(h.run(hold("h1", "u1", "USD", "10", "order-1", 1)));
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.OPEN);
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(1);
            h.tick(10_000);
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.EXPIRED);
        }

        @Test
        void oneTickExpiresAtMostTheBoundAndTheNextTickTheRest() {
            int holds = Engine.MAX_EXPIRIES_PER_TICK + 3;
            h.run(deposit("d2", "u1", "USD", "1"));
            Engine engine = h.engine;
            for (int i = 0; i < holds; i++) {
                // Placed directly: the harness's full check after every entry would make this quadratic.
                Result placed = engine.apply(engine.lastSeq() + 1, 2_000, hold("bulk-" + i, "u1", "USD", "0.01", "bulk-" + i, 3_000),
                        EngineListener.NONE).result();
                assertThat(placed.applied()).as("%s", placed).isTrue();
            }
            engine.checkInvariants();
            h.clearEvents();
            h.tick(3_000);
            assertThat(h.holdChanges).hasSize(Engine.MAX_EXPIRIES_PER_TICK);
            assertThat(engine.nextExpiryMicros()).as("the sequencer ticks again while holds are due").isEqualTo(3_000);
            assertThat(h.balance("u1", "USD")).isEqualTo("100.97/0.03");
            h.clearEvents();
            h.tick(3_000);
            assertThat(h.holdChanges).hasSize(3);
            assertThat(engine.nextExpiryMicros()).isEqualTo(Command.NO_EXPIRY);
            assertThat(h.balance("u1", "USD")).isEqualTo("101/0");
        }

        @Test
        void aRejectedHoldNeverExpires() {
            assertRejected(h.run(hold("h1", "u1", "USD", "1000", "order-1", 2_000)), Reason.INSUFFICIENT_FUNDS);
            assertThat(h.engine.nextExpiryMicros()).isEqualTo(Command.NO_EXPIRY);
            h.clearEvents();
            h.tick(3_000);
            assertThat(h.balanceChanges).isEmpty();
        }
    }

    /** Regressions at the edge of the 128-bit range: each of these threw out of apply() before its fix. */
    @Nested
    class RangeEdges {
        @Test
        void aBalanceTotalPastTheRangeIsRejectedSoAnExpiryCanAlwaysReturnTheHold() {
            h.run(deposit("d1", "u1", "PTS", MAX));
            h.run(hold("h1", "u1", "PTS", "1", "order-1", 5_000));
            h.run(hold("h2", "u1", "PTS", "1", "order-2"));
            // available + 1 fits, but available + held + 1 does not: nothing could ever release the holds.
            assertRejectedWithoutEffect(deposit("d2", "u1", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
            assertRejectedWithoutEffect(transfer("t1", "@mint", "u1", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
            assertRejectedWithoutEffect(adjust("a1", "u1", "PTS", "1"), Reason.AMOUNT_OVERFLOW);
            h.clearEvents();
            h.tick(5_000);
            assertThat(h.engine.view().hold("order-1").state()).isEqualTo(HoldState.EXPIRED);
            assertApplied(h.run(release("r1", "order-2", null)));
            assertThat(h.engine.view().balance("u1", "PTS").available()).isEqualTo(Int128.MAX);
        }

        @Test
        void aSystemAccountSwingingPastTheRangeInOneCommandIsAmountOverflow() {
            h.run(transfer("t0", "@fees", "u1", "PTS", MAX)); // @fees is at -MAX
            h.run(deposit("d1", "u2", "PTS", MAX));
            h.run(adjust("a1", "u3", "PTS", MAX));
            // @fees would end at +MAX, a change of 2^128 - 2 that no event can carry.
            assertRejectedWithoutEffect(transfer("t1", leg("u2", "@fees", "PTS", MAX), leg("u3", "@fees", "PTS", MAX)),
                    Reason.AMOUNT_OVERFLOW);
            // The same postings as two commands are two representable changes.
            assertApplied(h.run(transfer("t2", "u2", "@fees", "PTS", MAX)));
            assertApplied(h.run(transfer("t3", "u3", "@fees", "PTS", MAX)));
            assertThat(h.engine.view().balance("@fees", "PTS").available()).isEqualTo(Int128.MAX);
        }

        @Test
        void postingsWhoseRunningSumPassesTheRangeStillBalance() {
            h.run(deposit("d1", "u3", "PTS", MAX));
            String maxMinusOne = Int128.MAX.subtract(Int128.ONE).toString();
            Result result = h.run(transfer("t1", leg("@s1", "u2", "PTS", "1"), leg("u3", "@s1", "PTS", MAX),
                    leg("@s2", "u2", "PTS", maxMinusOne)));
            assertApplied(result);
            assertThat(h.engine.view().balance("u2", "PTS").available()).isEqualTo(Int128.MAX);
            assertThat(h.engine.view().balance("@s1", "PTS").available().toString()).isEqualTo(maxMinusOne);
            assertThat(h.engine.view().balance("@s2", "PTS").available().toString()).isEqualTo("-" + maxMinusOne);
        }

        @Test
        void anAmountOfMinusTwoTo127IsAmountOverflow() {
            h.run(deposit("d1", "u1", "PTS", MAX));
            // Parsing never makes it, but the record (and so a decoded log entry) may hold it.
            Command.Adjust adjust = new Command.Adjust("a1", "u1", "PTS", new Decimal(Int128.MIN, 0), "r");
            Command decoded = CommandCodec.decode(new ByteReader(CommandCodec.encode(adjust)));
            assertThat(decoded).isEqualTo(adjust);
            assertRejectedWithoutEffect(adjust, Reason.AMOUNT_OVERFLOW);
        }
    }

    @Nested
    class Events {
        @Test
        void balanceChangesCarryDeltasAndRevisions() {
            h.clearEvents();
            h.run(deposit("d1", "u1", "BTC", "1"));
            h.run(transfer("t1", "u1", "u2", "BTC", "0.25"));
            h.run(withdraw("w1", "u1", "BTC", "0.5"));
            assertThat(h.balanceChanges).extracting(BalanceChange::commandId, BalanceChange::type, BalanceChange::account,
                            BalanceChange::availableDelta, BalanceChange::available, BalanceChange::revision)
                    .containsExactly(
                            tuple("d1", "deposit", "u1", Int128.of(100_000_000), Int128.of(100_000_000), 1L),
                            tuple("d1", "deposit", "@external", Int128.of(-100_000_000), Int128.of(-100_000_000), 1L),
                            tuple("t1", "transfer", "u1", Int128.of(-25_000_000), Int128.of(75_000_000), 2L),
                            tuple("t1", "transfer", "u2", Int128.of(25_000_000), Int128.of(25_000_000), 1L),
                            tuple("w1", "withdraw", "u1", Int128.of(-50_000_000), Int128.of(25_000_000), 3L),
                            tuple("w1", "withdraw", "@external", Int128.of(50_000_000), Int128.of(-50_000_000), 2L));
            assertThat(h.balanceChanges).allSatisfy(change -> {
                assertThat(change.asset()).isEqualTo("BTC");
                assertThat(change.heldDelta()).isEqualTo(Int128.ZERO);
            });
            assertThat(h.balanceChanges.get(2).seq()).isEqualTo(h.engine.view().storedResult("t1").result().seq());
        }

        @Test
        void anAccountWhoseNetChangeIsZeroGetsNoEventAndKeepsItsRevision() {
            h.run(deposit("d1", "u1", "USD", "10"));
            h.run(deposit("d2", "u2", "USD", "10"));
            h.clearEvents();
            Result result = h.run(transfer("t1", leg("u1", "u2", "USD", "5"), leg("u2", "u3", "USD", "5")));
            assertApplied(result);
            assertThat(h.balanceChanges).extracting(BalanceChange::account).containsExactlyInAnyOrder("u1", "u3");
            assertThat(h.revision("u2", "USD")).isEqualTo(1);
            assertThat(result.balances()).extracting(BalanceView::account).contains("u2");
        }

        @Test
        void rejectedCommandsEmitNothing() {
            h.clearEvents();
            h.run(withdraw("w1", "u1", "USD", "1"));
            h.run(transfer("t1", leg("@fees", "u1", "USD", "1"), leg("u1", "u2", "USD", "2")));
            assertThat(h.balanceChanges).isEmpty();
            assertThat(h.holdChanges).isEmpty();
        }
    }

    @Nested
    class LogOrder {
        @Test
        void aSeqGapOrARepeatedSeqIsAnInvariantViolation() {
            long last = h.engine.lastSeq();
            assertThatThrownBy(() -> h.engine.apply(last + 2, h.nowMicros, new Command.Tick(), EngineListener.NONE))
                    .isInstanceOf(InvariantViolation.class).hasMessageContaining("gap");
            assertThatThrownBy(() -> h.engine.apply(last, h.nowMicros, deposit("d1", "u1", "USD", "1"), EngineListener.NONE))
                    .isInstanceOf(InvariantViolation.class);
            assertThat(h.engine.lastSeq()).isEqualTo(last);
            assertThat(h.engine.view().storedResult("d1")).isNull();
            assertApplied(h.engine.apply(last + 1, h.nowMicros, deposit("d1", "u1", "USD", "1"), EngineListener.NONE).result());
        }

        @Test
        void timeGoingBackwardsIsAnInvariantViolation() {
            h.applyAt(5_000, deposit("d1", "u1", "USD", "1"));
            long seq = h.engine.lastSeq();
            assertThatThrownBy(() -> h.engine.apply(seq + 1, 4_999, deposit("d2", "u1", "USD", "1"), EngineListener.NONE))
                    .isInstanceOf(InvariantViolation.class).hasMessageContaining("backwards");
            assertThat(h.engine.lastSeq()).isEqualTo(seq);
            assertThat(h.engine.lastAtMicros()).isEqualTo(5_000);
            assertThat(h.balance("u1", "USD")).isEqualTo("1/0");
            // The same time again is fine: several entries share a microsecond.
            assertApplied(h.applyAt(5_000, deposit("d2", "u1", "USD", "1")).result());
        }

        @Test
        void storedResultsAreKeptForRejectedAndAppliedCommands() {
            h.run(deposit("d1", "u1", "USD", "1"));
            h.run(withdraw("w1", "u1", "USD", "5"));
            assertThat(h.results()).isEqualTo(2);
            assertThat(h.engine.view().storedResult("d1").result().status()).isEqualTo(Status.APPLIED);
            assertThat(h.engine.view().storedResult("w1").result().reason()).isEqualTo(Reason.INSUFFICIENT_FUNDS);
            assertThat(h.engine.view().storedResult("nope")).isNull();
        }
    }
}
