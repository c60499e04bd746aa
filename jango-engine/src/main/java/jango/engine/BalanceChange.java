package jango.engine;

/**
 * Event: an APPLIED command (or an expiry) changed one account's balance of one asset. Feeds the
 * history index and read models; {@code commandId} is null for expiries.
 */
public record BalanceChange(long seq, long atMicros, String commandId, String type, String account, String asset,
                            Int128 available, Int128 held, Int128 availableDelta, Int128 heldDelta, long revision) {

    /**
     * Appends the change's fields in their order, with no format byte: the body that the change-events
     * topic ({@code ChangeEvent}) and the channel side's feed log each put after their own header.
     */
    public void write(ByteWriter out) {
        out.writeLong(seq);
        out.writeLong(atMicros);
        out.writeString(commandId);
        out.writeString(type);
        out.writeString(account);
        out.writeString(asset);
        out.writeInt128(available);
        out.writeInt128(held);
        out.writeInt128(availableDelta);
        out.writeInt128(heldDelta);
        out.writeLong(revision);
    }

    /** Reads what {@link #write} wrote. */
    public static BalanceChange read(ByteReader in) {
        long seq = in.readLong();
        long atMicros = in.readLong();
        String commandId = in.readString();
        return new BalanceChange(seq, atMicros, commandId, in.readString(), in.readString(), in.readString(),
                in.readInt128(), in.readInt128(), in.readInt128(), in.readInt128(), in.readLong());
    }
}
