package jango.engine;

/** One posting of a transfer: {@code from -> to}, debiting {@code holdId} instead of available when set. */
public record Leg(String from, String to, String asset, Decimal amount, String holdId) {
    public Leg {
        Names.check(Names.OWNER, from, "from");
        Names.check(Names.OWNER, to, "to");
        Names.check(Names.ASSET, asset, "asset");
        if (amount == null || amount.signum() <= 0) {
            throw new IllegalArgumentException("amount: must be positive");
        }
        if (holdId != null) {
            Names.check(Names.ID, holdId, "hold");
        }
    }
}
