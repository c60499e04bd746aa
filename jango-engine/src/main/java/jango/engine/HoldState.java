package jango.engine;

public enum HoldState {
    OPEN,
    /** Nothing left, last by a release. */
    RELEASED,
    /** Nothing left, last by a transfer. */
    SETTLED,
    EXPIRED
}
