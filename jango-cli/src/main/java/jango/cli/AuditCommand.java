package jango.cli;

import jango.embedded.Audit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Replay the journal of a stopped (or copied) data directory and check the money laws:",
                "conservation per asset, no negative user balance, held = sum of open holds, snapshots = replay.",
                "Prints the state hash. Exit code 0 = PASS, 1 = FAIL, 2 = could not read the data."})
final class AuditCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "./data", description = "the data directory to audit (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Override
    public Integer call() {
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

    private static String decimal(java.math.BigInteger minor, int scale) {
        return new BigDecimal(minor, scale).stripTrailingZeros().toPlainString();
    }
}
