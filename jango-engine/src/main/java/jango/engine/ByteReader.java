package jango.engine;

import java.nio.charset.StandardCharsets;

/** Reads what {@link ByteWriter} wrote; any read past the end is a corrupt record. */
public final class ByteReader {
    /** Longest string a codec accepts; a longer length is corruption, not a big allocation. */
    private static final int MAX_STRING_BYTES = 1 << 16;

    private final byte[] bytes;
    private int position;
    private final int end;

    public ByteReader(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.position = offset;
        this.end = offset + length;
    }

    public ByteReader(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    public int remaining() {
        return end - position;
    }

    /** Where the next read starts, as an index into the array read. */
    public int position() {
        return position;
    }

    /** Passes over {@code count} bytes (read elsewhere, such as a slice decoded by another reader). */
    public void skip(int count) {
        need(count);
        position += count;
    }

    private void need(int count) {
        if (count < 0 || position + count > end) {
            throw new IllegalArgumentException("record ends early: need " + count + " bytes at " + position + ", have " + (end - position));
        }
    }

    public int readByte() {
        need(1);
        return bytes[position++] & 0xFF;
    }

    public int readInt() {
        need(4);
        int value = ((bytes[position] & 0xFF) << 24) | ((bytes[position + 1] & 0xFF) << 16)
                | ((bytes[position + 2] & 0xFF) << 8) | (bytes[position + 3] & 0xFF);
        position += 4;
        return value;
    }

    public int readShort() {
        need(2);
        int value = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
        position += 2;
        return value;
    }

    public long readLong() {
        return ((long) readInt() << 32) | (readInt() & 0xFFFFFFFFL);
    }

    public Int128 readInt128() {
        long hi = readLong();
        return Int128.of(hi, readLong());
    }

    public byte[] readBytes(int length) {
        need(length);
        byte[] copy = new byte[length];
        System.arraycopy(bytes, position, copy, 0, length);
        position += length;
        return copy;
    }

    public String readString() {
        int length = readInt();
        if (length == -1) {
            return null;
        }
        if (length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string length " + length + " at " + (position - 4));
        }
        need(length);
        String value = new String(bytes, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }
}
