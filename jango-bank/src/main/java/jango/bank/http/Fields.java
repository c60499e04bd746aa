package jango.bank.http;

import jango.bank.Withdrawal;
import jango.bank.telegram.Field;
import jango.bank.telegram.Layout;
import jango.bank.telegram.TelegramException;
import jango.engine.Decimal;
import jango.engine.Names;

import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** The shapes of the banking API's values, each checked with a message that names the field. */
final class Fields {
    static final Pattern WITHDRAWAL_ID = Pattern.compile("[A-Za-z0-9._:-]{1," + Withdrawal.MAX_ID_LENGTH + "}");
    static final Pattern BANK_ACCOUNT = Pattern.compile("[0-9][0-9-]{0,19}");
    static final Pattern BANK = Pattern.compile("[0-9]{3}");
    static final Pattern TX_NO = Pattern.compile("[0-9]{1,12}");
    static final Pattern DATE = Pattern.compile("[0-9]{8}");
    /** Largest amount a telegram carries: 13 digits of minor units. */
    static final long MAX_AMOUNT_MINOR = 9_999_999_999_999L;
    static final int MAX_NAME_BYTES = 20;

    private Fields() {
    }

    static String matching(String field, String value, Pattern pattern) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(String.valueOf(value)) + "\" does not match " + pattern.pattern());
        }
        return value;
    }

    /** A user account: the ledger's owner shape, and not a system account. */
    static String userAccount(String field, String value) {
        if (value == null || !Names.OWNER.matches(value)) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(String.valueOf(value)) + "\" does not match " + Names.OWNER.pattern());
        }
        if (Names.isSystem(value)) {
            throw new Body.Malformed(field + ": " + value + " is a system account (expected: a user account)");
        }
        return value;
    }

    /** A positive decimal string in minor units at {@code scale}, within the telegram's 13 digits. */
    static long amountMinor(String field, String text, int scale, String asset) {
        Decimal amount;
        try {
            amount = Decimal.parse(text, false);
        } catch (IllegalArgumentException e) {
            throw new Body.Malformed(field + ": " + e.getMessage());
        }
        if (amount.fractionDigits() > scale) {
            throw new Body.Malformed(field + ": \"" + text + "\" has " + amount.fractionDigits() + " fraction digits (expected: at most "
                    + scale + " for " + asset + ")");
        }
        if (amount.overflowed() || amount.toMinor(scale).compareTo(jango.engine.Int128.of(MAX_AMOUNT_MINOR)) > 0) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(text) + "\" is more than a bank transfer carries ("
                    + new java.math.BigDecimal(BigInteger.valueOf(MAX_AMOUNT_MINOR), scale).toPlainString() + ")");
        }
        return amount.toMinor(scale).toBigInteger().longValueExact();
    }

    /** A name as it goes in a telegram: 1 to 20 bytes of EUC-KR (10 Hangul syllables). */
    static String name(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new Body.Malformed(field + ": is empty (expected: 1.." + MAX_NAME_BYTES + " bytes in EUC-KR)");
        }
        if (!value.equals(value.strip())) {
            throw new Body.Malformed(field + ": has leading or trailing spaces");
        }
        byte[] bytes;
        try {
            bytes = Layout.textBytes(Field.Type.H, value);
        } catch (TelegramException e) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(value) + "\" cannot be written in EUC-KR (Korean and ASCII only)");
        }
        if (bytes.length > MAX_NAME_BYTES) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(value) + "\" is " + bytes.length + " bytes in EUC-KR (expected: at most "
                    + MAX_NAME_BYTES + ", i.e. 10 Hangul syllables)");
        }
        return value;
    }

    static Instant instant(String field, String value) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new Body.Malformed(field + ": \"" + Body.abbreviate(value) + "\" is not an RFC 3339 time (e.g. 2026-11-26T23:30:00+09:00)");
        }
    }

    static String amountText(long minor, int scale) {
        return new java.math.BigDecimal(BigInteger.valueOf(minor), scale).stripTrailingZeros().toPlainString();
    }
}
