package jango.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable big-endian byte buffer for the log and snapshot codecs; reusable after {@link #reset()}.
 *
 * <p>Numbers go in through byte-array views ({@link MethodHandles#byteArrayViewVarHandle}): one
 * bounds check and one store where writing byte by byte took eight of each. Measured alone, within
 * the noise of the engine's benchmark (docs/performance.md, fourteenth session); kept because it is
 * no slower and says what it does. What did count is {@link #writeName}: ids, owners and assets are
 * ASCII by their shape, and checking each character again was most of the gain measured there.
 */
public final class ByteWriter {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[] bytes;
    private int size;

    public ByteWriter(int initialCapacity) {
        bytes = new byte[Math.max(16, initialCapacity)];
    }

    public void reset() {
        size = 0;
    }

    /** Drops what was written after {@code size} bytes (a writer that went past a limit takes back its last part). */
    public void truncate(int size) {
        if (size < 0 || size > this.size) {
            throw new IllegalArgumentException("size: " + size + " (expected: 0.." + this.size + ")");
        }
        this.size = size;
    }

    public int size() {
        return size;
    }

    /** The backing array; valid from 0 to {@link #size()}. */
    public byte[] array() {
        return bytes;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }

    public void writeByte(int value) {
        ensure(1);
        bytes[size++] = (byte) value;
    }

    public void writeInt(int value) {
        ensure(4);
        INT.set(bytes, size, value);
        size += 4;
    }

    public void writeShort(int value) {
        ensure(2);
        SHORT.set(bytes, size, (short) value);
        size += 2;
    }

    public void writeLong(long value) {
        ensure(8);
        LONG.set(bytes, size, value);
        size += 8;
    }

    public void writeInt128(Int128 value) {
        writeLong(value.hi());
        writeLong(value.lo());
    }

    public void writeBytes(byte[] source, int offset, int length) {
        ensure(length);
        System.arraycopy(source, offset, bytes, size, length);
        size += length;
    }

    /** A string, or null, as a length (-1 for null) and UTF-8 bytes. */
    public void writeString(String value) {
        if (value == null) {
            writeInt(-1);
            return;
        }
        int length = value.length();
        if (isAscii(value, length)) {
            writeAscii(value, length);
            return;
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        writeInt(utf8.length);
        writeBytes(utf8, 0, utf8.length);
    }

    /**
     * A name checked against a {@link Names} shape (an owner, asset, command or hold id), which are
     * ASCII by construction: written without looking at each character again.
     */
    public void writeName(String name) {
        if (name == null) {
            writeInt(-1);
            return;
        }
        writeAscii(name, name.length());
    }

    /**
     * Every name and id the API allows is ASCII, where UTF-8 is one byte per char: those are copied
     * with no byte[] per string ({@code getBytes(int, int, byte[], int)} copies a compact string's
     * bytes in one go, exactly right for ASCII).
     */
    @SuppressWarnings("deprecation")
    private void writeAscii(String value, int length) {
        ensure(4 + length);
        putInt(size, length);
        value.getBytes(0, length, bytes, size + 4);
        size += 4 + length;
    }

    private static boolean isAscii(String value, int length) {
        for (int i = 0; i < length; i++) {
            if (value.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Overwrites 8 bytes at {@code position} (for values known only after writing). */
    public void putLong(int position, long value) {
        LONG.set(bytes, position, value);
    }

    /** Overwrites 4 bytes at {@code position} (for lengths known only after writing). */
    public void putInt(int position, int value) {
        INT.set(bytes, position, value);
    }
}
