package jango.engine;

/**
 * A hold at a moment; {@code expiresAtMicros} is {@link Command#NO_EXPIRY} when it never expires.
 * {@code locked} is the part of {@code remaining} that transfers in flight between shards have
 * reserved: nobody else may release, settle or expire it until they end.
 */
public record HoldView(String holdId, String account, String asset, Int128 amount, Int128 remaining,
                       long expiresAtMicros, HoldState state, Int128 locked) {
    public HoldView {
        if (locked == null) {
            locked = Int128.ZERO;
        }
    }

    /** A hold nothing has locked. */
    public HoldView(String holdId, String account, String asset, Int128 amount, Int128 remaining, long expiresAtMicros,
                    HoldState state) {
        this(holdId, account, asset, amount, remaining, expiresAtMicros, state, Int128.ZERO);
    }
}
