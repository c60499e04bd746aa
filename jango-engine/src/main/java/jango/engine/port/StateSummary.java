package jango.engine.port;

/**
 * The log position, the SHA-256 of the engine state there, and the full invariant check over that
 * state ({@code invariantViolation} null when conservation, no negative user balance and held =
 * sum of open holds all hold).
 */
public record StateSummary(long seq, String stateHash, String invariantViolation) {
    public boolean invariantsHold() {
        return invariantViolation == null;
    }
}
