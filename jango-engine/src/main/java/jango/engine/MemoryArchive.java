package jango.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An archive in plain maps, for tests and small tools: it grows with every command, which is
 * exactly what the service must not do (the service's archives live on disk).
 */
public final class MemoryArchive implements Archive {
    private record Entry<T>(long seq, T value) {
    }

    private final Map<String, Entry<StoredResult>> results = new HashMap<>();
    private final Map<String, Entry<HoldView>> holds = new HashMap<>();

    @Override
    public StoredResult result(String commandId, long beforeSeq) {
        Entry<StoredResult> entry = results.get(commandId);
        return entry == null || entry.seq() >= beforeSeq ? null : entry.value();
    }

    @Override
    public HoldView hold(String holdId, long beforeSeq) {
        Entry<HoldView> entry = holds.get(holdId);
        return entry == null || entry.seq() >= beforeSeq ? null : entry.value();
    }

    @Override
    public void resultStored(Applied applied, byte[] fingerprint, int offset, int length) {
        results.put(applied.commandId(), new Entry<>(applied.seq(),
                new StoredResult(Arrays.copyOfRange(fingerprint, offset, offset + length), applied.result())));
    }

    @Override
    public void holdClosed(Applied applied, int index) {
        holds.put(applied.holdId(index), new Entry<>(applied.seq(), applied.hold(index)));
    }

    @Override
    public void resultPending(String commandId, long seq, byte[] fingerprint, int attempt) {
        results.put(commandId, new Entry<>(seq, StoredResult.pending(fingerprint.clone(), attempt)));
    }

    @Override
    public void resultStored(long seq, byte[] fingerprint, Result result) {
        results.put(result.id(), new Entry<>(seq, new StoredResult(fingerprint.clone(), result)));
    }

    /** Another archive with what this one holds now (a snapshot's engine goes on with its own). */
    public MemoryArchive copy() {
        MemoryArchive copy = new MemoryArchive();
        copy.results.putAll(results);
        copy.holds.putAll(holds);
        return copy;
    }

    public int resultCount() {
        return results.size();
    }
}
