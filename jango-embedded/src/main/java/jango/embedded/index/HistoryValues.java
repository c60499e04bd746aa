package jango.embedded.index;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import jango.engine.port.HistoryEntry;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The value stored under both keys of a change: varint seq, zigzag varint atMicros, commandId
 * (varint length + 1, 0 for none), type (varint length), one byte of "wide" flags, then the four
 * amounts available, held, availableDelta, heldDelta. An amount that fits a long (almost all of
 * them) is a zigzag varint; a wide one is hi:lo, 16 bytes. Asset and revision live in the key.
 */
final class HistoryValues {
    static final int MAX_COMMAND_ID_BYTES = 1024;
    static final int MAX_TYPE_BYTES = 255;
    static final int MAX_VALUE_BYTES = 10 + 10 + 5 + MAX_COMMAND_ID_BYTES + 5 + MAX_TYPE_BYTES + 1 + 4 * 16;

    private HistoryValues() {
    }

    static void check(BalanceChange change) {
        if (change.commandId() != null && Utf8.length(change.commandId()) > MAX_COMMAND_ID_BYTES) {
            throw new IllegalArgumentException("commandId: longer than " + MAX_COMMAND_ID_BYTES + " UTF-8 bytes");
        }
        if (change.type() == null || Utf8.length(change.type()) > MAX_TYPE_BYTES) {
            throw new IllegalArgumentException("type: " + change.type() + " (expected: 0.." + MAX_TYPE_BYTES + " UTF-8 bytes)");
        }
        if (change.available() == null || change.held() == null
                || change.availableDelta() == null || change.heldDelta() == null) {
            throw new IllegalArgumentException("amounts: null in change at seq " + change.seq());
        }
    }

    static void put(ByteBuffer value, BalanceChange change) {
        putVarLong(value, change.seq());
        putVarLong(value, zigzag(change.atMicros()));
        if (change.commandId() == null) {
            putVarLong(value, 0);
        } else {
            putVarLong(value, Utf8.length(change.commandId()) + 1L);
            Utf8.put(value, change.commandId());
        }
        putVarLong(value, Utf8.length(change.type()));
        Utf8.put(value, change.type());
        int wideFlags = (isWide(change.available()) ? 1 : 0)
                | (isWide(change.held()) ? 2 : 0)
                | (isWide(change.availableDelta()) ? 4 : 0)
                | (isWide(change.heldDelta()) ? 8 : 0);
        value.put((byte) wideFlags);
        putAmount(value, change.available());
        putAmount(value, change.held());
        putAmount(value, change.availableDelta());
        putAmount(value, change.heldDelta());
    }

    static HistoryEntry read(byte[] value, String asset, long revision) {
        Reader reader = new Reader(value);
        long seq = reader.varLong();
        long atMicros = unzigzag(reader.varLong());
        int commandIdLength = (int) reader.varLong();
        String commandId = commandIdLength == 0 ? null : reader.utf8(commandIdLength - 1);
        String type = reader.utf8((int) reader.varLong());
        int wideFlags = reader.bytes[reader.position++];
        Int128 available = reader.amount((wideFlags & 1) != 0);
        Int128 held = reader.amount((wideFlags & 2) != 0);
        Int128 availableDelta = reader.amount((wideFlags & 4) != 0);
        Int128 heldDelta = reader.amount((wideFlags & 8) != 0);
        return new HistoryEntry(seq, atMicros, commandId, type, asset,
                available, held, availableDelta, heldDelta, revision);
    }

    private static boolean isWide(Int128 amount) {
        return amount.hi() != (amount.lo() >> 63);
    }

    private static void putAmount(ByteBuffer value, Int128 amount) {
        if (isWide(amount)) {
            value.putLong(amount.hi()).putLong(amount.lo());
        } else {
            putVarLong(value, zigzag(amount.lo()));
        }
    }

    private static void putVarLong(ByteBuffer value, long unsigned) {
        while ((unsigned & ~0x7FL) != 0) {
            value.put((byte) ((unsigned & 0x7F) | 0x80));
            unsigned >>>= 7;
        }
        value.put((byte) unsigned);
    }

    private static long zigzag(long signed) {
        return (signed << 1) ^ (signed >> 63);
    }

    private static long unzigzag(long unsigned) {
        return (unsigned >>> 1) ^ -(unsigned & 1);
    }

    private static final class Reader {
        private final byte[] bytes;
        private int position;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        long varLong() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte next = bytes[position++];
                result |= (long) (next & 0x7F) << shift;
                if (next >= 0) {
                    return result;
                }
            }
            throw new IllegalStateException("history value: varint longer than 10 bytes");
        }

        String utf8(int length) {
            String text = new String(bytes, position, length, StandardCharsets.UTF_8);
            position += length;
            return text;
        }

        Int128 amount(boolean wide) {
            if (!wide) {
                return Int128.of(unzigzag(varLong()));
            }
            long hi = HistoryKeys.getLong(bytes, position);
            long lo = HistoryKeys.getLong(bytes, position + 8);
            position += 16;
            return Int128.of(hi, lo);
        }
    }
}
