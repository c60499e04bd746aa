package jango.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32C;

/**
 * The opaque {@code next} of a history page, as the embedded ledger makes it: base64url of a format
 * byte, the query kind, a CRC32C of the query (owner, asset) and the sort key of the last returned
 * entry. The next page starts right after that key, so entries committed meanwhile never make a
 * page skip or repeat one.
 */
final class HistoryCursor {
    private static final byte FORMAT = 1;
    private static final byte KIND_ALL_ASSETS = 1;
    private static final byte KIND_ONE_ASSET = 2;
    private static final int HEADER_BYTES = 1 + 1 + 4;
    private static final int POSITION_BYTES = 8 + 8 + 8 + 4;
    private static final int MAX_ASSET_BYTES = 64;

    /** The sort key of one history row; {@code asset} is null in a one-asset query's cursor. */
    record Position(long atMicros, long seq, long revision, int shard, String asset) {
    }

    private HistoryCursor() {
    }

    static String encode(String owner, String asset, Position last) {
        byte[] assetBytes = asset == null ? last.asset().getBytes(StandardCharsets.UTF_8) : new byte[0];
        ByteBuffer cursor = ByteBuffer.allocate(HEADER_BYTES + POSITION_BYTES + assetBytes.length);
        cursor.put(FORMAT).put(kind(asset)).putInt(queryCheck(owner, asset));
        cursor.putLong(last.atMicros()).putLong(last.seq()).putLong(last.revision()).putInt(last.shard());
        cursor.put(assetBytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.array());
    }

    /** @throws IllegalArgumentException naming why the cursor is refused */
    static Position decode(String cursor, String owner, String asset) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor: not base64url");
        }
        if (bytes.length < HEADER_BYTES || bytes[0] != FORMAT) {
            throw new IllegalArgumentException("cursor: unknown format");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (bytes[1] != kind(asset) || buffer.getInt(2) != queryCheck(owner, asset)) {
            throw new IllegalArgumentException("cursor: made for another account or asset");
        }
        int assetLength = bytes.length - HEADER_BYTES - POSITION_BYTES;
        boolean lengthOk = asset == null ? assetLength >= 1 && assetLength <= MAX_ASSET_BYTES : assetLength == 0;
        if (!lengthOk) {
            throw new IllegalArgumentException("cursor: damaged position");
        }
        buffer.position(HEADER_BYTES);
        long atMicros = buffer.getLong();
        long seq = buffer.getLong();
        long revision = buffer.getLong();
        int shard = buffer.getInt();
        String lastAsset = asset == null ? new String(bytes, HEADER_BYTES + POSITION_BYTES, assetLength, StandardCharsets.UTF_8) : null;
        if (seq < 0 || revision < 0 || shard < 0) {
            throw new IllegalArgumentException("cursor: damaged position");
        }
        return new Position(atMicros, seq, revision, shard, lastAsset);
    }

    private static byte kind(String asset) {
        return asset == null ? KIND_ALL_ASSETS : KIND_ONE_ASSET;
    }

    private static int queryCheck(String owner, String asset) {
        CRC32C crc = new CRC32C();
        crc.update(owner.getBytes(StandardCharsets.UTF_8));
        if (asset != null) {
            crc.update(0);
            crc.update(asset.getBytes(StandardCharsets.UTF_8));
        }
        return (int) crc.getValue();
    }
}
