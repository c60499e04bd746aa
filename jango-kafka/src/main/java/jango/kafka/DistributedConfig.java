package jango.kafka;

import java.time.Duration;
import java.util.UUID;

/**
 * Distributed mode's settings. {@code sessionTimeout} bounds how long a silent instance keeps its
 * shards before the group moves them; {@code answerTimeout} how long an API call waits for its
 * shard's answer (then 503: the command may still be applied, a retry with the same id is safe).
 */
public record DistributedConfig(String bootstrap, String commandsTopic, String eventsTopic, String group,
                                String instanceId, Duration sessionTimeout, Duration answerTimeout,
                                int maxBatch, int retries, Duration firstBackoff) {

    public static DistributedConfig defaults(String bootstrap) {
        return new DistributedConfig(bootstrap, "jango.commands", "jango.events", "jango-shards",
                "jango-" + UUID.randomUUID().toString().substring(0, 8), Duration.ofSeconds(10), Duration.ofSeconds(10),
                5_000, 5, Duration.ofMillis(100));
    }

    /**
     * The change-events topic: every applied balance change, partition = shard, key = owner. Named
     * after the commands topic ({@code jango.commands} -> {@code jango.changes}).
     */
    public String changesTopic() {
        return changesTopic(commandsTopic);
    }

    public static String changesTopic(String commandsTopic) {
        String suffix = ".commands";
        return (commandsTopic.endsWith(suffix) ? commandsTopic.substring(0, commandsTopic.length() - suffix.length())
                : commandsTopic) + ".changes";
    }

    public DistributedConfig withInstanceId(String id) {
        return new DistributedConfig(bootstrap, commandsTopic, eventsTopic, group, id, sessionTimeout, answerTimeout,
                maxBatch, retries, firstBackoff);
    }

    public DistributedConfig withTopics(String commands, String events, String groupId) {
        return new DistributedConfig(bootstrap, commands, events, groupId, instanceId, sessionTimeout, answerTimeout,
                maxBatch, retries, firstBackoff);
    }

    public DistributedConfig withSessionTimeout(Duration timeout) {
        return new DistributedConfig(bootstrap, commandsTopic, eventsTopic, group, instanceId, timeout, answerTimeout,
                maxBatch, retries, firstBackoff);
    }

    public DistributedConfig withAnswerTimeout(Duration timeout) {
        return new DistributedConfig(bootstrap, commandsTopic, eventsTopic, group, instanceId, sessionTimeout, timeout,
                maxBatch, retries, firstBackoff);
    }
}
