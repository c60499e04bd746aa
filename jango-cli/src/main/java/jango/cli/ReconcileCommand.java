package jango.cli;

import jango.bank.recon.ReconcileClient;
import jango.bank.recon.Reconciler;
import jango.bank.recon.Statement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = {"Compare a bank's end-of-day statement with the bank gateway's records of that bank and business date,",
                "and each record with the ledger (a running Jango with --banks, at --url). Lists every difference:",
                "MISSING, EXTRA or AMOUNT, and where (gateway, ledger, statement).",
                "Exit code 0 = no difference, 1 = differences, 2 = the statement or the server could not be read."})
final class ReconcileCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "the statement (fixed-length records, see docs/banking.md)")
    Path file;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "the running Jango (default: ${DEFAULT-VALUE})")
    String url;

    @Override
    public Integer call() {
        Statement statement;
        List<Reconciler.Record> records;
        try {
            statement = Statement.read(file);
            records = new ReconcileClient(url).records(statement.bank(), statement.businessDate());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        } catch (Exception e) {
            System.out.println("reconcile: ERROR " + e.getMessage());
            return 2;
        }
        List<Reconciler.Difference> differences = Reconciler.compare(statement, records);
        for (Reconciler.Difference difference : differences) {
            System.out.println("reconcile: " + difference);
        }
        System.out.println("reconcile: bank " + statement.bank() + " business date " + statement.businessDate() + ": statement "
                + statement.entries().size() + " entries, gateway " + records.size() + " records, " + differences.size()
                + (differences.size() == 1 ? " difference" : " differences"));
        System.out.println(differences.isEmpty() ? "reconcile: MATCH" : "reconcile: DIFFERENCES");
        return differences.isEmpty() ? 0 : 1;
    }
}
