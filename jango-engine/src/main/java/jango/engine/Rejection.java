package jango.engine;

/** A business rule refused the command; thrown inside one command and always caught there (no stack trace). */
final class Rejection extends RuntimeException {
    final Reason reason;

    Rejection(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }
}
