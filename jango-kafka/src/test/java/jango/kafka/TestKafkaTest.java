package jango.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test broker itself: it starts, keeps acknowledged data across a crash and a graceful stop, and answers on the same port. */
class TestKafkaTest {
    private static final String TOPIC = "t4";
    private static final String LOAD = "load";

    @Test
    void producesAndConsumesAndKeepsTheDataAcrossKillAndRestart(@TempDir Path dir) throws Exception {
        TestKafka kafka = TestKafka.start(dir);
        try {
            System.out.printf("TestKafka: first start (format + start) %d ms on %s%n", kafka.lastStartTime().toMillis(), kafka.bootstrap());
            String bootstrap = kafka.bootstrap();
            kafka.createTopic(TOPIC, 4);
            kafka.createTopic(LOAD, 4);
            assertThat(kafka.admin().describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions()).hasSize(4);

            try (KafkaProducer<String, String> producer = producer(kafka)) {
                Set<Integer> partitions = produce(producer, 0, 200);
                assertThat(partitions).containsExactlyInAnyOrder(0, 1, 2, 3);
                try (KafkaConsumer<String, String> group = groupConsumer(kafka, "g1")) {
                    assertThat(poll(group, 200)).isEqualTo(expected(0, 200));
                    group.commitSync();
                }

                // A producer keeps sending through the crash and the restart.
                Load load = new Load(kafka);
                load.awaitAcks(200);
                long before = kafka.pid();
                kafka.kill();
                assertThat(kafka.isRunning()).isFalse();
                assertThat(ProcessHandle.of(before).map(ProcessHandle::isAlive).orElse(false)).isFalse();

                kafka.restart();
                System.out.printf("TestKafka: restart after kill -9 %d ms%n", kafka.lastStartTime().toMillis());
                assertThat(kafka.bootstrap()).isEqualTo(bootstrap);
                assertThat(readAll(kafka, TOPIC)).isEqualTo(expected(0, 200));

                // The producer from before the crash goes on (it reconnects; idempotence keeps its sequence).
                produce(producer, 200, 300);
                try (KafkaProducer<String, String> fresh = producer(kafka)) {
                    produce(fresh, 300, 400);
                }
                // The group's committed offsets survived: it resumes after what it consumed.
                try (KafkaConsumer<String, String> group = groupConsumer(kafka, "g1")) {
                    assertThat(poll(group, 200)).isEqualTo(expected(200, 400));
                    group.commitSync();
                }

                long ackedBefore = load.acked.size();
                load.awaitAcks(ackedBefore + 200);
                Set<String> acked = load.stop();
                System.out.printf("TestKafka: the load producer had %d records acknowledged across the kill and restart%n", acked.size());
                assertThat(load.failures).isEmpty();
                // Every acknowledged record is there, once (idempotence: no duplicates from the retries).
                assertThat(readAll(kafka, LOAD).keySet()).containsAll(acked);
            }

            kafka.stop();
            kafka.restart();
            System.out.printf("TestKafka: restart after a graceful stop %d ms%n", kafka.lastStartTime().toMillis());
            assertThat(readAll(kafka, TOPIC)).isEqualTo(expected(0, 400));
        } finally {
            long t0 = System.nanoTime();
            kafka.close();
            System.out.printf("TestKafka: close (graceful stop) %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }

        // Another instance on the same data (a new controller port: the quorum is static).
        try (TestKafka again = TestKafka.start(dir)) {
            System.out.printf("TestKafka: start on existing data %d ms%n", again.lastStartTime().toMillis());
            assertThat(readAll(again, TOPIC)).isEqualTo(expected(0, 400));
        }
    }

    @Test
    void aGivenPortIsUsedAndAFailedStartSaysWhy(@TempDir Path dir) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (TestKafka kafka = TestKafka.start(dir.resolve("a"), port)) {
            assertThat(kafka.bootstrap()).isEqualTo("127.0.0.1:" + port);
            kafka.createTopic("one", 1);
            try (KafkaProducer<String, String> producer = producer(kafka)) {
                producer.send(new ProducerRecord<>("one", "k", "v")).get(30, TimeUnit.SECONDS);
            }
            // Same port taken: start fails at once and says so.
            assertThatThrownBy(() -> TestKafka.start(dir.resolve("b"), port, Map.of()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port).hasMessageContaining("in use");
        }
        // A broker that cannot start: the failure carries the tail of its output.
        assertThatThrownBy(() -> TestKafka.start(dir.resolve("c"), 0, Map.of("num.io.threads", "many")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited").hasMessageContaining("num.io.threads");
    }

    /** A producer thread sending l0, l1, ... to {@link #LOAD} without waiting, about one per ms, recording what is acknowledged. */
    private static final class Load {
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final List<Exception> failures = new CopyOnWriteArrayList<>();
        private final KafkaProducer<String, String> producer;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Load(TestKafka kafka) {
            producer = producer(kafka);
            thread = Thread.ofPlatform().name("load").start(() -> {
                for (int i = 0; running.get(); i++) {
                    String key = "l" + i;
                    producer.send(new ProducerRecord<>(LOAD, key, key), (metadata, error) -> {
                        if (error == null) {
                            acked.add(key);
                        } else {
                            failures.add(error);
                        }
                    });
                    LockSupport.parkNanos(1_000_000);
                }
            });
        }

        void awaitAcks(long count) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acked.size() < count) {
                assertThat(System.nanoTime()).as("load acks: " + acked.size() + " of " + count + ", failures " + failures).isLessThan(deadline);
                LockSupport.parkNanos(10_000_000);
            }
        }

        /** Stops sending, waits for every outstanding send, and returns what was acknowledged. */
        Set<String> stop() throws InterruptedException {
            running.set(false);
            thread.join();
            producer.flush();
            producer.close();
            return Set.copyOf(acked);
        }
    }

    private static KafkaProducer<String, String> producer(TestKafka kafka) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> groupConsumer(TestKafka kafka, String group) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(TOPIC));
        return consumer;
    }

    /** Sends [from, to) keyed k<i> = v<i> and waits for every ack; returns the partitions written. */
    private static Set<Integer> produce(KafkaProducer<String, String> producer, int from, int to) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            acks.add(producer.send(new ProducerRecord<>(TOPIC, "k" + i, "v" + i)));
        }
        Set<Integer> partitions = new HashSet<>();
        for (Future<RecordMetadata> ack : acks) {
            partitions.add(ack.get(60, TimeUnit.SECONDS).partition());
        }
        return partitions;
    }

    private static Map<String, String> expected(int from, int to) {
        Map<String, String> m = new TreeMap<>();
        for (int i = from; i < to; i++) {
            m.put("k" + i, "v" + i);
        }
        return m;
    }

    /** Polls until {@code count} records (failing after 30 s), key -> value; a key seen twice fails. */
    private static Map<String, String> poll(KafkaConsumer<String, String> consumer, int count) {
        Map<String, String> seen = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < count) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                assertThat(seen.put(r.key(), r.value())).as("duplicate " + r.key()).isNull();
            }
            assertThat(System.nanoTime()).as("consumed " + seen.size() + " of " + count).isLessThan(deadline);
        }
        return seen;
    }

    /** Everything in the topic, read from the beginning of every partition without a group; a key twice fails. */
    private static Map<String, String> readAll(TestKafka kafka, String topic) {
        Properties p = kafka.clientProperties();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long total = end.values().stream().mapToLong(Long::longValue).sum();
            return poll(consumer, Math.toIntExact(total));
        }
    }
}
