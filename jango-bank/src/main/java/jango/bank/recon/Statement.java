package jango.bank.recon;

import jango.bank.telegram.Field;
import jango.bank.telegram.Layout;
import jango.bank.telegram.TelegramException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static jango.bank.telegram.Field.an;
import static jango.bank.telegram.Field.h;
import static jango.bank.telegram.Field.n;

/**
 * A bank's end-of-day statement: fixed-length records of {@link #RECORD_BYTES} bytes, each followed
 * by a line feed. One header ('H'), a detail ('D') per money movement of the business date (kind
 * 'W' = paid out on our order, 'D' = received on a virtual account), one trailer ('T') with counts
 * and totals. Each record type is declared once, as a table, like the telegrams.
 */
public record Statement(String bank, long businessDate, String companyAccount, long createdAt, List<Entry> entries) {
    public static final int RECORD_BYTES = 128;

    public static final Layout HEADER = padded("statementHeader",
            an("recordType", 1), n("bank", 3), n("businessDate", 8), an("companyAccount", 20), n("createdAt", 14));
    public static final Layout DETAIL = padded("statementDetail",
            an("recordType", 1), an("kind", 1), n("txNo", 12), an("account", 20), n("amount", 13), h("name", 20),
            n("processedAt", 14), an("reference", 40));
    public static final Layout TRAILER = padded("statementTrailer",
            an("recordType", 1), n("records", 8), n("withdrawals", 8), n("withdrawalTotal", 18), n("deposits", 8), n("depositTotal", 18));

    /** One movement: kind 'W' (our transfer out, {@code account} = the receiving account) or 'D' (a deposit, the virtual account). */
    public record Entry(char kind, long txNo, String account, long amount, String name, long processedAt, String reference) {
        public Entry {
            if (kind != 'W' && kind != 'D') {
                throw new IllegalArgumentException("kind: " + kind + " (expected: W or D)");
            }
        }
    }

    public Statement {
        entries = List.copyOf(entries);
    }

    private static Layout padded(String name, Field... fields) {
        Layout bare = Layout.of(name, fields);
        return bare.then(name, Layout.of("filler", an("filler", RECORD_BYTES - bare.length())));
    }

    /** Writes the statement to {@code file} atomically (a temporary file renamed into place). */
    public void write(Path file) throws IOException {
        List<byte[]> records = new ArrayList<>();
        records.add(HEADER.encode(Map.of("recordType", "H", "bank", bank, "businessDate", businessDate,
                "companyAccount", companyAccount, "createdAt", createdAt)));
        long withdrawals = 0;
        long withdrawalTotal = 0;
        long deposits = 0;
        long depositTotal = 0;
        for (Entry entry : entries) {
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("recordType", "D");
            values.put("kind", String.valueOf(entry.kind()));
            values.put("txNo", entry.txNo());
            values.put("account", entry.account());
            values.put("amount", entry.amount());
            values.put("name", entry.name());
            values.put("processedAt", entry.processedAt());
            values.put("reference", entry.reference());
            records.add(DETAIL.encode(values));
            if (entry.kind() == 'W') {
                withdrawals++;
                withdrawalTotal = Math.addExact(withdrawalTotal, entry.amount());
            } else {
                deposits++;
                depositTotal = Math.addExact(depositTotal, entry.amount());
            }
        }
        records.add(TRAILER.encode(Map.of("recordType", "T", "records", entries.size(), "withdrawals", withdrawals,
                "withdrawalTotal", withdrawalTotal, "deposits", deposits, "depositTotal", depositTotal)));
        byte[] out = new byte[records.size() * (RECORD_BYTES + 1)];
        int at = 0;
        for (byte[] record : records) {
            System.arraycopy(record, 0, out, at, RECORD_BYTES);
            out[at + RECORD_BYTES] = '\n';
            at += RECORD_BYTES + 1;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, out);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads and checks a statement: record lengths, one header first, one trailer last, and the
     * trailer's counts and totals equal to the details'.
     *
     * @throws IOException for a file that cannot be read or breaks the format (the message says where)
     */
    public static Statement read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int stride = RECORD_BYTES + 1;
        if (bytes.length % stride != 0 || bytes.length < 2 * stride) {
            throw new IOException(file + ": " + bytes.length + " bytes is not a whole number of " + stride
                    + "-byte records with a header and a trailer");
        }
        int count = bytes.length / stride;
        try {
            Map<String, Object> header = record(bytes, 0, HEADER, "H", file);
            List<Entry> entries = new ArrayList<>();
            long withdrawalTotal = 0;
            long depositTotal = 0;
            for (int i = 1; i < count - 1; i++) {
                Map<String, Object> detail = record(bytes, i, DETAIL, "D", file);
                String kind = (String) detail.get("kind");
                if (!kind.equals("W") && !kind.equals("D")) {
                    throw new IOException(file + ": record " + (i + 1) + ": kind \"" + kind + "\" (expected: W or D)");
                }
                Entry entry = new Entry(kind.charAt(0), (Long) detail.get("txNo"), (String) detail.get("account"),
                        (Long) detail.get("amount"), (String) detail.get("name"), (Long) detail.get("processedAt"),
                        (String) detail.get("reference"));
                if (entry.kind() == 'W') {
                    withdrawalTotal = Math.addExact(withdrawalTotal, entry.amount());
                } else {
                    depositTotal = Math.addExact(depositTotal, entry.amount());
                }
                entries.add(entry);
            }
            Map<String, Object> trailer = record(bytes, count - 1, TRAILER, "T", file);
            long withdrawals = entries.stream().filter(e -> e.kind() == 'W').count();
            check(file, "records", trailer, entries.size());
            check(file, "withdrawals", trailer, withdrawals);
            check(file, "deposits", trailer, entries.size() - withdrawals);
            check(file, "withdrawalTotal", trailer, withdrawalTotal);
            check(file, "depositTotal", trailer, depositTotal);
            return new Statement(String.format("%03d", (Long) header.get("bank")), (Long) header.get("businessDate"),
                    (String) header.get("companyAccount"), (Long) header.get("createdAt"), entries);
        } catch (TelegramException | ArithmeticException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> record(byte[] bytes, int index, Layout layout, String type, Path file) throws IOException {
        int at = index * (RECORD_BYTES + 1);
        if (bytes[at + RECORD_BYTES] != '\n') {
            throw new IOException(file + ": record " + (index + 1) + " does not end with a line feed at byte " + RECORD_BYTES);
        }
        if (bytes[at] != type.charAt(0)) {
            throw new IOException(file + ": record " + (index + 1) + " is type '" + (char) bytes[at] + "' (expected: '" + type + "')");
        }
        try {
            return layout.decode(bytes, at);
        } catch (TelegramException e) {
            throw new IOException(file + ": record " + (index + 1) + ": " + e.getMessage(), e);
        }
    }

    private static void check(Path file, String field, Map<String, Object> trailer, long actual) throws IOException {
        long declared = (Long) trailer.get(field);
        if (declared != actual) {
            throw new IOException(file + ": trailer " + field + " is " + declared + " but the details add up to " + actual);
        }
    }
}
