package jango.cli;

import jango.embedded.EmbeddedConfig;
import jango.embedded.EmbeddedLedger;
import jango.server.JangoMetrics;
import jango.server.JangoServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the service (embedded mode: journal and state under --data-dir, nothing else to install).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data-dir", defaultValue = "./data", description = "where the journal, snapshots and history live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on, 0 for any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--mode", defaultValue = "embedded", description = "embedded (default); distributed is not built yet")
    String mode;

    @Override
    public Integer call() throws Exception {
        if (!mode.equals("embedded")) {
            System.err.println("jango: --mode " + mode + " is not available in this build (only: embedded)");
            return 2;
        }
        JangoMetrics metrics = new JangoMetrics();
        EmbeddedLedger ledger;
        try {
            ledger = EmbeddedLedger.open(EmbeddedConfig.defaults(dataDir.toAbsolutePath()), metrics);
        } catch (java.io.IOException e) {
            // Corruption, a lock held by another process, a full or read-only disk: say which, plainly.
            log.error("event=start_failed data_dir={}", dataDir.toAbsolutePath(), e);
            System.err.println("jango: cannot open the data directory " + dataDir.toAbsolutePath() + ": " + e.getMessage());
            return 1;
        }
        metrics.bind(ledger);
        JangoServer server;
        try {
            server = new JangoServer(ledger, metrics, host, port).start();
        } catch (RuntimeException e) {
            ledger.close();
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println("jango: cannot listen on " + host + ":" + port + ": " + cause.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("event=stopping");
            server.close();
            ledger.close();
            stopped.countDown();
        }, "jango-shutdown"));
        // A line scripts and tests can wait for.
        System.out.println("jango: listening on http://" + host + ":" + server.port() + " data-dir=" + dataDir.toAbsolutePath());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
