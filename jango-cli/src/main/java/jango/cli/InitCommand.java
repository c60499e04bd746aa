package jango.cli;

import jango.engine.port.ShardStore;
import jango.kafka.DistributedConfig;
import jango.kafka.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Prepare distributed mode once: the schema and shard rows in PostgreSQL, and the Kafka topics.",
                "The shard count is the commands topic's partition count and is fixed from then on."})
final class InitCommand implements Callable<Integer> {
    @Mixin
    DistributedOptions distributed;

    @Option(names = "--partitions", defaultValue = "8", description = "number of shards (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--replication", defaultValue = "1", description = "topic replication factor (default: ${DEFAULT-VALUE}; 3 in production)")
    short replication;

    @Override
    public Integer call() {
        if (partitions < 1 || partitions > 1024) {
            System.err.println("jango init: --partitions " + partitions + " (expected: 1..1024)");
            return 2;
        }
        try (ShardStore store = distributed.openStore()) {
            int shards = store.init(partitions);
            if (shards != partitions) {
                System.out.println("jango init: the store already has " + shards + " shards; keeping them (not " + partitions + ")");
            }
            DistributedConfig config = distributed.distributedConfig();
            Topics.ensure(config, shards, replication);
            System.out.println("jango init: " + shards + (shards == 1 ? " shard" : " shards") + "; topics " + config.commandsTopic() + " and " + config.eventsTopic()
                    + " on " + config.bootstrap() + "; schema in " + distributed.postgres());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("jango init: " + e.getMessage());
            return 1;
        }
    }
}
