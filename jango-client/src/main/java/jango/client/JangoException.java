package jango.client;

/**
 * A call the server refused, or that could not be completed, with the API's error code:
 * {@code MALFORMED}, {@code ID_CONFLICT}, {@code ASSET_CONFLICT}, {@code NOT_FOUND}, {@code TOO_LARGE},
 * {@code UNAUTHENTICATED}, {@code FORBIDDEN}, {@code UNAVAILABLE} or {@code SHARD_HALTED} (the client
 * retried with the same id until its deadline), {@code CLIENT_BUSY} (the client's own queue is
 * full) or {@code INTERNAL}. A REJECTED command is not an exception: it is a {@link CommandResult}.
 */
public class JangoException extends RuntimeException {
    private final String code;

    public JangoException(String code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** True when retrying the same id later is the way on: nothing was applied, or the outcome is not known yet. */
    public boolean retryable() {
        return code.equals("UNAVAILABLE") || code.equals("SHARD_HALTED") || code.equals("CLIENT_BUSY");
    }
}
