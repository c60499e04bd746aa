package jango.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates and checks the topics. The commands topic's partition count is the shard count, fixed at
 * init; the change-events topic has one partition per shard too (a shard's changes go to its own
 * partition, in its order).
 */
public final class Topics {
    private Topics() {
    }

    /**
     * Creates the commands, events and change-events topics with {@code partitions} partitions if
     * missing; an existing commands or changes topic must have exactly that many (shards cannot be
     * re-counted in place). The commands and changes topics are kept forever: the log is the record of
     * every command, and a projection is rebuilt from the changes from their start.
     */
    public static void ensure(DistributedConfig config, int partitions, short replication) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(properties)) {
            for (String topic : List.of(config.commandsTopic(), config.eventsTopic(), config.changesTopic())) {
                boolean kept = !topic.equals(config.eventsTopic());
                int existing = partitions(admin, topic);
                if (existing == 0) {
                    try {
                        // The log is the record of every command: never deleted by age or size.
                        admin.createTopics(List.of(new NewTopic(topic, partitions, replication).configs(Map.of(
                                "retention.ms", kept ? "-1" : String.valueOf(TimeUnit.DAYS.toMillis(7)),
                                "min.insync.replicas", String.valueOf(Math.max(1, replication - 1)))))).all().get();
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                    existing = created(admin, topic);
                }
                if (kept && existing != partitions) {
                    throw new IllegalStateException("topic " + topic + " has " + existing + " partitions but the store has "
                            + partitions + " shards: they must be equal (chosen once, at jango init)");
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create or read topics on " + config.bootstrap() + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** A topic just made may not be described at once (its metadata spreads): waits for it, at most 10 s. */
    private static int created(Admin admin, String topic) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int partitions = partitions(admin, topic);
        while (partitions == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            partitions = partitions(admin, topic);
        }
        return partitions;
    }

    private static int partitions(Admin admin, String topic) throws InterruptedException, ExecutionException {
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            return description.partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return 0;
            }
            throw e;
        }
    }
}
