package jango.streams.live;

/** Why the server ended a live stream; every one but CLIENT_GONE is sent to the client in the last frame. */
public enum CloseReason {
    /** More changes waited for the client than its buffer holds: it reads slower than its accounts change. */
    SLOW_CONSUMER,
    /** The client took nothing written to it for the stall timeout (it stopped reading). */
    STALLED,
    /** The stream reached its longest life; reconnecting with the position resumes it. */
    MAX_AGE,
    /** A revision was missing among the live changes; reconnecting with the position fills it from history. */
    GAP,
    /** The server is stopping. */
    SHUTDOWN,
    /** The client went away (not sent). */
    CLIENT_GONE
}
