package jango.bank.recon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The statement's fixed-length records, byte for byte, and the checks a reader makes. */
class StatementTest {
    private static final Statement STATEMENT = new Statement("004", 20261126, "10000040000001", 20261126235900L, List.of(
            new Statement.Entry('W', 123, "110-123-456789", 50_000, "홍길동", 20261126093016L, "w-1"),
            new Statement.Entry('D', 7, "27912345678901", 1_000_000, "김철수", 20261126101500L, "")));

    @Test
    void recordsAreByteExact(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.txt");
        STATEMENT.write(file);
        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes).hasSize(4 * 129);
        String header = "H" + "004" + "20261126" + "10000040000001      " + "20261126235900" + " ".repeat(82) + "\n";
        String withdrawal = "D" + "W" + "000000000123" + "110-123-456789      " + "0000000050000" + "\u00c8\u00ab\u00b1\u00e6\u00b5\u00bf"
                + " ".repeat(14) + "20261126093016" + "w-1" + " ".repeat(37) + " ".repeat(7) + "\n";
        String deposit = "D" + "D" + "000000000007" + "27912345678901      " + "0000001000000" + "\u00b1\u00e8\u00c3\u00b6\u00bc\u00f6"
                + " ".repeat(14) + "20261126101500" + " ".repeat(40) + " ".repeat(7) + "\n";
        String trailer = "T" + "00000002" + "00000001" + "000000000000050000" + "00000001" + "000000000001000000" + " ".repeat(67) + "\n";
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).isEqualTo(header + withdrawal + deposit + trailer);
        assertThat(HexFormat.of().formatHex(bytes, 129 + 47, 129 + 53)).isEqualTo("c8abb1e6b5bf");
    }

    @Test
    void readBackIsTheSame(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.txt");
        STATEMENT.write(file);
        assertThat(Statement.read(file)).isEqualTo(STATEMENT);
    }

    @Test
    void aTrailerThatDoesNotAddUpIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.txt");
        STATEMENT.write(file);
        byte[] bytes = Files.readAllBytes(file);
        int trailer = 3 * 129;
        bytes[trailer + 1 + 8 + 8 + 17] = '1'; // withdrawalTotal 50000 -> 50001
        Files.write(file, bytes);
        assertThatThrownBy(() -> Statement.read(file)).hasMessageContaining("withdrawalTotal is 50001 but the details add up to 50000");
    }

    @Test
    void aTruncatedFileIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.txt");
        STATEMENT.write(file);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 129));
        assertThatThrownBy(() -> Statement.read(file)).hasMessageContaining("record 3 is type 'D' (expected: 'T')");
    }
}
