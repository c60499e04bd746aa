package jango.writer;

import jango.engine.BalanceChange;
import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.engine.port.ChangeEvent;
import jango.engine.port.ShardStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A batch's balance changes as outbox rows for the change-events topic, committed in the same
 * transaction as the batch (so an event exists exactly when its change does, and is published at
 * least once, in the shard's order). One row carries many events, packed, instead of one row per
 * change: the relay sends each event as its own record (key = owner, partition = the shard). A row
 * ends only between log entries, once it passes {@link #ROW_BYTES}, so a reader of the topic sees
 * an entry's changes together.
 *
 * <pre>
 * row value:  FORMAT:u8 then, per event: owner (string), length:u32, the event (ChangeEvent)
 * </pre>
 */
public final class ChangeRows {
    /** The outbox's logical topic name for these rows. */
    public static final String TOPIC = "changes";
    /** A row is closed after the entry that takes it past this size (an entry is never split). */
    static final int ROW_BYTES = 64 * 1024;
    private static final int FORMAT = 1;

    private final ByteWriter row = new ByteWriter(ROW_BYTES + 4_096);
    private final ByteWriter event = new ByteWriter(256);

    /**
     * The rows of {@code history} (a batch's changes, in log order) of {@code shard}; {@code scales}
     * maps each asset to its scale.
     */
    public List<ShardStore.OutboxMessage> rows(int shard, List<BalanceChange> history, Map<String, Integer> scales) {
        List<ShardStore.OutboxMessage> rows = new ArrayList<>();
        row.reset();
        row.writeByte(FORMAT);
        int start = 0;
        while (start < history.size()) {
            int end = entryEnd(history, start);
            for (int i = start; i < end; i++) {
                BalanceChange change = history.get(i);
                Integer scale = scales.get(change.asset());
                if (scale == null) {
                    throw new IllegalStateException("no scale for asset " + change.asset() + " on shard " + shard);
                }
                event.reset();
                new ChangeEvent(shard, i - start, end - start, scale, change).write(event);
                row.writeString(change.account());
                row.writeInt(event.size());
                row.writeBytes(event.array(), 0, event.size());
            }
            start = end;
            if (row.size() >= ROW_BYTES || start == history.size()) {
                rows.add(new ShardStore.OutboxMessage(0, shard, TOPIC, shard, null, row.toByteArray()));
                row.reset();
                row.writeByte(FORMAT);
            }
        }
        return rows;
    }

    /** The index after the last change of the entry (same seq) that starts at {@code start}. */
    private static int entryEnd(List<BalanceChange> history, int start) {
        long seq = history.get(start).seq();
        int end = start + 1;
        while (end < history.size() && history.get(end).seq() == seq) {
            end++;
        }
        return end;
    }

    /**
     * Hands each packed event of a row to {@code each} (owner, the event's bytes), in order.
     *
     * @throws IllegalArgumentException for a value that is not a row of this format
     */
    public static void unpack(byte[] value, BiConsumer<String, byte[]> each) {
        ByteReader in = new ByteReader(value);
        int format = in.readByte();
        if (format != FORMAT) {
            throw new IllegalArgumentException("change row format " + format + " (expected: " + FORMAT + ")");
        }
        while (in.remaining() > 0) {
            String owner = in.readString();
            each.accept(owner, in.readBytes(in.readInt()));
        }
    }
}
