package jango.embedded.history;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.CRC32C;

/**
 * The opaque {@code next} of a history page: base64url of a format byte, the query kind, a CRC32C
 * of the query (owner, asset) and the position of the last returned entry, which is the part of
 * its key after the query's prefix. The next page starts right after that key, so entries
 * appended meanwhile (all newer, so sorted before it) never shift a later page.
 */
final class HistoryCursor {
    private static final byte FORMAT = 1;
    private static final byte KIND_ALL_ASSETS = 1;
    private static final byte KIND_ONE_ASSET = 2;
    private static final int HEADER_BYTES = 1 + 1 + 4;
    private static final int REVISION_BYTES = 8;
    private static final int MIN_ALL_ASSETS_POSITION = 8 + 1 + 1 + REVISION_BYTES;

    private HistoryCursor() {
    }

    static String encode(String owner, String asset, byte[] lastKey, int prefixLength) {
        int positionLength = lastKey.length - prefixLength;
        ByteBuffer cursor = ByteBuffer.allocate(HEADER_BYTES + positionLength);
        cursor.put(FORMAT).put(kind(asset)).putInt(queryCheck(owner, asset));
        cursor.put(lastKey, prefixLength, positionLength);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.array());
    }

    /** The position (key suffix after the query prefix) of the last entry of the previous page. */
    static byte[] decode(String cursor, String owner, String asset) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor: not base64url");
        }
        if (bytes.length < HEADER_BYTES || bytes[0] != FORMAT) {
            throw new IllegalArgumentException("cursor: unknown format");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes);
        if (bytes[1] != kind(asset) || header.getInt(2) != queryCheck(owner, asset)) {
            throw new IllegalArgumentException("cursor: made for another account or asset");
        }
        byte[] position = Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length);
        if (!(asset == null ? isAllAssetsPosition(position) : position.length == REVISION_BYTES)) {
            throw new IllegalArgumentException("cursor: damaged position");
        }
        return position;
    }

    /** ~seq, a non-empty asset without 0x00, 0x00, ~revision. */
    private static boolean isAllAssetsPosition(byte[] position) {
        int assetEnd = position.length - REVISION_BYTES - 1;
        if (position.length < MIN_ALL_ASSETS_POSITION || position[assetEnd] != HistoryKeys.ASSET_END) {
            return false;
        }
        for (int i = 8; i < assetEnd; i++) {
            if (position[i] == HistoryKeys.ASSET_END) {
                return false;
            }
        }
        return true;
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
