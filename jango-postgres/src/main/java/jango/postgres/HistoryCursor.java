package jango.postgres;

import jango.engine.port.HistoryCursors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The opaque {@code next} of a history page: the port's envelope ({@link HistoryCursors}, as the
 * embedded ledger uses) around the sort key of the last returned entry. The next page starts right
 * after that key, so entries committed meanwhile never make a page skip or repeat one.
 */
final class HistoryCursor {
    private static final int POSITION_BYTES = 8 + 8 + 8 + 4;
    private static final int MAX_ASSET_BYTES = 64;

    /** The sort key of one history row; {@code asset} is null in a one-asset query's cursor. */
    record Position(long atMicros, long seq, long revision, int shard, String asset) {
    }

    private HistoryCursor() {
    }

    static String encode(String owner, String asset, Position last) {
        byte[] assetBytes = asset == null ? last.asset().getBytes(StandardCharsets.UTF_8) : new byte[0];
        ByteBuffer position = ByteBuffer.allocate(POSITION_BYTES + assetBytes.length);
        position.putLong(last.atMicros()).putLong(last.seq()).putLong(last.revision()).putInt(last.shard());
        position.put(assetBytes);
        return HistoryCursors.seal(owner, asset, position.array(), 0, position.capacity());
    }

    /** @throws IllegalArgumentException naming why the cursor is refused */
    static Position decode(String cursor, String owner, String asset) {
        byte[] bytes = HistoryCursors.open(cursor, owner, asset);
        int assetLength = bytes.length - POSITION_BYTES;
        boolean lengthOk = asset == null ? assetLength >= 1 && assetLength <= MAX_ASSET_BYTES : assetLength == 0;
        if (!lengthOk) {
            throw new IllegalArgumentException("cursor: damaged position");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long atMicros = buffer.getLong();
        long seq = buffer.getLong();
        long revision = buffer.getLong();
        int shard = buffer.getInt();
        String lastAsset = asset == null ? new String(bytes, POSITION_BYTES, assetLength, StandardCharsets.UTF_8) : null;
        if (seq < 0 || revision < 0 || shard < 0) {
            throw new IllegalArgumentException("cursor: damaged position");
        }
        return new Position(atMicros, seq, revision, shard, lastAsset);
    }
}
