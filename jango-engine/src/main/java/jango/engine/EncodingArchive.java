package jango.engine;

/**
 * An archive that encodes every new result (with its fingerprint) and closed hold into one reused
 * buffer, as the embedded archive does for its index, and keeps nothing: lookups find nothing, so
 * the engine must be given new ids (it asks only on its filter's false positives). For the engine's
 * benchmarks and its memory and allocation tests, which measure the engine and the encoding it pays
 * for, not a store's I/O.
 *
 * <p>The buffer starts over at each {@link #startBatch()}, and by itself once it is half full, so it
 * never grows past the size it is given.
 */
public final class EncodingArchive implements Archive {
    private final ByteWriter records;
    private final int startOverAt;

    public EncodingArchive(int bytes) {
        this.records = new ByteWriter(bytes);
        this.startOverAt = bytes / 2;
    }

    /** A batch's start: what the last batch encoded is forgotten (the service would hand it to its index). */
    public void startBatch() {
        records.reset();
    }

    @Override
    public StoredResult result(String commandId, long beforeSeq) {
        return null;
    }

    @Override
    public HoldView hold(String holdId, long beforeSeq) {
        return null;
    }

    @Override
    public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
        startOverWhenHalfFull();
        records.writeName(applied.commandId());
        records.writeLong(applied.seq());
        records.writeInt(length);
        records.writeBytes(fingerprint, offset, length);
        ResultCodec.write(applied, records);
    }

    @Override
    public void holdClosed(Applied applied, int index) {
        startOverWhenHalfFull();
        records.writeName(applied.holdId(index));
        records.writeLong(applied.seq());
        records.writeName(applied.holdOwner(index));
        records.writeName(applied.holdAsset(index));
        records.writeLong(applied.holdRemainingHi(index));
        records.writeLong(applied.holdRemainingLo(index));
        records.writeByte(applied.holdState(index).ordinal());
    }

    private void startOverWhenHalfFull() {
        if (records.size() > startOverAt) {
            records.reset();
        }
    }
}
