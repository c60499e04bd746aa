package jango.cli;

import jango.bank.sim.BankSimulator;
import jango.bank.sim.FaultPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

@Command(name = "bank-sim", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Simulated banks for the bank gateway: each listens on its own port, speaks the firm-banking telegrams,",
                "keeps its own books, misbehaves on a seeded schedule or on command, and writes end-of-day statements.",
                "Control API on --control-port: GET /banks/{bank}/books, POST /banks/{bank}/faults | deposits | end-of-day",
                "(docs/banking.md). Business rules: a receiving account starting with 999 is closed, 000 does not exist,",
                "and the recipient name MISMATCH never matches."})
final class BankSimCommand implements Callable<Integer> {

    @Option(names = "--bank", paramLabel = "CODE:PORT", required = true,
            description = "a bank to simulate, e.g. 004:9401 (repeat for more; port 0 = any free port)")
    List<String> banks;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address of the control API (default: ${DEFAULT-VALUE}); banks listen on 127.0.0.1")
    String host;

    @Option(names = "--control-port", defaultValue = "9400", description = "port of the control API, 0 for any (default: ${DEFAULT-VALUE})")
    int controlPort;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the fault schedule; bank i uses seed + i (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--faults", defaultValue = "none",
            description = {"how often to misbehave, e.g. drop=0.02,duplicate=0.02,disconnect=0.005,refuse=0.02,delay=0.01,delay-ms=2000,",
                    "inquiry-drop=0.01,duplicate-notice=0.05,stall-every-ms=20000,stall-ms=1500,maintenance-every-ms=30000,maintenance-ms=1000",
                    "(default: ${DEFAULT-VALUE})"})
    String faults;

    @Option(names = "--statement-dir", defaultValue = "./statements", description = "where end-of-day statements are written (default: ${DEFAULT-VALUE})")
    Path statementDir;

    @Override
    public Integer call() throws Exception {
        List<BankSimulator.BankSpec> specs;
        FaultPlan plan;
        try {
            specs = banks.stream().map(BankSimulator.BankSpec::parse).toList();
            plan = FaultPlan.parse(faults);
        } catch (IllegalArgumentException e) {
            System.err.println("jango bank-sim: " + e.getMessage());
            return 2;
        }
        BankSimulator sim;
        try {
            sim = BankSimulator.start(specs, host, controlPort, plan, seed, statementDir.toAbsolutePath());
        } catch (Exception e) {
            System.err.println("jango bank-sim: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stopped.countDown();
        }, "bank-sim-shutdown"));
        // A line scripts and tests can wait for.
        System.out.println("jango bank-sim: listening on http://" + host + ":" + sim.controlPort() + " banks="
                + sim.banks().stream().map(b -> b.code() + "@127.0.0.1:" + b.port()).collect(Collectors.joining(",")));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
