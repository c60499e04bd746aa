package jango.bank.store;

/** The gateway's store failed: the step is not recorded, and the caller must not act as if it were. */
public final class StoreException extends RuntimeException {
    public StoreException(String what, Throwable cause) {
        super("bank gateway store: " + what + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }
}
