package jango.kafka;

import jango.engine.Outcome;
import jango.engine.port.LedgerObserver;
import jango.engine.port.ShardStatus;
import jango.engine.port.ShardStore;
import jango.engine.port.TransfersInFlight;
import jango.writer.RetryPolicy;
import jango.writer.ShardLoop;
import jango.writer.ShardStoreState;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;

/**
 * The shard writers of one instance, on one thread that owns the Kafka consumer. The consumer
 * group hands this instance some partitions; each becomes a {@link ShardLoop} (the same writer loop
 * as embedded mode) over a {@link PartitionLog} and a {@link ShardStoreState}: it takes the shard in
 * the store with a new epoch (fencing the previous owner), loads its state, and reads the partition
 * from the offset stored with that state. Each poll's records go to their shard's log; each shard's
 * loop then applies what it has and commits it in ONE transaction with the new offset. Kafka
 * offsets are never committed to Kafka.
 *
 * <p>A shard whose writer lost ownership (fenced) is dropped. A halted shard resumes when an operator
 * clears its halt in the store (admin endpoint or {@code jango shard resume}); a halt that could not
 * be recorded (the database was down) is recorded as soon as the database is back.
 */
final class ShardWriters implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ShardWriters.class);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final long RESUME_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Records buffered for one shard before its partition is paused until the writer catches up. */
    private static final int MAX_BUFFERED = 50_000;
    private static final long STALL_MS = 5_000;

    private record Owned(TopicPartition partition, PartitionLog log, ShardStoreState state, ShardLoop loop) {
    }

    private final DistributedConfig config;
    private final ShardStore store;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final OutboxRelay relay;
    private final LongSupplier clockMicros;
    private final LedgerObserver observer;
    private final ObjLongConsumer<Outcome> localAnswers;
    private final Map<Integer, Owned> owned = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private long lastResumeCheck = System.nanoTime();

    ShardWriters(DistributedConfig config, ShardStore store, KafkaConsumer<String, byte[]> consumer,
                 KafkaProducer<String, byte[]> producer, OutboxRelay relay, LongSupplier clockMicros, LedgerObserver observer,
                 ObjLongConsumer<Outcome> localAnswers) {
        this.localAnswers = localAnswers;
        this.config = config;
        this.store = store;
        this.consumer = consumer;
        this.producer = producer;
        this.relay = relay;
        this.clockMicros = clockMicros;
        this.observer = observer;
    }

    /** The shards this instance owns and has loaded now, halted ones not; any thread. */
    Set<Integer> loadedShards() {
        return ownedWhere(o -> o.log().loaded() && o.loop().haltReason() == null);
    }

    /** The shards this instance owns and has halted now (loaded, or halted while loading); any thread. */
    Set<Integer> haltedShards() {
        return ownedWhere(o -> o.loop().haltReason() != null);
    }

    private Set<Integer> ownedWhere(java.util.function.Predicate<Owned> test) {
        Set<Integer> shards = new TreeSet<>();
        owned.forEach((shard, o) -> {
            if (test.test(o)) {
                shards.add(shard);
            }
        });
        return shards;
    }

    /** Why a shard this instance owns halted, or null; any thread. */
    String haltReason(int shard) {
        Owned o = owned.get(shard);
        return o == null ? null : o.loop().haltReason();
    }

    /** The status of a shard this instance owns (halted, stalled, up), or null when another instance owns it. */
    ShardStatus status(int shard) {
        Owned o = owned.get(shard);
        return o == null ? null : o.loop().status();
    }

    /** Transfers between shards in flight on the shards this instance owns; any thread. */
    TransfersInFlight transfersInFlight() {
        TransfersInFlight sum = TransfersInFlight.NONE;
        for (Owned o : owned.values()) {
            sum = sum.plus(o.loop().transfersInFlight());
        }
        return sum;
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
                for (TopicPartition partition : records.partitions()) {
                    Owned shard = owned.get(partition.partition());
                    if (shard != null) {
                        shard.log().offer(records.records(partition));
                    }
                }
                for (Owned shard : List.copyOf(owned.values())) {
                    turn(shard);
                }
                checkResumes();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("event=writer_failed instance={} error=\"{}\"", config.instanceId(), e.toString(), e);
            owned.values().forEach(o -> o.loop().halt("writer thread failed: " + e));
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("event=consumer_close_failed error=\"{}\"", e.toString());
            }
        }
    }

    /**
     * Applies what the shard has buffered: a turn is one batch, so it goes on while records wait and
     * batches get applied (a shard backing off after a failure gets its next turn after the next poll).
     */
    private void turn(Owned shard) throws InterruptedException {
        long before;
        do {
            before = shard.loop().appliedSeq();
            shard.loop().turn(0);
            if (shard.loop().lostOwnership() != null) {
                drop(shard.partition().partition(), "fenced");
                return;
            }
        } while (shard.log().buffered() > 0 && shard.loop().appliedSeq() != before && running);
        if (shard.log().buffered() > MAX_BUFFERED) {
            consumer.pause(List.of(shard.partition()));
        } else if (shard.log().loaded() && shard.loop().haltReason() == null) {
            consumer.resume(List.of(shard.partition()));
        }
    }

    // ---- ownership ----------------------------------------------------------------------------

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                int shard = partition.partition();
                ShardStoreState state = new ShardStoreState(store, shard, config.instanceId());
                PartitionLog partitionLog = new PartitionLog(shard, partition, consumer, producer,
                        config.commandsTopic(), state, relay, System::nanoTime, config.instanceId(), localAnswers);
                ShardLoop loop = new ShardLoop(shard, partitionLog, state, new RetryPolicy(config.retries(),
                        config.firstBackoff().toMillis()), clockMicros, observer, STALL_MS);
                owned.put(shard, new Owned(partition, partitionLog, state, loop));
                relay.own(shard);
                log.info("event=shard_assigned instance={} shard={}", config.instanceId(), shard);
            }
            // Nothing is read until the shard is taken in the store and the consumer moved to its offset.
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

    private void drop(int shard, String why) {
        Owned dropped = owned.remove(shard);
        relay.disown(shard);
        if (dropped != null) {
            consumer.pause(List.of(dropped.partition()));
            log.info("event=shard_released instance={} shard={} why={} epoch={}", config.instanceId(), shard, why,
                    dropped.state().epoch());
        }
    }

    /** A halted shard resumes once an operator clears its halt in the store (admin endpoint or jango shard resume). */
    private void checkResumes() {
        if (System.nanoTime() - lastResumeCheck < RESUME_CHECK_NANOS) {
            return;
        }
        lastResumeCheck = System.nanoTime();
        boolean anyHalted = false;
        for (Owned shard : owned.values()) {
            String reason = shard.loop().haltReason();
            if (reason != null) {
                anyHalted = true;
                if (!shard.state().haltRecorded()) {
                    shard.state().recordHalt(reason); // the database is back: only an operator may clear the halt now
                }
            }
        }
        if (!anyHalted) {
            return;
        }
        List<ShardStore.ShardRow> rows;
        try {
            rows = store.shardRows();
        } catch (ShardStore.Unavailable e) {
            return;
        }
        for (ShardStore.ShardRow row : rows) {
            Owned shard = owned.get(row.shard());
            if (shard != null && shard.loop().haltReason() != null && shard.state().haltRecorded() && row.haltedReason() == null) {
                shard.loop().resume();
            }
        }
    }
}
