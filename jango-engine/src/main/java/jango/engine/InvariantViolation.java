package jango.engine;

/** A law of the money model broke. Never caught to continue: the shard halts. */
public final class InvariantViolation extends RuntimeException {
    public InvariantViolation(String message) {
        super(message);
    }
}
