package jango.streams.feed;

import jango.engine.BalanceChange;
import jango.engine.Names;
import jango.engine.port.ChangeEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Distributed mode's {@link ChangeFeed}: the change-events topic ({@code <prefix>.changes}), where
 * partition {@code s} holds shard {@code s}'s changes in its order. A position is the next offset of
 * each partition, {@code "o0,o1,..."}, and a read never stops inside a log entry of a partition
 * (each change tells its index among its entry's changes and their count). Nothing is lost between
 * the ledger and the topic (the outbox publishes each change at least once, committed with the
 * batch), so the feed has no holes; a republished change comes again under its
 * {@link FeedChunk.Origin}, and every follower drops what it has by revision.
 *
 * <p>Reads borrow one of at most {@link #POOL} consumers (waiting at most 10 s), so the threads
 * that read (webhook ingest, admin-feed followers) cost a bounded number of connections.
 * {@code systemOwners} false leaves system owners' changes out (the channel copy: they have an
 * account per shard, with its own revisions); the position moves past them all the same.
 */
public final class TopicChangeFeed implements ChangeFeed, AutoCloseable {
    static final int POOL = 4;
    private static final long BORROW_WAIT_MS = 10_000;
    private static final Duration MORE = Duration.ofMillis(5);
    private static final Duration REST_OF_ENTRY = Duration.ofMillis(50);
    /** Polls one read makes at most (each of up to {@link #MAX_POLL_RECORDS}): bounds its time and memory. */
    private static final int MAX_POLLS = 50;
    private static final int MAX_POLL_RECORDS = 2_000;
    private static final Duration DEFAULT_WAIT = Duration.ofMillis(50);

    /** Lists accounts for {@link #accounts}: the ledger's user owners. */
    @FunctionalInterface
    public interface Accounts {
        List<String> after(String after, int limit);
    }

    private final String bootstrap;
    private final String topic;
    private final boolean systemOwners;
    private final Accounts accounts;
    private final List<TopicPartition> partitions;
    private final BlockingQueue<KafkaConsumer<String, byte[]>> idle = new ArrayBlockingQueue<>(POOL);
    private final AtomicInteger made = new AtomicInteger();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private TopicChangeFeed(String bootstrap, String topic, boolean systemOwners, Accounts accounts,
                            KafkaConsumer<String, byte[]> first, List<TopicPartition> partitions) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.systemOwners = systemOwners;
        this.accounts = accounts;
        this.partitions = partitions;
        made.set(1);
        idle.add(first);
    }

    /**
     * @param accounts lists the accounts the feed carries, or null when nobody asks (the channel process)
     * @throws IllegalStateException when the topic does not exist (jango init makes it)
     */
    public static TopicChangeFeed open(String bootstrap, String topic, boolean systemOwners, Accounts accounts) {
        KafkaConsumer<String, byte[]> consumer = newConsumer(bootstrap);
        List<TopicPartition> partitions = new ArrayList<>();
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            for (PartitionInfo info : infos == null ? List.<PartitionInfo>of() : infos) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        } catch (KafkaException e) {
            consumer.close();
            throw new IllegalStateException("cannot read topic " + topic + " on " + bootstrap + ": " + e, e);
        }
        if (partitions.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrap + " (jango init, or the ledger's first start, makes it)");
        }
        partitions.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
        consumer.assign(partitions);
        return new TopicChangeFeed(bootstrap, topic, systemOwners, accounts, consumer, List.copyOf(partitions));
    }

    public String topic() {
        return topic;
    }

    public int partitions() {
        return partitions.size();
    }

    @Override
    public String start() {
        return withConsumer(consumer -> format(consumer.beginningOffsets(partitions, Duration.ofSeconds(10))));
    }

    @Override
    public String end() {
        return withConsumer(consumer -> format(consumer.endOffsets(partitions, Duration.ofSeconds(10))));
    }

    @Override
    public void check(String position) {
        long[] offsets = parse(position);
        withConsumer(consumer -> {
            Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, Duration.ofSeconds(10));
            for (TopicPartition partition : partitions) {
                long kept = first.get(partition);
                if (offsets[partition.partition()] < kept) {
                    throw new FeedTruncatedException("partition " + partition.partition() + " of " + topic + " keeps offsets from " + kept
                            + " on; " + position + " is older (resync)");
                }
            }
            return null;
        });
    }

    @Override
    public FeedChunk read(String after, int maxChanges) {
        return read(after, maxChanges, DEFAULT_WAIT);
    }

    /** As {@link #read(String, int)}, waiting at most {@code wait} for the first change when none is there. */
    public FeedChunk read(String after, int maxChanges, Duration wait) {
        long[] from = parse(after);
        List<List<ConsumerRecord<String, byte[]>>> polled = withConsumer(consumer -> poll(consumer, from, maxChanges, wait));
        return chunk(from, polled);
    }

    private List<List<ConsumerRecord<String, byte[]>>> poll(KafkaConsumer<String, byte[]> consumer, long[] from, int maxChanges,
                                                          Duration wait) {
        List<List<ConsumerRecord<String, byte[]>>> byPartition = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            consumer.seek(partition, from[partition.partition()]);
            byPartition.add(new ArrayList<>());
        }
        int total = 0;
        boolean complete = true;
        try {
            for (int polls = 0; polls < MAX_POLLS; polls++) {
                // The rest of an entry is on its way (the relay sends a row's changes together): wait a little for it.
                ConsumerRecords<String, byte[]> records = consumer.poll(polls == 0 ? wait : complete ? MORE : REST_OF_ENTRY);
                if (records.isEmpty()) {
                    if (complete) {
                        break;
                    }
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    byPartition.get(record.partition()).add(record);
                }
                total += records.count();
                complete = entriesComplete(byPartition);
                if (total >= maxChanges && complete) {
                    break;
                }
            }
        } catch (OffsetOutOfRangeException e) {
            throw new FeedTruncatedException("the topic " + topic + " no longer keeps " + format(from) + " (resync): " + e.getMessage());
        }
        return byPartition;
    }

    /** Whether every partition's records end with the last change of an entry. */
    private static boolean entriesComplete(List<List<ConsumerRecord<String, byte[]>>> byPartition) {
        for (List<ConsumerRecord<String, byte[]>> records : byPartition) {
            if (!records.isEmpty()) {
                ChangeEvent last = ChangeEvent.decode(records.get(records.size() - 1).value());
                if (last.index() != last.count() - 1) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The changes of whole entries, partition by partition, and the position after them. */
    private FeedChunk chunk(long[] from, List<List<ConsumerRecord<String, byte[]>>> byPartition) {
        List<BalanceChange> changes = new ArrayList<>();
        List<FeedChunk.Origin> origins = new ArrayList<>();
        long[] next = from.clone();
        for (List<ConsumerRecord<String, byte[]>> records : byPartition) {
            List<ChangeEvent> events = new ArrayList<>(records.size());
            int whole = 0; // records up to here end with a complete entry
            for (int i = 0; i < records.size(); i++) {
                ChangeEvent event;
                try {
                    event = ChangeEvent.decode(records.get(i).value());
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("unreadable change at offset " + records.get(i).offset() + " of partition "
                            + records.get(i).partition() + " of " + topic + ": " + e.getMessage(), e);
                }
                events.add(event);
                if (event.index() == event.count() - 1) {
                    whole = i + 1;
                }
            }
            for (int i = 0; i < whole; i++) {
                ChangeEvent event = events.get(i);
                if (systemOwners || !Names.isSystem(event.change().account())) {
                    changes.add(event.change());
                    origins.add(new FeedChunk.Origin(event.shard(), event.index(), event.scale()));
                }
            }
            if (whole > 0) {
                ConsumerRecord<String, byte[]> last = records.get(whole - 1);
                next[last.partition()] = last.offset() + 1;
            }
        }
        return new FeedChunk(changes, List.of(), format(next), origins);
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void published() {
        for (Runnable listener : listeners) {
            listener.run();
        }
    }

    @Override
    public List<String> accounts(String after, int limit) {
        return accounts == null ? List.of() : accounts.after(after, limit);
    }

    // ---- positions -----------------------------------------------------------------------------

    private String format(Map<TopicPartition, Long> offsets) {
        long[] values = new long[partitions.size()];
        for (TopicPartition partition : partitions) {
            values[partition.partition()] = offsets.get(partition);
        }
        return format(values);
    }

    private static String format(long[] offsets) {
        StringBuilder text = new StringBuilder();
        for (long offset : offsets) {
            if (!text.isEmpty()) {
                text.append(',');
            }
            text.append(offset);
        }
        return text.toString();
    }

    /** @throws IllegalArgumentException for a position that is not one offset per partition */
    long[] parse(String position) {
        String[] parts = position == null ? new String[0] : position.split(",", -1);
        if (parts.length != partitions.size()) {
            throw new IllegalArgumentException("\"" + abbreviate(position) + "\" (expected: " + partitions.size()
                    + " offsets separated by commas, one per partition of " + topic + ")");
        }
        long[] offsets = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                offsets[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                offsets[i] = -1;
            }
            if (offsets[i] < 0) {
                throw new IllegalArgumentException("\"" + abbreviate(position) + "\": offset " + i + " is not a number >= 0");
            }
        }
        return offsets;
    }

    private static String abbreviate(String value) {
        return value == null ? "null" : value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }

    // ---- consumers -----------------------------------------------------------------------------

    private interface Work<T> {
        T with(KafkaConsumer<String, byte[]> consumer);
    }

    private <T> T withConsumer(Work<T> work) {
        KafkaConsumer<String, byte[]> consumer = borrow();
        boolean healthy = false;
        try {
            T result = work.with(consumer);
            healthy = true;
            return result;
        } catch (FeedTruncatedException | IllegalArgumentException e) {
            healthy = true;
            throw e;
        } finally {
            release(consumer, healthy);
        }
    }

    private KafkaConsumer<String, byte[]> borrow() {
        if (closed) {
            throw new IllegalStateException("the change feed is closed");
        }
        KafkaConsumer<String, byte[]> consumer = idle.poll();
        if (consumer != null) {
            return consumer;
        }
        if (made.incrementAndGet() <= POOL) {
            consumer = newConsumer(bootstrap);
            consumer.assign(partitions);
            return consumer;
        }
        made.decrementAndGet();
        try {
            consumer = idle.poll(BORROW_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a reader of " + topic);
        }
        if (consumer == null) {
            throw new IllegalStateException("all " + POOL + " readers of " + topic + " stayed busy for " + BORROW_WAIT_MS + " ms");
        }
        return consumer;
    }

    /** Back to the pool; one that failed is closed (a new one is made when needed). */
    private void release(KafkaConsumer<String, byte[]> consumer, boolean healthy) {
        if (healthy && !closed && idle.offer(consumer)) {
            return;
        }
        made.decrementAndGet();
        consumer.close(Duration.ofSeconds(1));
    }

    private static KafkaConsumer<String, byte[]> newConsumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A position the topic no longer keeps is the follower's to resync, never silently skipped.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<String, byte[]> consumer;
        while ((consumer = idle.poll()) != null) {
            consumer.close(Duration.ofSeconds(1));
        }
    }
}
