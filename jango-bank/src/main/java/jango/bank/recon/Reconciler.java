package jango.bank.recon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Compares a bank's statement with the gateway's records of that bank and date, and each record
 * with the ledger. Three kinds of difference, each with the side it was found on:
 * <ul>
 *   <li>MISSING: the bank moved money (a statement line) that the gateway does not count as done,
 *       or the gateway counts as done what the ledger does not show;</li>
 *   <li>EXTRA: the gateway counts as done (paid, credited) what the statement does not list;</li>
 *   <li>AMOUNT: both have it, with different amounts.</li>
 * </ul>
 * A refused withdrawal is in neither the statement nor, as money, the ledger: it must show a
 * released hold.
 */
public final class Reconciler {

    /** A gateway record with the ledger's view (see the records admin call); amounts in minor units, ledger amount null if unread. */
    public record Record(char kind, long txNo, String id, String status, long amount, String bankAccount, String account,
                         String ledgerState, Long ledgerAmount) {
        boolean done() {
            return kind == 'D' || status.equals("COMPLETED") || status.equals("CONFIRMED");
        }
    }

    public enum Kind { MISSING, EXTRA, AMOUNT }

    public record Difference(Kind kind, String where, char entryKind, long txNo, String detail) {
        @Override
        public String toString() {
            return String.format("%-7s %-16s %-10s %012d  %s", kind, where, entryKind == 'W' ? "withdrawal" : "deposit", txNo, detail);
        }
    }

    private Reconciler() {
    }

    public static List<Difference> compare(Statement statement, List<Record> records) {
        List<Difference> differences = new ArrayList<>();
        Map<String, Record> byKey = new HashMap<>();
        for (Record record : records) {
            byKey.put(key(record.kind(), record.txNo()), record);
        }
        Set<String> listed = new HashSet<>();
        for (Statement.Entry entry : statement.entries()) {
            String key = key(entry.kind(), entry.txNo());
            if (!listed.add(key)) {
                differences.add(new Difference(Kind.EXTRA, "statement", entry.kind(), entry.txNo(), "listed twice in the statement"));
                continue;
            }
            Record record = byKey.get(key);
            if (record == null || !record.done()) {
                differences.add(new Difference(Kind.MISSING, "gateway", entry.kind(), entry.txNo(), "the statement has "
                        + entry.amount() + (entry.kind() == 'W' ? " paid to " : " received on ") + entry.account()
                        + "; the gateway " + (record == null ? "has no record of it" : "recorded " + record.status())));
            } else if (record.amount() != entry.amount()) {
                differences.add(new Difference(Kind.AMOUNT, "gateway", entry.kind(), entry.txNo(), "the statement has " + entry.amount()
                        + ", the gateway " + record.amount() + " (" + record.id() + ")"));
            }
        }
        for (Record record : records) {
            if (record.done() && !listed.contains(key(record.kind(), record.txNo()))) {
                differences.add(new Difference(Kind.EXTRA, "gateway", record.kind(), record.txNo(), "the gateway recorded " + record.status()
                        + " " + record.amount() + " (" + record.id() + "); the statement does not list it"));
            }
            Difference ledger = ledger(record);
            if (ledger != null) {
                differences.add(ledger);
            }
        }
        return differences;
    }

    /** What the ledger must show for a record: a settled hold for a paid withdrawal, a released one for a refused, an applied credit for a deposit. */
    private static Difference ledger(Record record) {
        if (record.kind() == 'D') {
            if (!record.ledgerState().equals("APPLIED")) {
                return new Difference(Kind.MISSING, "ledger", 'D', record.txNo(), "deposit " + record.id() + " credited " + record.amount()
                        + " to " + record.account() + " in the gateway; the ledger's command is " + record.ledgerState());
            }
            if (!Objects.equals(record.ledgerAmount(), record.amount())) {
                return new Difference(Kind.AMOUNT, "ledger", 'D', record.txNo(), "the gateway has " + record.amount() + ", the ledger credited "
                        + (record.ledgerAmount() == null ? "an amount it could not find in " + record.account() + "'s history" : record.ledgerAmount()));
            }
            return null;
        }
        String expected = record.done() ? "SETTLED" : "RELEASED";
        if (!record.ledgerState().equals(expected)) {
            return new Difference(record.done() ? Kind.MISSING : Kind.EXTRA, "ledger", 'W', record.txNo(), "withdrawal " + record.id() + " is "
                    + record.status() + " in the gateway; its hold in the ledger is " + record.ledgerState() + " (expected: " + expected + ")");
        }
        long expectedTaken = record.done() ? record.amount() : 0;
        if (!Objects.equals(record.ledgerAmount(), expectedTaken)) {
            return new Difference(Kind.AMOUNT, "ledger", 'W', record.txNo(), "withdrawal " + record.id() + ": the gateway has "
                    + expectedTaken + " paid out, the ledger took " + record.ledgerAmount() + " from the hold");
        }
        return null;
    }

    private static String key(char kind, long txNo) {
        return kind + "/" + txNo;
    }
}
