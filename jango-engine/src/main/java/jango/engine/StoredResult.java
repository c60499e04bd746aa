package jango.engine;

import java.util.Arrays;

/** A stored result and the canonical encoding of the command that made it (its fingerprint, for ID_CONFLICT). */
public record StoredResult(byte[] fingerprint, Result result) {
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
