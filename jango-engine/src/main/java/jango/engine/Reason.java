package jango.engine;

/** Why a command was REJECTED (shared/API.md). A rejection is a final, stored result. */
public enum Reason {
    INSUFFICIENT_FUNDS,
    UNKNOWN_ASSET,
    SCALE_EXCEEDED,
    UNKNOWN_HOLD,
    HOLD_EXISTS,
    HOLD_MISMATCH,
    AMOUNT_OVERFLOW,
    SAME_ACCOUNT,
    SYSTEM_ACCOUNT
}
