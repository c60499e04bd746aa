package jango.engine.port;

/** The log position and the SHA-256 of the engine state there. */
public record StateSummary(long seq, String stateHash) {
}
