package jango.server;

/** A request that is refused at the edge with 400 MALFORMED; the message names the field. */
final class Malformed extends RuntimeException {
    Malformed(String message) {
        super(message, null, false, false);
    }
}
