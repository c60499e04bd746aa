package jango.engine.port;

/**
 * Nothing was applied and the caller may retry with the same id: the shard halted (disk,
 * database or broker failed past its retries) or the ledger is busy or stopping.
 */
public final class LedgerUnavailableException extends RuntimeException {
    public enum Code { SHARD_HALTED, UNAVAILABLE }

    private final Code code;
    private final int retryAfterSeconds;

    public LedgerUnavailableException(Code code, String message, int retryAfterSeconds) {
        super(message);
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Code code() {
        return code;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
