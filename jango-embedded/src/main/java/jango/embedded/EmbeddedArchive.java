package jango.embedded;

import jango.embedded.index.ArchiveRecords;
import jango.embedded.index.LedgerIndex;
import jango.engine.Applied;
import jango.engine.Archive;
import jango.engine.BalanceChange;
import jango.engine.ByteWriter;
import jango.engine.HoldView;
import jango.engine.ResultCodec;
import jango.engine.StoredResult;
import org.agrona.collections.Object2LongHashMap;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Embedded mode's {@link Archive}: stored results and closed holds in the {@link LedgerIndex} on
 * disk, and, until the index has them, in the chunks the writer handed to the projector. The
 * engine asks only when its id filter says "maybe", so the disk is read for retries, reused ids
 * and the filter's few false positives, not for every command.
 *
 * <p>Writer thread only. A chunk leaves memory as soon as the index reports it stored
 * ({@link #evict}); the chunks in flight are bounded by the projector's queue, so this holds at
 * most a few batches whatever the number of commands.
 */
final class EmbeddedArchive implements Archive {
    private static final long NOT_RECENT = -1;

    /** A stretch of the log handed to the index; its records stay findable here until stored. */
    private static final class InFlight {
        final int serial;
        final long upToSeq;
        final ArchiveRecords results;
        final ArchiveRecords holds;

        InFlight(int serial, long upToSeq, ArchiveRecords results, ArchiveRecords holds) {
            this.serial = serial;
            this.upToSeq = upToSeq;
            this.results = results;
            this.holds = holds;
        }
    }

    private final LedgerIndex index;
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private final ArrayDeque<ArchiveRecords> spare = new ArrayDeque<>();
    /**
     * Id -> (chunk serial << 32 | record index) of records not yet in the index. The serial is an
     * int that wraps (one per batch: 2^32 batches are 12 days of single-command batches at 4,000
     * fsyncs a second), compared only for equality with the few chunks in flight. As a long it
     * lost its top bits in the shift after 2^32 batches and then matched no chunk: every lookup of
     * a recent id halted the writer and no id was ever forgotten.
     */
    private final Object2LongHashMap<String> recentResults = new Object2LongHashMap<>(NOT_RECENT);
    private final Object2LongHashMap<String> recentHolds = new Object2LongHashMap<>(NOT_RECENT);
    private int serial;
    private long storeOnlyAfter;
    private ArchiveRecords results;
    private ArchiveRecords holds;

    EmbeddedArchive(LedgerIndex index) {
        this(index, 0);
    }

    /** As {@link #EmbeddedArchive(LedgerIndex)}, the first chunk numbered {@code firstSerial} (tests cross the wrap). */
    EmbeddedArchive(LedgerIndex index, int firstSerial) {
        this.index = index;
        this.serial = firstSerial;
        this.results = new ArchiveRecords();
        this.holds = new ArchiveRecords();
    }

    @Override
    public StoredResult result(String commandId, long beforeSeq) {
        long recent = recentResults.getValue(commandId);
        if (recent != NOT_RECENT) {
            ArchiveRecords records = records(recent, true);
            int i = (int) recent;
            return records.seq(i) < beforeSeq ? records.storedResult(i) : null;
        }
        byte[] value = index.result(commandId);
        if (value == null || ArchiveRecords.seqOf(value) >= beforeSeq) {
            return null; // a replay after a crash meets what it stored itself before: not a prior result
        }
        return ArchiveRecords.decodeResult(value, 0, value.length);
    }

    @Override
    public HoldView hold(String holdId, long beforeSeq) {
        long recent = recentHolds.getValue(holdId);
        if (recent != NOT_RECENT) {
            ArchiveRecords records = records(recent, false);
            int i = (int) recent;
            return records.seq(i) < beforeSeq ? records.hold(i) : null;
        }
        byte[] value = index.hold(holdId);
        if (value == null || ArchiveRecords.seqOf(value) >= beforeSeq) {
            return null;
        }
        return ArchiveRecords.decodeHold(holdId, value, 0, value.length);
    }

    /** The records (results or holds) of the chunk a recent record is in: the one being filled, or one in flight. */
    private ArchiveRecords records(long recent, boolean ofResults) {
        int chunkSerial = serialOf(recent);
        if (chunkSerial == serial) {
            return ofResults ? results : holds;
        }
        for (InFlight chunk : inFlight) {
            if (chunk.serial == chunkSerial) {
                return ofResults ? chunk.results : chunk.holds;
            }
        }
        throw new IllegalStateException("record of chunk " + chunkSerial + " is neither in flight nor being filled");
    }

    /**
     * During a recovery, results and closed holds of entries up to {@code seq} are not recorded: the
     * index holds them already (lookups find them there). 0 records everything.
     */
    void storeOnlyAfter(long seq) {
        storeOnlyAfter = seq;
    }

    @Override
    public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
        if (applied.seq() <= storeOnlyAfter) {
            return;
        }
        ByteWriter out = results.begin(applied.commandId(), applied.seq());
        out.writeInt(length);
        out.writeBytes(fingerprint, offset, length);
        ResultCodec.write(applied, out);
        results.end();
        recentResults.put(applied.commandId(), recent(serial, results.count() - 1));
    }

    @Override
    public void holdClosed(Applied applied, int index) {
        if (applied.seq() <= storeOnlyAfter) {
            return;
        }
        ByteWriter out = holds.begin(applied.holdId(index), applied.seq());
        out.writeName(applied.holdOwner(index));
        out.writeName(applied.holdAsset(index));
        out.writeLong(applied.holdAmountHi(index));
        out.writeLong(applied.holdAmountLo(index));
        out.writeLong(applied.holdRemainingHi(index));
        out.writeLong(applied.holdRemainingLo(index));
        out.writeLong(applied.holdExpiresAtMicros(index));
        out.writeByte(applied.holdState(index).ordinal());
        holds.end();
        recentHolds.put(applied.holdId(index), recent(serial, holds.count() - 1));
    }

    /** Hands what was stored since the last seal to the index, as a chunk that ends at {@code upToSeq}. */
    LedgerIndex.Chunk seal(List<BalanceChange> changes, long upToSeq) {
        InFlight sealed = new InFlight(serial, upToSeq, results, holds);
        inFlight.addLast(sealed);
        serial++;
        results = spare.isEmpty() ? new ArchiveRecords() : spare.pop();
        holds = spare.isEmpty() ? new ArchiveRecords() : spare.pop();
        return new LedgerIndex.Chunk(changes, sealed.results, sealed.holds, upToSeq);
    }

    /** Forgets the chunks the index holds now (its indexedSeq reached their end); their buffers are reused. */
    void evict(long indexedSeq) {
        while (!inFlight.isEmpty() && inFlight.peekFirst().upToSeq <= indexedSeq) {
            InFlight chunk = inFlight.pollFirst();
            forget(recentResults, chunk.results, chunk.serial);
            forget(recentHolds, chunk.holds, chunk.serial);
            recycle(chunk.results);
            recycle(chunk.holds);
        }
    }

    private static long recent(int chunkSerial, int recordIndex) {
        return ((long) chunkSerial << 32) | (recordIndex & 0xFFFF_FFFFL);
    }

    private static int serialOf(long recent) {
        return (int) (recent >>> 32);
    }

    private static void forget(Object2LongHashMap<String> recent, ArchiveRecords records, int chunkSerial) {
        for (int i = 0; i < records.count(); i++) {
            String id = records.id(i);
            long value = recent.getValue(id);
            if (value != NOT_RECENT && serialOf(value) == chunkSerial) {
                recent.removeKey(id);
            }
        }
    }

    private void recycle(ArchiveRecords records) {
        records.clear();
        if (spare.size() < 8) {
            spare.push(records);
        }
    }

    int inFlightChunks() {
        return inFlight.size();
    }

    /** Ids of results and closed holds held here until the index has them. */
    int recentIds() {
        return recentResults.size() + recentHolds.size();
    }
}
