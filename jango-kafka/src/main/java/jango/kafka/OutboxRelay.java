package jango.kafka;

import jango.engine.port.ShardStore;
import jango.writer.ChangeRows;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
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
 */
final class OutboxRelay implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final int ROWS_PER_ROUND = 5_000;

    private final DistributedConfig config;
    private final ShardStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final Set<Integer> shards = ConcurrentHashMap.newKeySet();
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running = true;

    OutboxRelay(DistributedConfig config, ShardStore store, KafkaProducer<String, byte[]> producer) {
        this.config = config;
        this.store = store;
        this.producer = producer;
    }

    void own(int shard) {
        shards.add(shard);
    }

    void disown(int shard) {
        shards.remove(shard);
    }

    void wake() {
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
                wakeups.tryAcquire(500, TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            for (int shard : List.copyOf(shards)) {
                try {
                    while (running && publish(shard) == ROWS_PER_ROUND) {
                        // a full round: more are waiting
                    }
                } catch (RuntimeException e) {
                    log.warn("event=outbox_publish_failed instance={} shard={} error=\"{}\" (the rows stay and are sent again)",
                            config.instanceId(), shard, e.toString());
                    Pause.millis(config.firstBackoff().toMillis());
                }
            }
        }
    }

    private int publish(int shard) {
        List<ShardStore.OutboxMessage> rows = store.outbox(shard, ROWS_PER_ROUND);
        if (rows.isEmpty()) {
            return 0;
        }
        // Each row's records; a row is acknowledged once all of them are.
        List<List<Future<RecordMetadata>>> sent = new ArrayList<>(rows.size());
        for (ShardStore.OutboxMessage row : rows) {
            sent.add(send(row));
        }
        producer.flush();
        List<Long> acknowledged = new ArrayList<>(rows.size());
        RuntimeException failure = null;
        for (int i = 0; i < rows.size() && failure == null; i++) {
            try {
                for (Future<RecordMetadata> record : sent.get(i)) {
                    record.get();
                }
                acknowledged.add(rows.get(i).id());
            } catch (Exception e) {
                failure = new IllegalStateException("the broker did not acknowledge outbox row " + rows.get(i).id() + ": " + e, e);
                // keep order: later rows are published again with this one
            }
        }
        if (!acknowledged.isEmpty()) {
            store.deleteOutbox(shard, acknowledged);
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
