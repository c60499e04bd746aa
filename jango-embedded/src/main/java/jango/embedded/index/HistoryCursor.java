package jango.embedded.index;

import jango.engine.port.HistoryCursors;

/**
 * The opaque {@code next} of a history page: the port's envelope ({@link HistoryCursors}) around
 * the position of the last returned entry, which is the part of its key after the query's prefix.
 * The next page starts right after that key, so entries appended meanwhile (all newer, so sorted
 * before it) never shift a later page.
 */
final class HistoryCursor {
    private static final int REVISION_BYTES = 8;
    private static final int MIN_ALL_ASSETS_POSITION = 8 + 1 + 1 + REVISION_BYTES;

    private HistoryCursor() {
    }

    static String encode(String owner, String asset, byte[] lastKey, int prefixLength) {
        return HistoryCursors.seal(owner, asset, lastKey, prefixLength, lastKey.length - prefixLength);
    }

    /** The position (key suffix after the query prefix) of the last entry of the previous page. */
    static byte[] decode(String cursor, String owner, String asset) {
        byte[] position = HistoryCursors.open(cursor, owner, asset);
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
}
