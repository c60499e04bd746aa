package jango.kafka;

import jango.engine.BalanceChange;
import jango.engine.port.ChangeEvent;
import jango.engine.port.ChangeSubscriber;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Distributed mode's {@code Ledger.subscribe}: one thread per instance follows every partition of
 * the change-events topic (no consumer group: every instance sees every change), from its end as it
 * was when the first subscriber came, and hands each poll's changes to the subscribers. A change is
 * on the topic only after the commit that made it, so it is already readable through the ledger's
 * history. The relay publishes at least once: a subscriber drops what it has by revision.
 */
final class ChangeTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeTail.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int MAX_POLL_RECORDS = 5_000;

    private final DistributedConfig config;
    private final List<ChangeSubscriber> subscribers = new CopyOnWriteArrayList<>();
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private volatile boolean closing;

    ChangeTail(DistributedConfig config) {
        this.config = config;
    }

    /** Adds a subscriber; the first one starts the thread, at the topic's end as it is now. */
    synchronized AutoCloseable subscribe(ChangeSubscriber subscriber) {
        if (closing) {
            throw new IllegalStateException("the ledger is closing");
        }
        if (thread == null) {
            start();
        }
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    private void start() {
        consumer = new KafkaConsumer<>(properties(config));
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(config.changesTopic(), Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30))); // "now", before anything else is published
        thread = new Thread(this::run, "jango-change-tail");
        thread.setDaemon(true);
        thread.start();
        log.info("event=change_tail_started instance={} topic={} partitions={}", config.instanceId(), config.changesTopic(),
                partitions.size());
    }

    private void run() {
        while (!closing) {
            ConsumerRecords<String, byte[]> records;
            try {
                records = consumer.poll(POLL);
            } catch (WakeupException e) {
                break;
            } catch (KafkaException e) {
                log.warn("event=change_tail_failed instance={} error=\"{}\"", config.instanceId(), e.toString());
                Pause.millis(config.firstBackoff().toMillis());
                continue;
            }
            if (records.isEmpty()) {
                continue;
            }
            List<BalanceChange> changes = new ArrayList<>(records.count());
            for (ConsumerRecord<String, byte[]> record : records) {
                try {
                    changes.add(ChangeEvent.decode(record.value()).change());
                } catch (IllegalArgumentException e) {
                    log.error("event=change_unreadable partition={} offset={} error=\"{}\"", record.partition(), record.offset(), e.getMessage());
                }
            }
            for (ChangeSubscriber subscriber : subscribers) {
                try {
                    subscriber.changes(changes);
                } catch (RuntimeException e) {
                    log.warn("event=change_subscriber_failed error=\"{}\"", e.toString());
                }
            }
        }
        consumer.close(Duration.ofSeconds(2));
    }

    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            closing = true;
            running = thread;
        }
        if (running != null) {
            consumer.wakeup();
            try {
                running.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Properties properties(DistributedConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.instanceId() + "-changes");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }
}
