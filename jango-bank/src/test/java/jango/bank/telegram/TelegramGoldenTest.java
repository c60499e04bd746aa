package jango.bank.telegram;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every telegram layout against bytes written out by hand (a golden frame per message type):
 * length header, numbers right-aligned and zero-padded, text left-aligned and space-padded,
 * Korean in EUC-KR ({@code {c8abb1e6b5bf}} is 홍길동). Then each golden frame is read back.
 */
class TelegramGoldenTest {
    private static final String HEADER_TIMES = "20261126" + "20261126093015";

    private static Telegram header(MessageType type, int bank, long txNo, String code) {
        return Telegram.of(type).with("bank", bank).with("txNo", txNo).with("businessDate", 20261126L)
                .with("sentAt", 20261126093015L).with("code", code);
    }

    /** ASCII text with {hex} spans for raw bytes. */
    private static byte[] golden(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '{') {
                int end = text.indexOf('}', i);
                out.writeBytes(HexFormat.of().parseHex(text.substring(i + 1, end)));
                i = end + 1;
            } else {
                out.write(c);
                i++;
            }
        }
        return out.toByteArray();
    }

    private final Set<MessageType> covered = EnumSet.noneOf(MessageType.class);

    private void check(Telegram telegram, String expected) {
        byte[] frame = telegram.frame();
        assertThat(new String(frame, StandardCharsets.ISO_8859_1)).as(telegram.type().toString())
                .isEqualTo(new String(golden(expected), StandardCharsets.ISO_8859_1));
        Telegram read = Telegram.parse(java.util.Arrays.copyOfRange(frame, 4, frame.length));
        assertThat(read.type()).isEqualTo(telegram.type());
        assertThat(read.frame()).isEqualTo(frame);
        covered.add(telegram.type());
    }

    @Test
    void everyLayoutIsByteExact() {
        check(header(MessageType.TRANSFER_REQUEST, 4, 123, "").with("fromAccount", "10000040000001")
                        .with("toAccount", "110-123-456789").with("amount", 50_000L).with("recipientName", "홍길동").with("reference", "w-1"),
                "0158" + "0200" + "004" + "000000000123" + HEADER_TIMES + "    "
                        + "10000040000001      " + "110-123-456789      " + "0000000050000" + "{c8abb1e6b5bf}              "
                        + "w-1                                     ");
        check(header(MessageType.TRANSFER_ANSWER, 4, 123, "0000").with("toAccount", "110-123-456789").with("amount", 50_000L)
                        .with("recipientName", "홍길동").with("processedAt", 20261126093016L),
                "0112" + "0210" + "004" + "000000000123" + HEADER_TIMES + "0000"
                        + "110-123-456789      " + "0000000050000" + "{c8abb1e6b5bf}              " + "20261126093016");
        check(header(MessageType.INQUIRY_REQUEST, 4, 124, "").with("originalTxNo", 123L),
                "0057" + "0600" + "004" + "000000000124" + HEADER_TIMES + "    " + "000000000123");
        check(header(MessageType.INQUIRY_ANSWER, 4, 124, "0000").with("originalTxNo", 123L).with("originalCode", "0103")
                        .with("amount", 50_000L).with("originalDate", 20261126L).with("processedAt", 20261126093016L),
                "0096" + "0610" + "004" + "000000000124" + HEADER_TIMES + "0000"
                        + "000000000123" + "0103" + "0000000050000" + "20261126" + "20261126093016");
        check(header(MessageType.DEPOSIT_NOTICE, 88, 77, "").with("virtualAccount", "27912345678901").with("amount", 1_000_000L)
                        .with("depositorName", "김철수").with("processedAt", 20261126101500L),
                "0112" + "0300" + "088" + "000000000077" + HEADER_TIMES + "    "
                        + "27912345678901      " + "0000001000000" + "{b1e8c3b6bcf6}              " + "20261126101500");
        check(header(MessageType.DEPOSIT_ACK, 88, 77, "0000").with("virtualAccount", "27912345678901").with("amount", 1_000_000L),
                "0078" + "0310" + "088" + "000000000077" + HEADER_TIMES + "0000" + "27912345678901      " + "0000001000000");
        check(header(MessageType.ECHO_REQUEST, 20, 5, ""), "0045" + "0800" + "020" + "000000000005" + HEADER_TIMES + "    ");
        check(header(MessageType.ECHO_ANSWER, 20, 5, "0000"), "0045" + "0810" + "020" + "000000000005" + HEADER_TIMES + "0000");

        assertThat(covered).as("a golden frame for every message type").containsExactlyInAnyOrder(MessageType.values());
    }

    @Test
    void readBackGivesTheValues() {
        byte[] content = golden("0300" + "088" + "000000000077" + HEADER_TIMES + "    "
                + "27912345678901      " + "0000001000000" + "{b1e8c3b6bcf6}              " + "20261126101500");
        Telegram notice = Telegram.parse(content);
        assertThat(notice.type()).isEqualTo(MessageType.DEPOSIT_NOTICE);
        assertThat(notice.bank()).isEqualTo(88);
        assertThat(notice.txNo()).isEqualTo(77);
        assertThat(notice.text("virtualAccount")).isEqualTo("27912345678901");
        assertThat(notice.number("amount")).isEqualTo(1_000_000L);
        assertThat(notice.text("depositorName")).isEqualTo("김철수");
        assertThat(notice.code()).isEmpty();
    }

    @Test
    void valuesThatDoNotFitAreRefusedNamingTheField() {
        Telegram base = header(MessageType.TRANSFER_REQUEST, 4, 1, "");
        assertThatThrownBy(() -> base.with("amount", 10_000_000_000_000L).frame()).hasMessageContaining("amount")
                .hasMessageContaining("13 digits");
        // 11 syllables = 22 EUC-KR bytes: over the 20-byte field, refused rather than cut mid-character.
        assertThatThrownBy(() -> base.with("recipientName", "가나다라마바사아자차카").frame()).hasMessageContaining("recipientName")
                .hasMessageContaining("22 bytes");
        assertThatThrownBy(() -> base.with("recipientName", "😀").frame()).hasMessageContaining("EUC-KR");
        assertThatThrownBy(() -> base.with("toAccount", "계좌").frame()).hasMessageContaining("toAccount").hasMessageContaining("ASCII");
        assertThatThrownBy(() -> base.with("amount", -1L).frame()).hasMessageContaining("amount");
        assertThatThrownBy(() -> base.with("nothing", "x")).hasMessageContaining("no such field");
    }

    @Test
    void brokenBytesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> Telegram.parse(golden("0600" + "004" + "00000000012X" + HEADER_TIMES + "    " + "000000000123")))
                .isInstanceOf(TelegramException.class).hasMessageContaining("txNo");
        assertThatThrownBy(() -> Telegram.parse(golden("0600" + "004" + "000000000124" + HEADER_TIMES + "    " + "0000000001")))
                .hasMessageContaining("bytes (expected: 57)");
        assertThatThrownBy(() -> Telegram.parse(golden("0999" + "004" + "000000000124" + HEADER_TIMES + "    ")))
                .hasMessageContaining("not a known telegram type");
        assertThatThrownBy(() -> Telegram.parse(golden("0300" + "088" + "000000000077" + HEADER_TIMES + "    "
                + "27912345678901      " + "0000001000000" + "{ff}                   " + "20261126101500")))
                .hasMessageContaining("depositorName").hasMessageContaining("EUC-KR");
        assertThatThrownBy(() -> Telegram.parseLength("00a1".getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("length");
        assertThatThrownBy(() -> Telegram.parseLength("9999".getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("9999");
    }

    @Test
    void answerCodesMapToWhatTheyMean() {
        assertThat(AnswerCode.meaningOf("0000")).isEqualTo(AnswerCode.Meaning.DONE);
        assertThat(AnswerCode.meaningOf("0101")).isEqualTo(AnswerCode.Meaning.FAILED);
        assertThat(AnswerCode.meaningOf("0103")).isEqualTo(AnswerCode.Meaning.FAILED);
        assertThat(AnswerCode.meaningOf("0901")).isEqualTo(AnswerCode.Meaning.NOT_DONE);
        assertThat(AnswerCode.meaningOf("0904")).isEqualTo(AnswerCode.Meaning.NOT_DONE);
        assertThat(AnswerCode.meaningOf("0902")).isEqualTo(AnswerCode.Meaning.UNKNOWN);
        assertThat(AnswerCode.meaningOf("9999")).as("an unknown code is never taken as an answer").isEqualTo(AnswerCode.Meaning.UNKNOWN);
        assertThat(AnswerCode.meaningOf("    ")).isEqualTo(AnswerCode.Meaning.UNKNOWN);
    }
}
