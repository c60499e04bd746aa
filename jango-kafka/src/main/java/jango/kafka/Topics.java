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

/** Creates and checks the two topics. The commands topic's partition count is the shard count, fixed at init. */
public final class Topics {
    private Topics() {
    }

    /**
     * Creates the commands and events topics with {@code partitions} partitions if missing; an
     * existing commands topic must have exactly that many (shards cannot be re-counted in place).
     */
    public static void ensure(DistributedConfig config, int partitions, short replication) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(properties)) {
            for (String topic : List.of(config.commandsTopic(), config.eventsTopic())) {
                int existing = partitions(admin, topic);
                if (existing == 0) {
                    try {
                        // The log is the record of every command: never deleted by age or size.
                        admin.createTopics(List.of(new NewTopic(topic, partitions, replication).configs(Map.of(
                                "retention.ms", topic.equals(config.commandsTopic()) ? "-1" : String.valueOf(TimeUnit.DAYS.toMillis(7)),
                                "min.insync.replicas", String.valueOf(Math.max(1, replication - 1)))))).all().get();
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                    existing = partitions(admin, topic);
                }
                if (topic.equals(config.commandsTopic()) && existing != partitions) {
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
