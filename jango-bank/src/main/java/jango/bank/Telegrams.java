package jango.bank;

import jango.bank.telegram.MessageType;
import jango.bank.telegram.Telegram;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** The gateway's telegrams, with the header fields filled the same way everywhere. */
final class Telegrams {
    private static final ZoneId SEOUL = ZoneId.of("Asia/Seoul");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(SEOUL);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(SEOUL);

    private Telegrams() {
    }

    static long date(long millis) {
        return Long.parseLong(DATE.format(Instant.ofEpochMilli(millis)));
    }

    static long stamp(long millis) {
        return Long.parseLong(STAMP.format(Instant.ofEpochMilli(millis)));
    }

    static Telegram header(MessageType type, String bank, long txNo, long nowMillis) {
        return Telegram.of(type).with("bank", Integer.parseInt(bank)).with("txNo", txNo).with("businessDate", date(nowMillis))
                .with("sentAt", stamp(nowMillis)).with("code", "");
    }

    static Telegram transfer(Withdrawal withdrawal, String companyAccount, long nowMillis) {
        return header(MessageType.TRANSFER_REQUEST, withdrawal.bank(), withdrawal.txNo(), nowMillis)
                .with("fromAccount", companyAccount).with("toAccount", withdrawal.bankAccount())
                .with("amount", withdrawal.amountMinor()).with("recipientName", withdrawal.recipientName())
                .with("reference", withdrawal.id());
    }

    /** An inquiry has its own number: the withdrawal's, which the bank looks up, is in the body. */
    static Telegram inquiry(Withdrawal withdrawal, long nowMillis) {
        return header(MessageType.INQUIRY_REQUEST, withdrawal.bank(), withdrawal.txNo(), nowMillis)
                .with("originalTxNo", withdrawal.txNo());
    }

    static Telegram depositAck(Telegram notice, long nowMillis) {
        return header(MessageType.DEPOSIT_ACK, String.format("%03d", notice.bank()), notice.txNo(), nowMillis)
                .with("code", "0000").with("virtualAccount", notice.text("virtualAccount")).with("amount", notice.number("amount"));
    }
}
