package jango.embedded;

import jango.embedded.history.HistoryIndex;
import jango.embedded.journal.Journal;
import jango.engine.BalanceChange;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: the newest snapshot that the journal and the history index both reach, then the
 * journal after it. The history index is a projection that may lag (it is written after the
 * answer); entries it misses are fed again from the replay. A snapshot newer than the index is
 * passed over, so the index never needs events from before the replay starts.
 */
final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;

    private Recovery() {
    }

    static Engine recover(Journal journal, HistoryIndex index, Snapshots snapshots) throws IOException {
        return recover(journal, index, index.indexedSeq(), snapshots, "recovered");
    }

    /** A second engine in the same state, for the snapshotter; it feeds no index. */
    static Engine shadow(Journal journal, Snapshots snapshots) throws IOException {
        return recover(journal, null, Long.MAX_VALUE, snapshots, "shadow_recovered");
    }

    private static Engine recover(Journal journal, HistoryIndex index, long indexed, Snapshots snapshots, String event)
            throws IOException {
        long journalEnd = journal.nextSeq() - 1;
        if (index != null && indexed > journalEnd) {
            throw new IOException("history index is at seq " + indexed + " but the journal ends at " + journalEnd
                    + ": the journal lost acknowledged records, or the index belongs to another data directory");
        }
        Engine engine = null;
        for (long seq : snapshots.seqs()) {
            if (seq > journalEnd) {
                throw new IOException("snapshot at seq " + seq + " is past the journal's end " + journalEnd
                        + ": the journal lost acknowledged records");
            }
            if (seq > indexed || seq < journal.firstSeq() - 1) {
                continue;
            }
            try {
                engine = snapshots.load(seq);
                break;
            } catch (IOException | RuntimeException e) {
                log.warn("event=snapshot_unusable seq={} error=\"{}\"", seq, e.toString());
            }
        }
        if (engine == null) {
            if (journal.firstSeq() > 1) {
                throw new IOException("no usable snapshot and the journal starts at seq " + journal.firstSeq());
            }
            engine = new Engine();
        }
        long started = System.nanoTime();
        long fromSeq = engine.lastSeq() + 1;
        Replay replay = new Replay(engine, index, indexed);
        Engine replaying = engine;
        long[] nextProgressNanos = {started + PROGRESS_EVERY_NANOS};
        journal.replay(fromSeq, (firstSeq, count, payload, offset, length) -> {
            replay.record(firstSeq, count, payload, offset, length);
            if (System.nanoTime() > nextProgressNanos[0]) {
                nextProgressNanos[0] = System.nanoTime() + PROGRESS_EVERY_NANOS;
                log.info("event=replay_progress seq={} of={}", replaying.lastSeq(), journalEnd);
            }
        });
        engine.checkInvariants();
        log.info("event={} seq={} snapshot_seq={} replayed={} indexed_seq={} millis={}", event,
                engine.lastSeq(), fromSeq - 1, engine.lastSeq() - fromSeq + 1, index == null ? "-" : index.indexedSeq(),
                (System.nanoTime() - started) / 1_000_000);
        return engine;
    }

    /** Applies journal records to an engine, feeding the index what it has not stored yet. */
    static class Replay {
        private final Engine engine;
        private final HistoryIndex index;
        private final long indexedBefore;
        private final List<BalanceChange> changes = new ArrayList<>();
        private final EngineListener collect = new EngineListener() {
            @Override
            public void balanceChanged(BalanceChange change) {
                changes.add(change);
            }
        };

        Replay(Engine engine, HistoryIndex index, long indexedBefore) {
            this.engine = engine;
            this.index = index;
            this.indexedBefore = indexedBefore;
        }

        void record(long firstSeq, int count, byte[] payload, int offset, int length) throws IOException {
            BatchCodec.Batch batch;
            try {
                batch = BatchCodec.decode(payload, offset, length, count);
            } catch (IllegalArgumentException e) {
                throw new IOException("journal record at seq " + firstSeq + " does not decode: " + e.getMessage(), e);
            }
            List<Command> commands = batch.commands();
            for (int i = 0; i < commands.size(); i++) {
                long seq = firstSeq + i;
                if (seq <= engine.lastSeq()) {
                    continue;
                }
                engine.apply(seq, batch.atMicros(), commands.get(i), seq > indexedBefore ? collect : EngineListener.NONE);
            }
            long last = firstSeq + count - 1;
            if (index != null && last > indexedBefore) {
                index.append(changes, last);
            }
            changes.clear();
        }
    }
}
