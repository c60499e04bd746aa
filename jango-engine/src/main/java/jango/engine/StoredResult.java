package jango.engine;

import java.util.Arrays;

/**
 * A stored result and the canonical encoding of the command that made it (its fingerprint, for
 * ID_CONFLICT). A transfer that crosses shards has a <em>pending</em> one while it is in flight
 * ({@code result} null, {@code pendingAttempt} its attempt): the id is taken with that body, and no
 * answer exists yet.
 */
public record StoredResult(byte[] fingerprint, Result result, int pendingAttempt) {
    public StoredResult(byte[] fingerprint, Result result) {
        this(fingerprint, result, 0);
    }

    public static StoredResult pending(byte[] fingerprint, int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: 1 or more)");
        }
        return new StoredResult(fingerprint, null, attempt);
    }

    public boolean pending() {
        return pendingAttempt > 0;
    }

    /** The answer to a command whose id already has this result: a replay if the body is the same, else a conflict. */
    public Outcome answer(String commandId, byte[] commandFingerprint) {
        return answer(commandId, commandFingerprint, 0, commandFingerprint.length);
    }

    public Outcome answer(String commandId, byte[] bytes, int offset, int length) {
        if (sameBody(bytes, offset, length)) {
            return Outcome.of(Outcome.Kind.REPLAYED, result);
        }
        return new Outcome(Outcome.Kind.ID_CONFLICT, result, conflictMessage(commandId), -1);
    }

    public boolean sameBody(byte[] bytes, int offset, int length) {
        return Arrays.equals(fingerprint, 0, fingerprint.length, bytes, offset, offset + length);
    }

    public static String conflictMessage(String commandId) {
        return "command id " + commandId + " was already used with another body";
    }
}
