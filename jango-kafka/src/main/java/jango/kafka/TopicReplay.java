package jango.kafka;

import jango.engine.Archive;
import jango.engine.Engine;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Replays one shard's partition of the commands topic from offset 0 into a fresh engine, applying
 * each record exactly as the shard writer did: the time in the record (never earlier than the last),
 * with the shard's map, so a transfer between shards runs its part of the protocol again. The log carries every timestamp,
 * tick and asset registration, so this gives the shard's state at any offset without the store:
 * {@code jango audit} for distributed mode compares it with what PostgreSQL holds.
 */
public final class TopicReplay {
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;

    private TopicReplay() {
    }

    /**
     * The shard's engine after the records before {@code endOffset} (the store's committed
     * position). The archive answers for ids stored by other shards; the replay's own results go
     * into it as they are made.
     */
    public static Engine replay(String bootstrap, String topic, int shard, int shardCount, long endOffset, Archive archive,
                                Consumer<String> progress) {
        return replay(bootstrap, topic, shard, shardCount, endOffset, new Engine(0, archive, new Shards(shardCount).map(shard)),
                records -> { }, progress);
    }

    /**
     * As above, into {@code engine} (fresh, over the archive the caller chose), telling
     * {@code beforeBatch} the entries of each poll's records before any of them is applied (an archive over a
     * store fetches the ids they name in one query, as the shard writer does). The engine must be
     * made with the shard's map ({@link Shards#map}), so transfers between shards run as the writer ran them.
     */
    public static Engine replay(String bootstrap, String topic, int shard, int shardCount, long endOffset, Engine engine,
                                Consumer<List<Wire.CommandRecord>> beforeBatch, Consumer<String> progress) {
        TopicPartition partition = new TopicPartition(topic, shard);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(properties(bootstrap))) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, 0);
            long next = 0;
            long reportAt = System.nanoTime() + PROGRESS_EVERY_NANOS;
            List<Wire.CommandRecord> batch = new ArrayList<>();
            while (next < endOffset) {
                batch.clear();
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL).records(partition)) {
                    if (record.offset() >= endOffset) {
                        break;
                    }
                    if (record.offset() != next) {
                        throw new IllegalStateException("shard " + shard + ": offset " + record.offset() + " after " + (next - 1));
                    }
                    batch.addAll(Wire.readCommands(record.value(), record.timestamp()));
                    next = record.offset() + 1;
                }
                if (!batch.isEmpty()) {
                    beforeBatch.accept(batch);
                    for (Wire.CommandRecord record : batch) {
                        apply(engine, record);
                    }
                }
                if (System.nanoTime() > reportAt) {
                    reportAt = System.nanoTime() + PROGRESS_EVERY_NANOS;
                    progress.accept("replay: shard " + shard + " offset " + next + " of " + endOffset);
                }
            }
        }
        return engine;
    }

    private static void apply(Engine engine, Wire.CommandRecord record) {
        engine.execute(engine.lastSeq() + 1, Math.max(record.atMicros(), engine.lastAtMicros()), record.command(), record.value(),
                record.offset(), record.length());
    }

    private static Properties properties(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }
}
