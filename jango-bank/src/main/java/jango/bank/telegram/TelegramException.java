package jango.bank.telegram;

/** Bytes that break a layout, or a value that does not fit its field; the message names the field. */
public final class TelegramException extends RuntimeException {
    public TelegramException(String message) {
        super(message);
    }
}
