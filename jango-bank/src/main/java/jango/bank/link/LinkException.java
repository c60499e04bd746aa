package jango.bank.link;

/**
 * A request got no answer from the line. {@link #maybeSent()} is false only when the telegram was
 * never written (no connection): then the bank certainly did not get it. When it is true the
 * bank may have acted on it, and only a result inquiry can tell.
 */
public final class LinkException extends RuntimeException {
    private final boolean maybeSent;

    public LinkException(String message, boolean maybeSent) {
        super(message, null, false, false);
        this.maybeSent = maybeSent;
    }

    public boolean maybeSent() {
        return maybeSent;
    }
}
