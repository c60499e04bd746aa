package jango.bank.recon;

import com.linecorp.armeria.server.Server;
import jango.bank.BankRigAccess;
import jango.bank.http.BankRoutes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real day at a simulated bank (paid, refused, deposits, suspense), its statement, and the
 * gateway's records over HTTP: first they match; then a planted difference of each kind is found.
 */
class ReconcileTest {
    @TempDir
    Path dir;

    @Test
    void findsAPlantedDifferenceOfEachKind() throws Exception {
        try (BankRigAccess rig = BankRigAccess.start(dir)) {
            com.linecorp.armeria.server.ServerBuilder builder = Server.builder().http(0);
            BankRoutes.of(rig.gateway()).accept(builder);
            Server server = builder.build();
            server.start().join();
            try {
                rig.day();
                Path statement = rig.endOfDay();
                ReconcileClient client = new ReconcileClient("http://127.0.0.1:" + server.activeLocalPort());
                Statement read = Statement.read(statement);
                List<Reconciler.Record> records = client.records("004", read.businessDate());
                assertThat(read.entries()).hasSize(5); // 3 paid withdrawals, 2 deposits
                assertThat(records).hasSize(6);        // and the refused withdrawal
                assertThat(Reconciler.compare(read, records)).as("the day matches").isEmpty();

                // Missing from the gateway: the bank lists a payment nobody ordered.
                List<Statement.Entry> entries = new ArrayList<>(read.entries());
                entries.add(new Statement.Entry('W', 999, "110-999", 12_345, "홍길동", 20261126120000L, "ghost"));
                // Extra in the gateway: a deposit the statement leaves out.
                entries.removeIf(e -> e.kind() == 'D' && e.txNo() == 1);
                // Different amount.
                Statement.Entry paid = entries.stream().filter(e -> e.kind() == 'W').findFirst().orElseThrow();
                entries.set(entries.indexOf(paid), new Statement.Entry('W', paid.txNo(), paid.account(), paid.amount() + 1, paid.name(),
                        paid.processedAt(), paid.reference()));
                Path planted = dir.resolve("planted.txt");
                new Statement(read.bank(), read.businessDate(), read.companyAccount(), read.createdAt(), entries).write(planted);

                List<Reconciler.Difference> differences = Reconciler.compare(Statement.read(planted), records);
                assertThat(differences).extracting(Reconciler.Difference::kind).containsExactlyInAnyOrder(
                        Reconciler.Kind.MISSING, Reconciler.Kind.EXTRA, Reconciler.Kind.AMOUNT);
                assertThat(differences).anySatisfy(d -> assertThat(d.toString()).contains("MISSING").contains("000000000999"));
                assertThat(differences).anySatisfy(d -> assertThat(d.toString()).contains("EXTRA").contains("deposit"));
                assertThat(differences).anySatisfy(d -> assertThat(d.toString()).contains("AMOUNT").contains(Long.toString(paid.amount() + 1)));

                // The ledger side: a record that says more was paid than the ledger took.
                List<Reconciler.Record> tampered = new ArrayList<>(records);
                Reconciler.Record completed = tampered.stream().filter(r -> r.kind() == 'W' && r.status().equals("COMPLETED")).findFirst()
                        .orElseThrow();
                tampered.set(tampered.indexOf(completed), new Reconciler.Record('W', completed.txNo(), completed.id(), completed.status(),
                        completed.amount(), completed.bankAccount(), completed.account(), "OPEN", 0L));
                assertThat(Reconciler.compare(read, tampered)).singleElement().satisfies(d -> {
                    assertThat(d.kind()).isEqualTo(Reconciler.Kind.MISSING);
                    assertThat(d.where()).isEqualTo("ledger");
                });
            } finally {
                server.stop().join();
            }
        }
    }

    @Test
    void aStatementThatIsNotOneIsRefused(@TempDir Path other) throws Exception {
        Path file = other.resolve("garbage.txt");
        Files.writeString(file, "hello\n", StandardCharsets.US_ASCII);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Statement.read(file)).hasMessageContaining("records");
    }
}
