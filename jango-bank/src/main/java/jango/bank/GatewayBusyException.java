package jango.bank;

/** The gateway cannot take more work right now; nothing was recorded. Answered with 503 and Retry-After. */
public final class GatewayBusyException extends RuntimeException {
    public GatewayBusyException(String message) {
        super(message, null, false, false);
    }
}
