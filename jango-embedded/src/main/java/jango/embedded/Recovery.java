package jango.embedded;

import jango.embedded.index.LedgerIndex;
import jango.embedded.journal.Journal;
import jango.engine.Applied;
import jango.engine.BalanceChange;
import jango.engine.Engine;
import jango.engine.IdFilterRebuild;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: the newest snapshot that the journal and the index both reach, then the journal after
 * it. The index is a projection that may lag (it is written after the answer); what it misses is
 * fed to it again from the replay. A snapshot newer than the index is passed over, so the index
 * never needs entries from before the replay starts. Snapshots hold accounts, open holds and the id
 * filter, not results, so they stay small and a restart replays at most one snapshot interval.
 */
final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;
    /** From this many false positives per million of the id filter (5%) on, a start logs a warning. */
    static final long CROWDED_FILTER = 50_000;

    private Recovery() {
    }

    /**
     * The engine at the journal's end, storing into {@code archive}, with the index caught up.
     *
     * @param idFilterBytes the id filter of an engine started without a snapshot
     * @param preloaded     the snapshot {@link #preload} read, used if it is the one this chooses; or null
     */
    static Engine recover(Journal journal, LedgerIndex index, Snapshots snapshots, EmbeddedArchive archive, int idFilterBytes,
                          Engine preloaded) throws IOException {
        long journalEnd = journal.nextSeq() - 1;
        long indexed = index.indexedSeq();
        if (indexed > journalEnd) {
            throw new IOException("the index is at seq " + indexed + " but the journal ends at " + journalEnd
                    + ": the journal lost acknowledged records, or the index belongs to another data directory");
        }
        long loading = System.nanoTime();
        Engine engine = newestUsableSnapshot(journal, snapshots, archive, journalEnd, indexed, preloaded);
        long snapshotMillis = (System.nanoTime() - loading) / 1_000_000;
        boolean filterRebuilt = engine != null && engine.view().idFilterBytes() != idFilterBytes;
        if (filterRebuilt) {
            rebuildIdFilter(engine, index, idFilterBytes);
        }
        if (engine == null) {
            if (journal.firstSeq() > 1) {
                throw new IOException("no usable snapshot and the journal starts at seq " + journal.firstSeq());
            }
            engine = new Engine(idFilterBytes, archive);
        }
        long started = System.nanoTime();
        long fromSeq = engine.lastSeq() + 1;
        // Entries the index holds already are applied for their state only: their results, closed
        // holds and history are on disk, and making them again would be a third of the replay's work.
        archive.storeOnlyAfter(indexed);
        Replay replay = new Replay(engine, archive, index::append, true, indexed);
        Engine replaying = engine;
        long[] nextProgressNanos = {started + PROGRESS_EVERY_NANOS};
        journal.replay(fromSeq, (firstSeq, count, payload, offset, length) -> {
            replay.record(firstSeq, count, payload, offset, length);
            archive.evict(index.indexedSeq());
            if (System.nanoTime() > nextProgressNanos[0]) {
                nextProgressNanos[0] = System.nanoTime() + PROGRESS_EVERY_NANOS;
                log.info("event=replay_progress seq={} of={}", replaying.lastSeq(), journalEnd);
            }
        });
        archive.storeOnlyAfter(0);
        engine.checkInvariants();
        if (filterRebuilt && index.indexedSeq() >= engine.lastSeq()) {
            // Keep the new size now: until a snapshot holds it, every start reads every stored id
            // again (minutes at 100 million ids), and the next snapshot may be 250,000 entries away.
            // Best effort: the state is whole without it, and the snapshotter tries again later.
            try {
                index.sync();
                snapshots.write(engine);
            } catch (IOException e) {
                log.warn("event=snapshot_after_rebuild_failed error=\"{}\"", e.toString());
            }
        }
        log.info("event=recovered seq={} snapshot_seq={} replayed={} indexed_before={} accounts={} open_holds={} millis={}"
                        + " snapshot_load_ms={}",
                engine.lastSeq(), fromSeq - 1, engine.lastSeq() - fromSeq + 1, indexed,
                engine.view().accountCount(), engine.view().openHoldCount(), (System.nanoTime() - started) / 1_000_000,
                snapshotMillis);
        return engine;
    }

    /**
     * Gives a snapshot's engine an id filter of the configured size, made from every id the index
     * stores (results, closed holds) and those the engine holds. The filter's size is otherwise fixed
     * by the snapshot, so this is how a data directory whose filter got crowded gets a larger one: a
     * start with another size reads every stored id once (progress logged), and the next snapshot
     * keeps the new filter. The index may hold ids of entries after the snapshot: the replay meets
     * them as false positives, which the archive answers exactly (a result stored at or after the
     * entry's own seq is no prior result).
     */
    static void rebuildIdFilter(Engine engine, LedgerIndex index, int idFilterBytes) throws IOException {
        int from = engine.view().idFilterBytes();
        long started = System.nanoTime();
        log.info("event=id_filter_rebuild from_bytes={} to_bytes={} reason=\"the configured size differs from the snapshot's\"",
                from, idFilterBytes);
        IdFilterRebuild rebuild = engine.rebuildIdFilter(idFilterBytes);
        long[] counts = new long[2];
        long[] nextProgressNanos = {started + PROGRESS_EVERY_NANOS};
        index.forEachResultId(id -> {
            rebuild.commandId(id);
            counts[0]++;
            if ((counts[0] & 0xffff) == 0 && System.nanoTime() > nextProgressNanos[0]) {
                nextProgressNanos[0] = System.nanoTime() + PROGRESS_EVERY_NANOS;
                log.info("event=id_filter_rebuild_progress command_ids={}", counts[0]);
            }
        });
        index.forEachHoldId(id -> {
            rebuild.holdId(id);
            counts[1]++;
        });
        log.info("event=id_filter_rebuilt bytes={} command_ids={} closed_hold_ids={} millis={}", idFilterBytes, counts[0], counts[1],
                (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Logs how crowded the engine's id filter is and returns its false positives per million. Its
     * size is fixed, so the share of new ids that cost an index lookup rises with every id ever used:
     * a warning from 5% on (docs/design.md, "The id filter").
     */
    static long checkIdFilter(Engine engine) {
        long perMillion = engine.view().idFilterFalsePositivesPerMillion();
        if (perMillion >= CROWDED_FILTER) {
            log.warn("event=id_filter_crowded false_positives={} bytes={} effect=\"this share of new ids costs an index lookup;"
                    + " it rises with every id used: a larger --id-filter-mib rebuilds it (docs/design.md, The id filter)\"",
                    percent(perMillion), engine.view().idFilterBytes());
        } else {
            log.info("event=id_filter false_positives={} bytes={}", percent(perMillion), engine.view().idFilterBytes());
        }
        return perMillion;
    }

    /** Parts per million as a percentage for a log line: 57300 is "5.7300%". */
    static String percent(long perMillion) {
        return perMillion / 10_000 + "." + String.format(java.util.Locale.ROOT, "%04d", perMillion % 10_000) + "%";
    }

    /**
     * The newest snapshot within the journal, read while the index opens on another thread (after a
     * kill at 100 million commands each took most of a second), its engine made with
     * {@code archive} once read; or null when there is none or it does not load. Only a guess:
     * {@link #recover} uses it if it is the snapshot it chooses (not past the index), and reads
     * again otherwise, saying why a snapshot is unusable.
     */
    static Engine preload(Journal journal, Snapshots snapshots, java.util.function.Supplier<EmbeddedArchive> archive) {
        try {
            long journalEnd = journal.nextSeq() - 1;
            for (long seq : snapshots.seqs()) {
                if (seq <= journalEnd && seq >= journal.firstSeq() - 1) {
                    return snapshots.load(seq, archive);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("event=snapshot_preload_failed error=\"{}\"", e.toString());
        }
        return null;
    }

    private static Engine newestUsableSnapshot(Journal journal, Snapshots snapshots, EmbeddedArchive archive, long journalEnd,
                                               long indexed, Engine preloaded) throws IOException {
        for (long seq : snapshots.seqs()) {
            if (seq > journalEnd) {
                throw new IOException("snapshot at seq " + seq + " is past the journal's end " + journalEnd
                        + ": the journal lost acknowledged records");
            }
            if (seq > indexed || seq < journal.firstSeq() - 1) {
                continue;
            }
            if (preloaded != null && preloaded.lastSeq() == seq) {
                return preloaded;
            }
            try {
                return snapshots.load(seq, archive);
            } catch (IOException | RuntimeException e) {
                log.warn("event=snapshot_unusable seq={} error=\"{}\"", seq, e.toString());
            }
        }
        return null;
    }

    /** What a replay does with each record's chunk (the index takes it; an audit may drop history). */
    interface ChunkSink {
        void accept(LedgerIndex.Chunk chunk) throws IOException;
    }

    /**
     * Applies journal records to an engine; after each record, what it made (history if asked,
     * results, closed holds) goes to the sink as one chunk.
     */
    static final class Replay {
        private final Engine engine;
        private final EmbeddedArchive archive;
        private final ChunkSink sink;
        private final boolean history;
        private final long indexedBefore;
        private List<BalanceChange> changes = new ArrayList<>();

        /** @param indexedBefore entries up to this seq are in the sink already: applied, not handed to it again */
        Replay(Engine engine, EmbeddedArchive archive, ChunkSink sink, boolean history, long indexedBefore) {
            this.engine = engine;
            this.archive = archive;
            this.sink = sink;
            this.history = history;
            this.indexedBefore = indexedBefore;
        }

        void record(long firstSeq, int count, byte[] payload, int offset, int length) throws IOException {
            BatchCodec.Batch batch;
            try {
                batch = BatchCodec.decode(payload, offset, length, count);
            } catch (IllegalArgumentException e) {
                throw new IOException("journal record at seq " + firstSeq + " does not decode: " + e.getMessage(), e);
            }
            int lookedAheadTo = 0;
            for (int i = 0; i < count; i++) {
                long seq = firstSeq + i;
                if (seq <= engine.lastSeq()) {
                    continue;
                }
                if (i >= lookedAheadTo) {
                    lookedAheadTo = Math.min(count, i + Engine.LOOK_AHEAD);
                    engine.lookAhead(batch.commands(), i, lookedAheadTo);
                }
                int start = batch.start(i);
                engine.execute(seq, batch.atMicros(), batch.commands()[i], payload, start, batch.ends()[i] - start);
                if (history && seq > indexedBefore) {
                    collect(engine.applied(), changes::add);
                }
            }
            long upToSeq = firstSeq + count - 1;
            if (upToSeq > indexedBefore) {
                sink.accept(archive.seal(changes, upToSeq));
                changes = new ArrayList<>();
            }
        }
    }

    /** The history events of an applied entry: its changed balances. */
    static void collect(Applied applied, Consumer<BalanceChange> into) {
        for (int i = 0; i < applied.balanceCount(); i++) {
            if (applied.changed(i)) {
                into.accept(applied.change(i));
            }
        }
    }
}
