package jango.embedded.index;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The key layout of the history index. Every key starts with a space byte:
 *
 * <pre>
 * 0x00 name                                   meta (indexedSeq, format)
 * 0x01 ownerLen:u16 owner ~seq:u64 asset 0x00 ~revision:u64    all assets of an owner
 * 0x02 ownerLen:u16 owner asset 0x00 ~revision:u64             one asset of an owner
 * </pre>
 *
 * Both queries are therefore one prefix range scan in RocksDB's bytewise order. The owner is
 * length-prefixed so that "ab"+"c" never meets "a"+"bc"; the asset ends with 0x00 (assets never
 * contain it) rather than a length so that ties inside one seq sort by asset ascending. The
 * complements {@code ~x} of non-negative numbers written big-endian sort newest first.
 */
final class HistoryKeys {
    static final byte SPACE_META = 0x00;
    static final byte SPACE_BY_OWNER = 0x01;
    static final byte SPACE_BY_OWNER_ASSET = 0x02;
    static final byte ASSET_END = 0x00;

    static final byte[] INDEXED_SEQ_KEY = metaKey("indexedSeq");
    static final byte[] FORMAT_KEY = metaKey("format");

    static final int MAX_OWNER_BYTES = 1024;
    static final int MAX_ASSET_BYTES = 255;
    /** Room for the longest key of either space. */
    static final int MAX_KEY_BYTES = 1 + 2 + MAX_OWNER_BYTES + 8 + MAX_ASSET_BYTES + 1 + 8;

    private HistoryKeys() {
    }

    static void putByOwnerKey(ByteBuffer key, String owner, long seq, String asset, long revision) {
        key.put(SPACE_BY_OWNER);
        putOwner(key, owner);
        key.putLong(~seq);
        putAsset(key, asset);
        key.putLong(~revision);
    }

    static void putByOwnerAssetKey(ByteBuffer key, String owner, String asset, long revision) {
        key.put(SPACE_BY_OWNER_ASSET);
        putOwner(key, owner);
        putAsset(key, asset);
        key.putLong(~revision);
    }

    /** The prefix of every key of {@code owner}, all assets. */
    static byte[] byOwnerPrefix(String owner) {
        ByteBuffer key = ByteBuffer.allocate(1 + 2 + MAX_OWNER_BYTES);
        key.put(SPACE_BY_OWNER);
        putOwner(key, owner);
        return toArray(key);
    }

    /** The prefix of every key of {@code owner} and {@code asset}. */
    static byte[] byOwnerAssetPrefix(String owner, String asset) {
        ByteBuffer key = ByteBuffer.allocate(1 + 2 + MAX_OWNER_BYTES + MAX_ASSET_BYTES + 1);
        key.put(SPACE_BY_OWNER_ASSET);
        putOwner(key, owner);
        putAsset(key, asset);
        return toArray(key);
    }

    /** The seq of a by-owner key whose owner prefix is {@code prefixLength} bytes long. */
    static long byOwnerSeq(byte[] key, int prefixLength) {
        return ~getLong(key, prefixLength);
    }

    /** The asset of a by-owner key, between the seq and its 0x00 end. */
    static String byOwnerAsset(byte[] key, int prefixLength) {
        int start = prefixLength + 8;
        int end = key.length - 8 - 1;
        return new String(key, start, end - start, StandardCharsets.UTF_8);
    }

    /** The revision at the end of a key of either space. */
    static long revision(byte[] key) {
        return ~getLong(key, key.length - 8);
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static void checkOwner(String owner) {
        if (owner == null || owner.isEmpty()) {
            throw new IllegalArgumentException("owner: " + owner + " (expected: a non-empty account id)");
        }
        int length = Utf8.length(owner);
        if (length > MAX_OWNER_BYTES) {
            throw new IllegalArgumentException(
                    "owner: " + length + " UTF-8 bytes (expected: <= " + MAX_OWNER_BYTES + ")");
        }
    }

    static void checkAsset(String asset) {
        if (asset == null || asset.isEmpty() || asset.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("asset: " + asset + " (expected: a non-empty code without NUL)");
        }
        int length = Utf8.length(asset);
        if (length > MAX_ASSET_BYTES) {
            throw new IllegalArgumentException(
                    "asset: " + length + " UTF-8 bytes (expected: <= " + MAX_ASSET_BYTES + ")");
        }
    }

    static long getLong(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }

    static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    private static void putOwner(ByteBuffer key, String owner) {
        key.putShort((short) Utf8.length(owner));
        Utf8.put(key, owner);
    }

    private static void putAsset(ByteBuffer key, String asset) {
        Utf8.put(key, asset);
        key.put(ASSET_END);
    }

    private static byte[] metaKey(String name) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        byte[] key = new byte[1 + nameBytes.length];
        key[0] = SPACE_META;
        System.arraycopy(nameBytes, 0, key, 1, nameBytes.length);
        return key;
    }

    private static byte[] toArray(ByteBuffer key) {
        byte[] bytes = new byte[key.position()];
        key.flip().get(bytes);
        return bytes;
    }
}
