package jango.engine;

/** A hold at a moment; {@code expiresAtMicros} is {@link Command#NO_EXPIRY} when it never expires. */
public record HoldView(String holdId, String account, String asset, Int128 amount, Int128 remaining,
                       long expiresAtMicros, HoldState state) {
}
