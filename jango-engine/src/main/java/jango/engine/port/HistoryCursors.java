package jango.engine.port;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.CRC32C;

/**
 * The envelope of every backend's opaque history cursor ({@link HistoryPage#next()}): base64url of
 * a format byte, the query kind (all assets or one), a CRC32C of the query (owner, asset), and the
 * backend's own position bytes. A cursor made for another query, or damaged, is refused here; the
 * backend only checks its position.
 */
public final class HistoryCursors {
    private static final byte FORMAT = 1;
    private static final byte KIND_ALL_ASSETS = 1;
    private static final byte KIND_ONE_ASSET = 2;
    private static final int HEADER_BYTES = 1 + 1 + 4;

    private HistoryCursors() {
    }

    /** The cursor of {@code position} for the query (owner, asset); {@code asset} null for all assets. */
    public static String seal(String owner, String asset, byte[] position, int offset, int length) {
        ByteBuffer cursor = ByteBuffer.allocate(HEADER_BYTES + length);
        cursor.put(FORMAT).put(kind(asset)).putInt(queryCheck(owner, asset));
        cursor.put(position, offset, length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.array());
    }

    /**
     * The position bytes of a cursor made by {@link #seal} for this same query.
     *
     * @throws IllegalArgumentException naming why the cursor is refused
     */
    public static byte[] open(String cursor, String owner, String asset) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor: not base64url");
        }
        if (bytes.length < HEADER_BYTES || bytes[0] != FORMAT) {
            throw new IllegalArgumentException("cursor: unknown format");
        }
        if (bytes[1] != kind(asset) || ByteBuffer.wrap(bytes).getInt(2) != queryCheck(owner, asset)) {
            throw new IllegalArgumentException("cursor: made for another account or asset");
        }
        return Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length);
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
