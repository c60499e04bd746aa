package jango.cli;

import jango.embedded.Audit;
import jango.engine.port.ShardStore;
import jango.kafka.DistributedAudit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Replay the log from its start and check the state it gives.",
                "embedded (default): the journal of a stopped (or copied) data directory; checks conservation per asset,",
                "no negative user balance, held = sum of open holds, snapshots = replay. Prints the state hash.",
                "distributed: each shard's partition of the commands topic, up to the offset its state in PostgreSQL was",
                "committed at, compared with that state's hash (a live cluster may be audited).",
                "Exit code 0 = PASS, 1 = FAIL, 2 = could not read the data."})
final class AuditCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "./data", description = "the data directory to audit (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--mode", defaultValue = "embedded", description = "embedded (default) or distributed")
    String mode;

    @Mixin
    DistributedOptions distributed;

    @Option(names = "--commands-topic", defaultValue = "jango.commands",
            description = "distributed mode: the commands topic (default: ${DEFAULT-VALUE})")
    String commandsTopic;

    @Override
    public Integer call() {
        return switch (mode) {
            case "embedded" -> embedded();
            case "distributed" -> distributed();
            default -> {
                System.err.println("jango: --mode " + mode + " is not a mode (expected: embedded or distributed)");
                yield 2;
            }
        };
    }

    private int embedded() {
        Audit.Report report;
        try {
            report = Audit.run(dataDir, line -> System.err.println(line));
        } catch (Exception e) {
            System.out.println("audit: ERROR " + e.getMessage());
            return 2;
        }
        System.out.println("audit: seq=" + report.seq() + " records=" + report.records() + " snapshots_checked=" + report.snapshotsChecked());
        for (Audit.AssetTotals asset : report.assets()) {
            System.out.println("audit: asset=" + asset.asset() + " users_available=" + decimal(asset.usersAvailable(), asset.scale())
                    + " users_held=" + decimal(asset.usersHeld(), asset.scale())
                    + " conservation=" + (asset.conserved() ? "ok" : "BROKEN sum=" + decimal(asset.allAccounts(), asset.scale())));
        }
        System.out.println("audit: state_hash=" + report.stateHash());
        for (String problem : report.problems()) {
            System.out.println("audit: PROBLEM " + problem);
        }
        System.out.println(report.passed() ? "audit: PASS" : "audit: FAIL (" + report.problems().size() + " problems)");
        return report.passed() ? 0 : 1;
    }

    private int distributed() {
        DistributedAudit.Report report;
        try (ShardStore store = distributed.openStore()) {
            report = DistributedAudit.run(distributed.kafka(), commandsTopic, store, line -> System.err.println(line));
        } catch (RuntimeException e) {
            System.out.println("audit: ERROR " + e.getMessage());
            return 2;
        }
        for (DistributedAudit.ShardReport shard : report.shards()) {
            System.out.println("audit: shard=" + shard.shard() + " offset=" + shard.offset() + " seq=" + shard.seq() + " results_checked="
                    + shard.resultsChecked() + " other_shards_holds_messages=" + shard.messagesOfTheMoment()
                    + " state_hash=" + shard.replayHash()
                    + (shard.storeHash().equals(shard.replayHash()) ? "" : " postgres_state_hash=" + shard.storeHash())
                    + " " + (shard.passed() ? "ok" : "FAIL"));
        }
        System.out.println("audit: postgres_all_shards state_hash=" + report.store().stateHash() + " invariants="
                + (report.store().invariantsHold() ? "ok" : "BROKEN"));
        for (String problem : report.problems()) {
            System.out.println("audit: PROBLEM " + problem);
        }
        System.out.println(report.passed() ? "audit: PASS" : "audit: FAIL (" + report.problems().size() + " problems)");
        return report.passed() ? 0 : 1;
    }

    private static String decimal(java.math.BigInteger minor, int scale) {
        return new BigDecimal(minor, scale).stripTrailingZeros().toPlainString();
    }
}
