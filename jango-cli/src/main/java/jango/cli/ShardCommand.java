package jango.cli;

import jango.engine.port.ShardStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "shard", mixinStandardHelpOptions = true,
        description = "Distributed mode operations on shards: status, and resume after a halt.",
        subcommands = {ShardCommand.Status.class, ShardCommand.Resume.class})
final class ShardCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Each shard's owner, epoch, position and halt reason.")
    static final class Status implements Callable<Integer> {
        @Mixin
        DistributedOptions distributed;

        @Override
        public Integer call() {
            try (ShardStore store = distributed.openStore()) {
                System.out.printf("%-6s %-8s %-24s %-12s %-12s %s%n", "shard", "epoch", "owner", "offset", "seq", "status");
                for (ShardStore.ShardRow row : store.shardRows()) {
                    System.out.printf("%-6d %-8d %-24s %-12d %-12d %s%n", row.shard(), row.epoch(), row.owner(), row.nextOffset(),
                            row.lastSeq(), row.haltedReason() == null ? "UP" : "HALTED: " + row.haltedReason());
                }
                return 0;
            } catch (RuntimeException e) {
                System.err.println("jango shard status: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Let a halted shard go on from where it stopped (its owner reloads it within a second).")
    static final class Resume implements Callable<Integer> {
        @Mixin
        DistributedOptions distributed;

        @Parameters(index = "0", paramLabel = "N", description = "the shard")
        int shard;

        @Override
        public Integer call() {
            try (ShardStore store = distributed.openStore()) {
                if (shard < 0 || shard >= store.shardCount()) {
                    System.err.println("jango shard resume: shard " + shard + " does not exist (0.." + (store.shardCount() - 1) + ")");
                    return 2;
                }
                store.setHalted(shard, null);
                System.out.println("jango shard resume: shard " + shard + " cleared; its owner resumes it");
                return 0;
            } catch (RuntimeException e) {
                System.err.println("jango shard resume: " + e.getMessage());
                return 1;
            }
        }
    }
}
