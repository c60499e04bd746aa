package jango.kafka;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.HoldView;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.Reason;
import jango.engine.port.LedgerObserver;
import jango.engine.port.ShardStore;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The shard writers of one instance, on one thread. The consumer group hands this instance some
 * partitions; for each it takes the shard in the store with a new epoch (fencing the previous
 * owner), loads its state, and reads the log from the offset stored with that state. Each poll's
 * records of a shard are applied by the engine and committed to the store in ONE transaction
 * together with the new offset, so a shard's state, results, history, outbox and position never
 * disagree. Kafka offsets are never committed to Kafka.
 *
 * <p>A failed commit leaves the in-memory engine ahead of the store: the shard is marked dirty,
 * reloaded from the store (whatever the commit's fate, the store is the truth) and the consumer is
 * moved back to the stored offset. After {@code retries} failures in a row the shard halts: its
 * partition is paused, nothing after the failed batch is applied, and it stays so until an
 * operator resumes it. Nothing is ever skipped or applied twice.
 */
final class ShardWriter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ShardWriter.class);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final long RESUME_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One owned shard; touched by the writer thread only. */
    private static final class Shard {
        final int id;
        final TopicPartition partition;
        long epoch = -1;
        long nextOffset;
        Engine engine;
        /** The engine is not the store's state (not loaded yet, or a commit failed). */
        boolean dirty = true;
        int failures;
        long nextAttemptNanos;
        String haltReason;
        /** The halt is in the store, so clearing it there (an operator) is what resumes the shard. */
        boolean haltRecorded;

        Shard(int id, TopicPartition partition) {
            this.id = id;
            this.partition = partition;
        }
    }

    private final DistributedConfig config;
    private final ShardStore store;
    private final Shards shards;
    private final KafkaConsumer<String, byte[]> consumer;
    private final OutboxRelay relay;
    private final LongSupplier clockMicros;
    private final LedgerObserver observer;
    private final Map<Integer, Shard> owned = new TreeMap<>();
    /** Shard -> why it halted, for health and for refusing commands early; any thread may read. */
    final Map<Integer, String> halted = new ConcurrentHashMap<>();
    /** Shards loaded and being applied here now; any thread may read. */
    private final Set<Integer> loadedShards = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private long lastResumeCheck = System.nanoTime();

    ShardWriter(DistributedConfig config, ShardStore store, Shards shards, KafkaConsumer<String, byte[]> consumer,
                OutboxRelay relay, LongSupplier clockMicros, LedgerObserver observer) {
        this.config = config;
        this.store = store;
        this.shards = shards;
        this.consumer = consumer;
        this.relay = relay;
        this.clockMicros = clockMicros;
        this.observer = observer;
    }

    Set<Integer> loadedShards() {
        return Set.copyOf(loadedShards);
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(config.commandsTopic()), new Rebalance());
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = consumer.poll(POLL);
                } catch (WakeupException e) {
                    break;
                } catch (KafkaException e) {
                    log.warn("event=poll_failed instance={} error=\"{}\"", config.instanceId(), e.toString());
                    Pause.millis(config.firstBackoff().toMillis());
                    continue;
                }
                Set<Integer> done = new HashSet<>();
                for (TopicPartition partition : records.partitions()) {
                    Shard shard = owned.get(partition.partition());
                    if (shard != null && !shard.dirty && shard.haltReason == null) {
                        process(shard, records.records(partition));
                        done.add(shard.id);
                    }
                }
                for (Shard shard : List.copyOf(owned.values())) {
                    if (shard.haltReason != null) {
                        continue;
                    }
                    if (shard.dirty) {
                        load(shard);
                    } else if (!done.contains(shard.id) && shard.engine.nextExpiryMicros() <= clockMicros.getAsLong()) {
                        process(shard, List.of());
                    }
                }
                checkResumes();
            }
        } catch (RuntimeException e) {
            log.error("event=writer_failed instance={} error=\"{}\"", config.instanceId(), e.toString(), e);
            owned.keySet().forEach(id -> halted.put(id, "writer thread failed: " + e));
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("event=consumer_close_failed error=\"{}\"", e.toString());
            }
        }
    }

    // ---- ownership --------------------------------------------------------------------------------

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                Shard shard = new Shard(partition.partition(), partition);
                owned.put(shard.id, shard);
                relay.own(shard.id);
                log.info("event=shard_assigned instance={} shard={}", config.instanceId(), shard.id);
            }
            // Nothing is read until the shard is taken in the store and the consumer is moved to its offset.
            consumer.pause(partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            partitions.forEach(p -> drop(p.partition(), "revoked"));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(p -> drop(p.partition(), "lost"));
        }
    }

    private void drop(int shardId, String why) {
        Shard shard = owned.remove(shardId);
        loadedShards.remove(shardId);
        relay.disown(shardId);
        halted.remove(shardId);
        if (shard != null) {
            log.info("event=shard_released instance={} shard={} why={} epoch={}", config.instanceId(), shardId, why, shard.epoch);
        }
    }

    /** Takes (first time) or reloads (after a failure) the shard from the store, then reads on from its offset. */
    private void load(Shard shard) {
        if (System.nanoTime() < shard.nextAttemptNanos) {
            return;
        }
        try {
            ShardStore.LoadedShard loaded = shard.epoch < 0 ? store.acquire(shard.id, config.instanceId())
                    : store.reload(shard.id, shard.epoch);
            shard.epoch = loaded.epoch();
            shard.engine = loaded.engine();
            shard.nextOffset = loaded.nextOffset();
            shard.dirty = false;
            loadedShards.add(shard.id);
            consumer.seek(shard.partition, shard.nextOffset);
            consumer.resume(List.of(shard.partition));
            relay.wake();
            log.info("event=shard_loaded instance={} shard={} epoch={} offset={} seq={}", config.instanceId(), shard.id,
                    shard.epoch, shard.nextOffset, shard.engine.lastSeq());
        } catch (ShardStore.Fenced e) {
            log.warn("event=fenced instance={} shard={} epoch={} detail=\"{}\"", config.instanceId(), shard.id, shard.epoch, e.getMessage());
            consumer.pause(List.of(shard.partition));
            drop(shard.id, "fenced");
        } catch (RuntimeException e) {
            failed(shard, "loading the shard from the store failed: " + e.getMessage(), e);
        }
    }

    /** Counts a failure; backs off, or halts the shard once the retries are spent. */
    private void failed(Shard shard, String reason, Throwable cause) {
        loadedShards.remove(shard.id);
        shard.dirty = true;
        shard.engine = null;
        consumer.pause(List.of(shard.partition));
        shard.failures++;
        if (shard.failures > config.retries()) {
            halt(shard, reason + " (" + config.retries() + " retries spent)");
            return;
        }
        long backoff = config.firstBackoff().toMillis() << Math.min(shard.failures - 1, 10);
        shard.nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
        log.warn("event=shard_retry instance={} shard={} attempt={} backoff_ms={} reason=\"{}\"", config.instanceId(),
                shard.id, shard.failures, backoff, reason, cause);
    }

    private void halt(Shard shard, String reason) {
        loadedShards.remove(shard.id);
        shard.haltReason = reason;
        halted.put(shard.id, reason);
        log.error("event=shard_halted instance={} shard={} reason=\"{}\"", config.instanceId(), shard.id, reason);
        recordHalt(shard);
    }

    private void recordHalt(Shard shard) {
        try {
            store.setHalted(shard.id, shard.haltReason);
            shard.haltRecorded = true;
        } catch (RuntimeException e) {
            log.warn("event=halt_not_recorded shard={} error=\"{}\" (the store is down; this instance reports it and records it later)",
                    shard.id, e.toString());
        }
    }

    /** A halted shard resumes once an operator clears its halt in the store (admin endpoint or jango shard resume). */
    private void checkResumes() {
        if (halted.isEmpty() || System.nanoTime() - lastResumeCheck < RESUME_CHECK_NANOS) {
            return;
        }
        lastResumeCheck = System.nanoTime();
        for (Shard shard : owned.values()) {
            if (shard.haltReason != null && !shard.haltRecorded) {
                recordHalt(shard); // the database is back: only an operator may clear the halt now
            }
        }
        List<ShardStore.ShardRow> rows;
        try {
            rows = store.shardRows();
        } catch (RuntimeException e) {
            return;
        }
        for (ShardStore.ShardRow row : rows) {
            Shard shard = owned.get(row.shard());
            if (shard != null && shard.haltReason != null && shard.haltRecorded && row.haltedReason() == null) {
                log.info("event=shard_resumed instance={} shard={}", config.instanceId(), shard.id);
                shard.haltReason = null;
                shard.haltRecorded = false;
                halted.remove(shard.id);
                shard.failures = 0;
                shard.dirty = true;
                shard.nextAttemptNanos = 0;
            }
        }
    }

    // ---- one batch ---------------------------------------------------------------------------

    /** Collects what the engine changed during one batch, for the store. */
    private static final class Changes implements EngineListener {
        final Map<String, BalanceView> balances = new LinkedHashMap<>();
        final Map<String, HoldView> holds = new LinkedHashMap<>();
        final List<BalanceChange> history = new ArrayList<>();

        @Override
        public void balanceChanged(BalanceChange change) {
            history.add(change);
            balances.put(change.account() + '\u0000' + change.asset(),
                    new BalanceView(change.account(), change.asset(), change.available(), change.held(), change.revision()));
        }

        @Override
        public void holdChanged(HoldView hold) {
            holds.put(hold.holdId(), hold);
        }
    }

    private void process(Shard shard, List<ConsumerRecord<String, byte[]>> records) {
        long nextOffset = shard.nextOffset;
        List<Wire.CommandRecord> commands = new ArrayList<>(records.size());
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.offset() < nextOffset) {
                continue; // read again after a seek: already applied and committed
            }
            if (record.offset() > nextOffset) {
                halt(shard, "log gap on shard " + shard.id + ": expected offset " + nextOffset + ", got " + record.offset());
                consumer.pause(List.of(shard.partition));
                return;
            }
            try {
                commands.add(Wire.readCommand(record.value()));
            } catch (RuntimeException e) {
                halt(shard, "unreadable record at offset " + record.offset() + ": " + e.getMessage());
                consumer.pause(List.of(shard.partition));
                return;
            }
            nextOffset = record.offset() + 1;
        }
        long started = System.nanoTime();
        Changes changes = new Changes();
        List<ShardStore.NewResult> results = new ArrayList<>();
        List<ShardStore.OutboxMessage> outbox = new ArrayList<>();
        try {
            refreshAssets(shard, commands);
            Map<String, Engine.StoredResult> foreign = store.foreignResults(shard.id, unknownIds(shard, commands));
            Set<String> foreignHolds = store.foreignHolds(shard.id, newHoldIds(shard, commands));
            for (Wire.CommandRecord command : commands) {
                Outcome outcome = applyOne(shard, command, foreign, foreignHolds, changes, outbox);
                if (outcome.kind() == Outcome.Kind.NEW) {
                    results.add(new ShardStore.NewResult(command.encoded(), outcome.result()));
                }
                outbox.add(new ShardStore.OutboxMessage(0, shard.id, "events", -1, command.command().id(),
                        Wire.event(command.replyTo(), command.correlation(), outcome)));
            }
            long now = clockMicros.getAsLong();
            for (int i = 0; i < 16 && shard.engine.nextExpiryMicros() <= now; i++) {
                shard.engine.apply(shard.engine.lastSeq() + 1, Math.max(now, shard.engine.lastAtMicros()), new Command.Tick(), changes);
            }
        } catch (ShardStore.Unavailable e) {
            failed(shard, "the store failed before commit: " + e.getMessage(), e);
            return;
        } catch (RuntimeException e) {
            // An invariant broke or a record could not be applied: never skip it.
            halt(shard, "applying offset " + shard.nextOffset + ".." + (nextOffset - 1) + " failed: " + e);
            shard.dirty = true;
            shard.engine = null;
            consumer.pause(List.of(shard.partition));
            return;
        }
        if (commands.isEmpty() && changes.history.isEmpty() && changes.holds.isEmpty()) {
            return;
        }
        long applied = System.nanoTime();
        try {
            store.commit(new ShardStore.ShardCommit(shard.id, shard.epoch, nextOffset, shard.engine.lastSeq(),
                    shard.engine.lastAtMicros(), changes.balances.values(), changes.holds.values(), results, changes.history, outbox));
        } catch (ShardStore.Fenced e) {
            log.warn("event=fenced instance={} shard={} epoch={} detail=\"{}\"", config.instanceId(), shard.id, shard.epoch, e.getMessage());
            consumer.pause(List.of(shard.partition));
            drop(shard.id, "fenced");
            return;
        } catch (RuntimeException e) {
            observer.writeFailed(shard.id, e.toString());
            failed(shard, "committing offsets " + shard.nextOffset + ".." + (nextOffset - 1) + " failed: " + e.getMessage(), e);
            return;
        }
        shard.nextOffset = nextOffset;
        shard.failures = 0;
        relay.wake();
        // "write" is the PostgreSQL transaction here, as it is the journal's fsync in embedded mode.
        observer.batchWritten(shard.id, commands.size(), 0, System.nanoTime() - applied, applied - started);
    }

    private Outcome applyOne(Shard shard, Wire.CommandRecord record, Map<String, Engine.StoredResult> foreign,
                             Set<String> foreignHolds, Changes changes, List<ShardStore.OutboxMessage> outbox) {
        Command command = record.command();
        Engine engine = shard.engine;
        Engine.StoredResult elsewhere = foreign.get(command.id());
        if (elsewhere != null) {
            return elsewhere.answer(command.id(), record.encoded());
        }
        long seq = engine.lastSeq() + 1;
        long at = Math.max(clockMicros.getAsLong(), engine.lastAtMicros());
        if (command instanceof Command.PlaceHold hold && foreignHolds.contains(hold.holdId())) {
            return engine.reject(seq, at, command, record.encoded(), Reason.HOLD_EXISTS, "hold " + hold.holdId() + " already exists");
        }
        if (command instanceof Command.Transfer transfer) {
            List<Leg> local = new ArrayList<>(transfer.legs().size());
            List<Integer> remote = new ArrayList<>();
            for (int i = 0; i < transfer.legs().size(); i++) {
                Leg leg = transfer.legs().get(i);
                if (!Names.isSystem(leg.to()) && shards.of(leg.to()) != shard.id) {
                    local.add(new Leg(leg.from(), Names.CLEARING, leg.asset(), leg.amount(), leg.holdId()));
                    remote.add(i);
                } else {
                    local.add(leg);
                }
            }
            if (!remote.isEmpty()) {
                // Step one of a transfer between shards: debit here into @clearing, and send each credit on
                // as its own command (an id no client can use), applied exactly once by the shard that owns it.
                Outcome outcome = engine.apply(seq, at, new Command.Transfer(transfer.id(), local), record.encoded(), changes);
                if (outcome.kind() == Outcome.Kind.NEW && outcome.result().applied()) {
                    for (int i : remote) {
                        Leg leg = transfer.legs().get(i);
                        Command credit = new Command.Transfer(Names.clearingCreditId(transfer.id(), i),
                                List.of(new Leg(Names.CLEARING, leg.to(), leg.asset(), leg.amount(), null)));
                        outbox.add(new ShardStore.OutboxMessage(0, shard.id, "commands", shards.of(leg.to()), leg.to(),
                                Wire.command("", 0, credit)));
                    }
                }
                return outcome;
            }
        }
        return engine.apply(seq, at, command, record.encoded(), changes);
    }

    private void refreshAssets(Shard shard, List<Wire.CommandRecord> commands) {
        Map<String, Integer> known = shard.engine.assetScales();
        for (Wire.CommandRecord record : commands) {
            for (String asset : assetsOf(record.command())) {
                if (!known.containsKey(asset)) {
                    store.assets().forEach((code, scale) -> {
                        if (!known.containsKey(code)) {
                            shard.engine.restoreAsset(code, scale);
                        }
                    });
                    return;
                }
            }
        }
    }

    private static List<String> assetsOf(Command command) {
        return switch (command) {
            case Command.Deposit d -> List.of(d.asset());
            case Command.Withdraw w -> List.of(w.asset());
            case Command.PlaceHold h -> List.of(h.asset());
            case Command.Adjust a -> List.of(a.asset());
            case Command.Transfer t -> t.legs().stream().map(Leg::asset).toList();
            default -> List.of();
        };
    }

    private static List<String> unknownIds(Shard shard, List<Wire.CommandRecord> commands) {
        List<String> ids = new ArrayList<>();
        for (Wire.CommandRecord record : commands) {
            String id = record.command().id();
            if (id != null && shard.engine.storedResult(id) == null) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static List<String> newHoldIds(Shard shard, List<Wire.CommandRecord> commands) {
        List<String> ids = new ArrayList<>();
        for (Wire.CommandRecord record : commands) {
            if (record.command() instanceof Command.PlaceHold hold && shard.engine.hold(hold.holdId()) == null) {
                ids.add(hold.holdId());
            }
        }
        return ids;
    }
}
