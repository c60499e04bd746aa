package jango.kafka;

import jango.engine.port.ShardStore;
import jango.writer.ChangeRows;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the outbox of the shards this instance owns: results and events to the events topic,
 * cross-shard credits to the commands topic, balance changes to the change-events topic. Rows are deleted only after the broker acknowledged
 * them, so a crash between the two publishes them again: at least once, and every consumer
 * dedupes (an API instance by correlation, a shard by command id). Woken after each commit; also
 * sweeps every half second, which is what publishes rows a crashed owner left behind.
 *
 * <p>The relay remembers, per shard, the last row the broker acknowledged and reads on after it, so
 * deleting published rows is off the path from a commit to its publication: they are deleted in one
 * transaction at most every {@link #DELETE_EVERY_MS} ms (and when the relay is idle), not one per
 * round. A shard taken (again) starts from its first row: rows published but not yet deleted are
 * published again, which every consumer already tolerates.
 *
 * <p>A commit wakes the relay for its own shard, and only that shard's outbox is read then (reading
 * every owned shard's on every commit was half the relay's reads, most of them empty); the sweep
 * reads every owned shard.
 */
final class OutboxRelay implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final int ROWS_PER_ROUND = 5_000;
    static final long DELETE_EVERY_MS = 200;
    /** Every owned shard's outbox is read at least this often (rows a crashed owner left, a wake-up lost to a failure). */
    private static final long SWEEP_EVERY_MS = 500;

    private final DistributedConfig config;
    private final ShardStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final Set<Integer> shards = ConcurrentHashMap.newKeySet();
    private final Semaphore wakeups = new Semaphore(0);
    /** Shards committed to since the relay last read their outbox. */
    private final Set<Integer> committed = ConcurrentHashMap.newKeySet();
    private long lastSweepNanos = System.nanoTime();
    /** Per owned shard: the id of the last row the broker acknowledged (relay thread; reset when the shard is taken). */
    private final Map<Integer, Long> publishedUpTo = new ConcurrentHashMap<>();
    /** Per shard: acknowledged rows not yet deleted (relay thread only). */
    private final Map<Integer, List<Long>> toDelete = new HashMap<>();
    private long lastDeleteNanos = System.nanoTime();
    private volatile boolean running = true;

    OutboxRelay(DistributedConfig config, ShardStore store, KafkaProducer<String, byte[]> producer) {
        this.config = config;
        this.store = store;
        this.producer = producer;
    }

    void own(int shard) {
        publishedUpTo.remove(shard);
        shards.add(shard);
    }

    void disown(int shard) {
        shards.remove(shard);
        publishedUpTo.remove(shard);
    }

    /** Shard {@code shard} committed: its new rows are published now, not at the next sweep. */
    void wake(int shard) {
        committed.add(shard);
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    void stop() {
        running = false;
        wakeups.release();
    }

    @Override
    public void run() {
        while (running) {
            try {
                wakeups.tryAcquire(SWEEP_EVERY_MS, TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            boolean sweep = System.nanoTime() - lastSweepNanos >= TimeUnit.MILLISECONDS.toNanos(SWEEP_EVERY_MS);
            if (sweep) {
                lastSweepNanos = System.nanoTime();
            }
            boolean idle = true;
            for (int shard : List.copyOf(shards)) {
                // Taken off before the read: a commit made while it reads marks the shard again.
                if (!committed.remove(shard) && !sweep) {
                    continue;
                }
                try {
                    int published;
                    while (running && (published = publish(shard)) > 0) {
                        idle = false;
                        if (published < ROWS_PER_ROUND) {
                            break;
                        }
                    }
                } catch (RuntimeException e) {
                    log.warn("event=outbox_publish_failed instance={} shard={} error=\"{}\" (the rows stay and are sent again)",
                            config.instanceId(), shard, e.toString());
                    Pause.millis(config.firstBackoff().toMillis());
                }
            }
            if (idle || System.nanoTime() - lastDeleteNanos > TimeUnit.MILLISECONDS.toNanos(DELETE_EVERY_MS)) {
                deletePublished();
            }
        }
        deletePublished();
    }

    /** Deletes the rows the broker acknowledged; on failure they stay listed and are tried again. */
    private void deletePublished() {
        lastDeleteNanos = System.nanoTime();
        for (var shard : toDelete.entrySet()) {
            if (shard.getValue().isEmpty()) {
                continue;
            }
            try {
                store.deleteOutbox(shard.getKey(), shard.getValue());
                shard.getValue().clear();
            } catch (RuntimeException e) {
                log.warn("event=outbox_delete_failed instance={} shard={} rows={} error=\"{}\" (tried again later)",
                        config.instanceId(), shard.getKey(), shard.getValue().size(), e.toString());
            }
        }
    }

    private int publish(int shard) {
        List<ShardStore.OutboxMessage> rows = store.outbox(shard, publishedUpTo.getOrDefault(shard, 0L), ROWS_PER_ROUND);
        if (rows.isEmpty()) {
            return 0;
        }
        // Each row's records; a row is acknowledged once all of them are.
        List<List<Future<RecordMetadata>>> sent = new ArrayList<>(rows.size());
        for (ShardStore.OutboxMessage row : rows) {
            sent.add(send(row));
        }
        producer.flush();
        List<Long> acknowledged = toDelete.computeIfAbsent(shard, s -> new ArrayList<>());
        RuntimeException failure = null;
        for (int i = 0; i < rows.size() && failure == null; i++) {
            try {
                for (Future<RecordMetadata> record : sent.get(i)) {
                    record.get();
                }
                acknowledged.add(rows.get(i).id());
                if (shards.contains(shard)) {
                    publishedUpTo.put(shard, rows.get(i).id());
                }
            } catch (Exception e) {
                failure = new IllegalStateException("the broker did not acknowledge outbox row " + rows.get(i).id() + ": " + e, e);
                // keep order: later rows are published again with this one
            }
        }
        if (failure != null) {
            throw failure;
        }
        return rows.size();
    }

    /**
     * One row's records: an answer or a command is one record; a row of change events is one record
     * per change, keyed by its owner, in the shard's own partition of the changes topic.
     */
    private List<Future<RecordMetadata>> send(ShardStore.OutboxMessage row) {
        if (row.topic().equals(ChangeRows.TOPIC)) {
            List<Future<RecordMetadata>> records = new ArrayList<>();
            ChangeRows.unpack(row.value(), (owner, event) ->
                    records.add(producer.send(new ProducerRecord<>(config.changesTopic(), row.partition(), owner, event))));
            return records;
        }
        String topic = row.topic().equals("commands") ? config.commandsTopic() : config.eventsTopic();
        Integer partition = row.partition() < 0 ? null : row.partition();
        return List.of(producer.send(new ProducerRecord<>(topic, partition, row.key(), row.value())));
    }
}
