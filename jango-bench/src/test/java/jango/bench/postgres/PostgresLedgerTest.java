package jango.bench.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import jango.bench.postgres.PostgresLedger.Balance;
import jango.bench.postgres.PostgresLedger.Kind;
import jango.bench.postgres.PostgresLedger.LedgerResult;
import jango.bench.postgres.PostgresLedger.Mode;
import jango.engine.StoredResult;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.HoldState;
import jango.engine.Leg;
import jango.engine.Reason;
import jango.engine.Status;
import java.math.BigInteger;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The PostgreSQL ledger against a real embedded PostgreSQL, compared with Jango's engine. */
class PostgresLedgerTest {
    private static PostgresServer server;
    private PostgresLedger ledger;

    @BeforeAll
    static void startServer() {
        server = PostgresServer.startEmbedded();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void freshSchema() throws SQLException {
        ledger = new PostgresLedger(server.dataSource());
        ledger.resetSchema();
    }

    @Test
    void embeddedServerIsDurable() throws SQLException {
        assertThat(server.settings()).containsEntry("fsync", "on").containsEntry("synchronous_commit", "on")
                .containsEntry("full_page_writes", "on");
        assertThat(server.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:");
    }

    /**
     * The same seeded command list through Jango's engine and through the ledger: every command has
     * the same kind, status, reason, message and number of balances changed, and the final balances
     * (with revisions) and holds are equal. Batches cut the list at arbitrary points.
     */
    @ParameterizedTest(name = "{0} batch {1} seed {2}")
    @CsvSource({"ROW_LOCK, 1, 11", "BATCHED, 7, 12", "BATCHED, 250, 13"})
    void sameOutcomesAsTheEngine(Mode mode, int batchSize, long seed) throws SQLException {
        List<Command> commands = RandomCommands.generate(seed, 1_000);
        EngineRun engine = EngineRun.of(commands);

        List<LedgerResult> results = applyAll(commands, mode, batchSize);

        for (int i = 0; i < commands.size(); i++) {
            assertThat(EngineRun.seen(results.get(i))).as("command %d: %s", i, commands.get(i)).isEqualTo(engine.outcomes.get(i));
        }
        assertThat(ledger.balances()).isEqualTo(engine.balances());
        assertThat(ledger.holds()).isEqualTo(engine.holds());
        assertThat(ledger.checkInvariants()).isEmpty();
        assertThat(ledger.historyCount()).isEqualTo(results.stream().mapToLong(LedgerResult::balancesChanged).sum());

        Set<Reason> reasons = results.stream().filter(r -> r.reason() != null).map(LedgerResult::reason)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Reason.class)));
        assertThat(reasons).as("the stream reaches every rejection reason").containsExactlyInAnyOrder(Reason.values());
        assertThat(results).extracting(LedgerResult::kind).contains(Kind.NEW, Kind.REPLAYED, Kind.ID_CONFLICT,
                Kind.ASSET_CREATED, Kind.ASSET_EXISTS, Kind.ASSET_CONFLICT);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void multiLegTransfersAreAllOrNothing(Mode mode) throws SQLException {
        List<Command> setup = List.of(
                new Command.RegisterAsset("USD", 2),
                deposit("d1", "u1", "100"),
                deposit("d2", "u2", "50"),
                new Command.PlaceHold("p1", "u1", "USD", amount("30"), "h1", Command.NO_EXPIRY));
        Command failing = new Command.Transfer("x1", List.of(
                new Leg("u1", "u3", "USD", amount("10"), "h1"),
                new Leg("u2", "@fees", "USD", amount("5"), null),
                new Leg("u2", "u3", "USD", amount("60"), null)));
        Command settling = new Command.Transfer("x2", List.of(
                new Leg("u1", "u3", "USD", amount("30"), "h1"),
                new Leg("u2", "@fees", "USD", amount("5"), null),
                new Leg("u2", "u3", "USD", amount("45"), null)));
        applyAll(setup, mode, 10);
        List<Balance> before = ledger.balances();
        long historyBefore = ledger.historyCount();

        LedgerResult rejected = applyAll(List.of(failing), mode, 1).getFirst();

        assertThat(rejected.status()).isEqualTo(Status.REJECTED);
        assertThat(rejected.reason()).isEqualTo(Reason.INSUFFICIENT_FUNDS);
        assertThat(rejected.message()).startsWith("legs[2]: ");
        assertThat(ledger.balances()).isEqualTo(before);
        assertThat(ledger.holds().get("h1").remaining()).isEqualTo(BigInteger.valueOf(3_000));
        assertThat(ledger.historyCount()).isEqualTo(historyBefore);
        assertThat(ledger.missingResults(List.of("x1"))).isZero();

        LedgerResult applied = applyAll(List.of(settling), mode, 1).getFirst();

        assertThat(applied.status()).isEqualTo(Status.APPLIED);
        assertThat(applied.balancesChanged()).isEqualTo(4); // u1 held, u2, u3, @fees
        assertThat(ledger.holds().get("h1").state()).isEqualTo(HoldState.SETTLED);
        assertThat(balance("u3")).isEqualTo(BigInteger.valueOf(7_500));
        assertThat(balance("u2")).isZero();
        assertThat(balance("@fees")).isEqualTo(BigInteger.valueOf(500));
        List<Command> all = new ArrayList<>(setup);
        all.addAll(List.of(failing, settling));
        assertThat(ledger.balances()).isEqualTo(EngineRun.of(all).balances());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sameIdReturnsTheStoredResultWithoutApplyingAgain(Mode mode) throws SQLException {
        applyAll(List.of(new Command.RegisterAsset("USD", 2)), mode, 1);
        Command deposit = deposit("d1", "u1", "10");
        Command tooMuch = new Command.Withdraw("w1", "u1", "USD", amount("25"));

        assertThat(applyAll(List.of(deposit, tooMuch), mode, 2)).extracting(LedgerResult::kind, LedgerResult::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.NEW, Status.APPLIED),
                        org.assertj.core.groups.Tuple.tuple(Kind.NEW, Status.REJECTED));
        long history = ledger.historyCount();

        // Again, after more money arrived: the stored results, nothing applied twice, the rejection stays final.
        applyAll(List.of(deposit("d2", "u1", "100")), mode, 1);
        List<LedgerResult> again = applyAll(List.of(deposit, tooMuch, deposit("d1", "u1", "99")), mode, 3);

        assertThat(again).extracting(LedgerResult::kind, LedgerResult::status, LedgerResult::balancesChanged)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.REPLAYED, Status.APPLIED, 0),
                        org.assertj.core.groups.Tuple.tuple(Kind.REPLAYED, Status.REJECTED, 0),
                        org.assertj.core.groups.Tuple.tuple(Kind.ID_CONFLICT, Status.APPLIED, 0));
        assertThat(again.get(1).reason()).isEqualTo(Reason.INSUFFICIENT_FUNDS);
        assertThat(balance("u1")).isEqualTo(BigInteger.valueOf(11_000));
        assertThat(ledger.historyCount()).isEqualTo(history + 2);
        assertThat(ledger.resultCount()).isEqualTo(3);
    }

    @Test
    void repeatedIdWithinOneBatchIsAppliedOnce() throws SQLException {
        applyAll(List.of(new Command.RegisterAsset("USD", 2)), Mode.BATCHED, 1);

        List<LedgerResult> results = applyAll(List.of(deposit("d1", "u1", "10"), deposit("d1", "u1", "10"),
                deposit("d1", "u1", "11")), Mode.BATCHED, 3);

        assertThat(results).extracting(LedgerResult::kind).containsExactly(Kind.NEW, Kind.REPLAYED, Kind.ID_CONFLICT);
        assertThat(balance("u1")).isEqualTo(BigInteger.valueOf(1_000));
        assertThat(ledger.resultCount()).isEqualTo(1);
    }

    private List<LedgerResult> applyAll(List<Command> commands, Mode mode, int batchSize) throws SQLException {
        List<LedgerResult> results = new ArrayList<>(commands.size());
        try (LedgerSession session = ledger.openSession()) {
            if (mode == Mode.ROW_LOCK) {
                for (Command command : commands) {
                    results.add(session.apply(command));
                }
            } else {
                for (int from = 0; from < commands.size(); from += batchSize) {
                    results.addAll(session.applyBatch(commands.subList(from, Math.min(commands.size(), from + batchSize))));
                }
            }
        }
        return results;
    }

    private BigInteger balance(String owner) throws SQLException {
        return ledger.balance(owner, "USD").orElseThrow().available();
    }

    private static Command deposit(String id, String account, String amount) {
        return new Command.Deposit(id, account, "USD", amount(amount));
    }

    private static Decimal amount(String text) {
        return Decimal.parse(text, false);
    }
}
