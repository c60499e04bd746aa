package jango.kafka;

import jango.engine.Archive;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.InvariantViolation;
import jango.engine.SnapshotCodec;
import jango.engine.port.ShardStore;
import jango.engine.port.StateSummary;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code jango audit --mode distributed}: for each shard, replays its partition of the commands
 * topic from offset 0 up to the offset its state in PostgreSQL was committed at, into a fresh
 * engine, and compares the replay's state hash with the hash of that state loaded from PostgreSQL
 * (one snapshot: the state and its offset together, so a live cluster can be audited). The replay
 * asks an {@link AuditArchive} about ids, which answers as the live shard was answered and checks
 * every result the replay makes against the stored one. Then the laws over the replayed state, and
 * PostgreSQL's own check over all shards (conservation with {@code @clearing}, held = open holds).
 */
public final class DistributedAudit {
    /** A shard whose epoch moves while it is read (an instance took it over) is read again, this often at most. */
    private static final int LOAD_ATTEMPTS = 5;

    private DistributedAudit() {
    }

    /** One shard: where it was audited and what was found. */
    public record ShardReport(int shard, long offset, long seq, String storeHash, String replayHash, long resultsChecked,
                              long messagesOfTheMoment, long problems) {
        public boolean passed() {
            return problems == 0 && storeHash.equals(replayHash);
        }
    }

    public record Report(List<ShardReport> shards, StateSummary store, List<String> problems) {
        public boolean passed() {
            return problems.isEmpty();
        }
    }

    public static Report run(String bootstrap, String commandsTopic, ShardStore store, Consumer<String> progress) {
        int count = store.shardCount();
        if (count == 0) {
            throw new IllegalStateException("the store has no shards: nothing to audit (jango init makes them)");
        }
        Shards shards = new Shards(count);
        List<String> problems = new ArrayList<>();
        List<ShardReport> reports = new ArrayList<>();
        for (int shard = 0; shard < count; shard++) {
            ShardReport report = audit(bootstrap, commandsTopic, store, shards, shard, problems, progress);
            reports.add(report);
            progress.accept("audit: shard " + shard + " offset=" + report.offset() + " seq=" + report.seq() + " results_checked="
                    + report.resultsChecked() + " " + (report.passed() ? "ok" : "FAIL"));
        }
        StateSummary summary = store.stateSummary();
        if (!summary.invariantsHold()) {
            problems.add("PostgreSQL over all shards: " + summary.invariantViolation());
        }
        return new Report(List.copyOf(reports), summary, List.copyOf(problems));
    }

    private static ShardReport audit(String bootstrap, String commandsTopic, ShardStore store, Shards shards, int shard,
                                     List<String> problems, Consumer<String> progress) {
        ShardStore.LoadedShard stored = load(store, shard);
        String storeHash = SnapshotCodec.stateHash(stored.engine());
        progress.accept("audit: shard " + shard + " replaying offsets 0.." + stored.nextOffset() + " (PostgreSQL is at seq "
                + stored.engine().lastSeq() + ")");
        List<String> found = new ArrayList<>();
        AuditArchive archive = new AuditArchive(shard, shards, store, found);
        Engine replayed = TopicReplay.replay(bootstrap, commandsTopic, shard, shards.count(), stored.nextOffset(),
                new Engine(0, archive, shards.map(shard)), records -> prefetch(archive, records), progress);
        String replayHash = SnapshotCodec.stateHash(replayed);
        if (replayed.lastSeq() != stored.engine().lastSeq()) {
            archive.problem("shard " + shard + ": the replay reached seq " + replayed.lastSeq() + " but PostgreSQL is at seq "
                    + stored.engine().lastSeq() + " for offset " + stored.nextOffset());
        }
        if (!replayHash.equals(storeHash)) {
            archive.problem("shard " + shard + ": the state in PostgreSQL (hash " + storeHash + ") differs from the replay of the "
                    + "commands topic up to offset " + stored.nextOffset() + " (hash " + replayHash + ")");
        }
        try {
            replayed.checkInvariants();
        } catch (InvariantViolation e) {
            archive.problem("shard " + shard + ": the replayed state breaks a law: " + e.getMessage());
        }
        problems.addAll(found);
        if (archive.problemCount() > found.size()) {
            problems.add("shard " + shard + ": " + (archive.problemCount() - found.size()) + " more problems not listed");
        }
        return new ShardReport(shard, stored.nextOffset(), stored.engine().lastSeq(), storeHash, replayHash,
                archive.resultsChecked(), archive.messagesOfTheMoment(), archive.problemCount());
    }

    /** The shard's committed state and offset, read in one snapshot under its current epoch (read again if it moves). */
    private static ShardStore.LoadedShard load(ShardStore store, int shard) {
        for (int attempt = 1; ; attempt++) {
            long epoch = store.shardRows().get(shard).epoch();
            try {
                return store.reload(shard, epoch, Archive.NONE);
            } catch (ShardStore.Fenced e) {
                if (attempt == LOAD_ATTEMPTS) {
                    throw new IllegalStateException("shard " + shard + " changed owner " + LOAD_ATTEMPTS + " times while it was read: "
                            + e.getMessage(), e);
                }
            }
        }
    }

    private static void prefetch(AuditArchive archive, List<Wire.CommandRecord> records) {
        Set<String> commandIds = new LinkedHashSet<>();
        Set<String> holdIds = new LinkedHashSet<>();
        for (Wire.CommandRecord record : records) {
            Command command = record.command();
            PartitionLog.namedIds(command, commandIds, holdIds);
        }
        archive.prefetch(commandIds, holdIds);
    }
}
