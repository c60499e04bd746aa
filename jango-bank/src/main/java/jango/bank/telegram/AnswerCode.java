package jango.bank.telegram;

/**
 * What a bank's answer code means for a transfer. Only {@link Meaning#DONE} and
 * {@link Meaning#FAILED} end a withdrawal; {@link Meaning#NOT_DONE} is the one answer that allows
 * another attempt (the bank says it did not process it); anything else is {@link Meaning#UNKNOWN}
 * and leads to a result inquiry, never a resend.
 */
public enum AnswerCode {
    OK("0000", Meaning.DONE, "completed"),
    CLOSED_ACCOUNT("0101", Meaning.FAILED, "the receiving account is closed"),
    NO_SUCH_ACCOUNT("0102", Meaning.FAILED, "the receiving account does not exist"),
    NAME_MISMATCH("0103", Meaning.FAILED, "the recipient name does not match the account holder"),
    LIMIT_EXCEEDED("0104", Meaning.FAILED, "the amount exceeds the account's limit"),
    INVALID_AMOUNT("0105", Meaning.FAILED, "the amount is not acceptable"),
    ACCOUNT_SUSPENDED("0106", Meaning.FAILED, "the receiving account is suspended"),
    FORMAT_ERROR("0199", Meaning.FAILED, "the bank could not read the telegram"),
    MAINTENANCE("0901", Meaning.NOT_DONE, "the bank is in a maintenance window; not processed"),
    DUPLICATE("0902", Meaning.UNKNOWN, "the bank already has this transaction number"),
    BUSY("0903", Meaning.NOT_DONE, "the bank refused the telegram (busy); not processed"),
    NOT_FOUND("0904", Meaning.NOT_DONE, "the bank has no transaction with this number");

    public enum Meaning {
        /** The money moved. */
        DONE,
        /** Definitely refused for good: the withdrawal fails and its hold is released. */
        FAILED,
        /** Definitely not processed: the same transaction number may be sent again. */
        NOT_DONE,
        /** Nobody knows yet: ask the bank with a result inquiry. */
        UNKNOWN
    }

    private final String code;
    private final Meaning meaning;
    private final String description;

    AnswerCode(String code, Meaning meaning, String description) {
        this.code = code;
        this.meaning = meaning;
        this.description = description;
    }

    public String code() {
        return code;
    }

    public String description() {
        return description;
    }

    /** The meaning of any code, known or not: an unknown code is {@link Meaning#UNKNOWN}. */
    public static Meaning meaningOf(String code) {
        AnswerCode known = byCode(code);
        return known == null ? Meaning.UNKNOWN : known.meaning;
    }

    /** The known code, or null. */
    public static AnswerCode byCode(String code) {
        for (AnswerCode answer : values()) {
            if (answer.code.equals(code)) {
                return answer;
            }
        }
        return null;
    }
}
