package jango.bank.telegram;

import static jango.bank.telegram.Field.an;
import static jango.bank.telegram.Field.h;
import static jango.bank.telegram.Field.n;

/**
 * Every telegram the gateway and a bank exchange, each with its body layout declared once here.
 * The frame is a 4-digit length header (the bytes after it), then {@link #HEADER}, then the body.
 * A request's answer has the code + 10 ({@code 0200} -> {@code 0210}) and the same transaction
 * number; the header's {@code code} is {@code "0000"} or a bank answer code (see {@link AnswerCode}),
 * and spaces in a request.
 */
public enum MessageType {
    /** Gateway -> bank: pay {@code amount} from our account to {@code toAccount}. */
    TRANSFER_REQUEST("0200", Layout.of("transferRequest",
            an("fromAccount", 20), an("toAccount", 20), n("amount", 13), h("recipientName", 20), an("reference", 40))),
    /** Bank -> gateway: the transfer's result in the header code; the bank's name for the account. */
    TRANSFER_ANSWER("0210", Layout.of("transferAnswer",
            an("toAccount", 20), n("amount", 13), h("recipientName", 20), n("processedAt", 14))),
    /** Gateway -> bank: what became of transfer {@code originalTxNo}? Never moves money. */
    INQUIRY_REQUEST("0600", Layout.of("inquiryRequest", n("originalTxNo", 12))),
    /**
     * Bank -> gateway: header code {@code 0000} when the bank could look; {@code originalCode} is
     * the transfer's own result, or {@code 0904} when the bank never received it.
     */
    INQUIRY_ANSWER("0610", Layout.of("inquiryAnswer",
            n("originalTxNo", 12), an("originalCode", 4), n("amount", 13), n("originalDate", 8), n("processedAt", 14))),
    /** Bank -> gateway: money arrived on one of our virtual accounts (header txNo = the bank's own number). */
    DEPOSIT_NOTICE("0300", Layout.of("depositNotice",
            an("virtualAccount", 20), n("amount", 13), h("depositorName", 20), n("processedAt", 14))),
    /** Gateway -> bank: the deposit is credited (durably); the bank stops resending the notice. */
    DEPOSIT_ACK("0310", Layout.of("depositAck", an("virtualAccount", 20), n("amount", 13))),
    /** Either side: is the line alive? */
    ECHO_REQUEST("0800", Layout.of("echoRequest")),
    ECHO_ANSWER("0810", Layout.of("echoAnswer"));

    /** Common to every telegram, right after the length header. */
    public static final Layout HEADER = Header.LAYOUT;

    /** Digits of the length header. */
    public static final int LENGTH_DIGITS = 4;

    private final String code;
    private final Layout body;
    private final Layout whole;

    MessageType(String code, Layout body) {
        this.code = code;
        this.body = body;
        this.whole = Header.LAYOUT.then(code, body);
    }

    public String code() {
        return code;
    }

    public Layout body() {
        return body;
    }

    /** Header and body: everything after the length header. */
    public Layout layout() {
        return whole;
    }

    public boolean isAnswer() {
        return code.charAt(2) == '1';
    }

    /** The answer to this request type. */
    public MessageType answer() {
        if (isAnswer()) {
            throw new IllegalStateException(this + " is an answer");
        }
        return byCode(code.substring(0, 2) + "1" + code.charAt(3));
    }

    public static MessageType byCode(String code) {
        for (MessageType type : values()) {
            if (type.code.equals(code)) {
                return type;
            }
        }
        throw new TelegramException("type: \"" + code + "\" is not a known telegram type");
    }

    /** Holds the header layout: an enum's constructor cannot read the enum's own static fields. */
    private static final class Header {
        static final Layout LAYOUT = Layout.of("header",
                n("type", 4), n("bank", 3), n("txNo", 12), n("businessDate", 8), n("sentAt", 14), an("code", 4));
    }
}
