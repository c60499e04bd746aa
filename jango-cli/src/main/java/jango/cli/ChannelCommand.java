package jango.cli;

import jango.channel.Channel;
import jango.channel.ChannelConfig;
import jango.channel.ChannelDb;
import jango.channel.ChannelStore;
import jango.channel.LedgerClient;
import jango.channel.Resync;
import jango.channel.TopicChangeSource;
import jango.postgres.PgConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code jango channel}: the channel copy of history, a separate process with its own PostgreSQL. */
@Command(name = "channel", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The channel side's copy of history in its own PostgreSQL, fed from the ledger's change feed:",
                "cursor-paged history, likely duplicate transfers, gaps repaired from the ledger (see docs/channel.md)."},
        subcommands = {ChannelCommand.ResyncCommand.class})
final class ChannelCommand implements Callable<Integer> {

    /** Where the ledger and the channel's database are. */
    static final class Where {
        @Option(names = "--ledger", defaultValue = "http://127.0.0.1:8080", description = "the ledger (jango serve) (default: ${DEFAULT-VALUE})")
        String ledger;

        @Option(names = "--postgres", paramLabel = "JDBC_URL",
                description = "the channel's PostgreSQL, e.g. jdbc:postgresql://127.0.0.1:5432/channel (env JANGO_CHANNEL_POSTGRES)")
        String postgres;

        @Option(names = "--pg-user", description = "database user (env JANGO_CHANNEL_PG_USER; default jango)")
        String user;

        @Option(names = "--pg-password", description = "database password (env JANGO_CHANNEL_PG_PASSWORD; default jango)")
        String password;

        PgConfig pg() {
            String url = pick(postgres, "JANGO_CHANNEL_POSTGRES");
            if (url == null) {
                throw new IllegalArgumentException("the channel needs --postgres JDBC_URL (or JANGO_CHANNEL_POSTGRES)");
            }
            String name = pick(user, "JANGO_CHANNEL_PG_USER");
            String secret = pick(password, "JANGO_CHANNEL_PG_PASSWORD");
            return PgConfig.of(url, name == null ? "jango" : name, secret == null ? "jango" : secret).withPoolSize(4);
        }

        private static String pick(String option, String env) {
            if (option != null && !option.isBlank()) {
                return option;
            }
            String value = System.getenv(env);
            return value == null || value.isBlank() ? null : value;
        }
    }

    @Mixin
    Where where;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address of the channel's API (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8090", description = "port of the channel's API, 0 for any (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--kafka", paramLabel = "HOST:PORT",
            description = "distributed mode: follow the change-events topic on this broker instead of the ledger's HTTP feed (env JANGO_KAFKA)")
    String kafka;

    @Option(names = "--changes-topic", defaultValue = "jango.changes",
            description = "with --kafka: the change-events topic (default: ${DEFAULT-VALUE})")
    String changesTopic;

    @Option(names = "--duplicate-window-seconds", defaultValue = "600",
            description = "transfers with the same payer, payee, asset and amount this close are flagged (default: ${DEFAULT-VALUE})")
    long duplicateWindowSeconds;

    @Override
    public Integer call() throws Exception {
        Channel channel;
        try {
            ChannelConfig config = ChannelConfig.defaults(where.ledger, where.pg()).withListen(host, port)
                    .withDuplicateWindowMs(duplicateWindowSeconds * 1_000);
            String broker = kafka != null && !kafka.isBlank() ? kafka : System.getenv("JANGO_KAFKA");
            channel = Channel.start(config, broker == null || broker.isBlank() ? null
                    : new TopicChangeSource(broker, changesTopic, config.feedMaxBackoffMs()));
        } catch (RuntimeException | java.sql.SQLException e) {
            System.err.println("jango channel: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            channel.close();
            stopped.countDown();
        }, "jango-channel-shutdown"));
        System.out.println("jango channel: listening on http://" + host + ":" + channel.port() + " ledger=" + where.ledger
                + " position=" + channel.position());
        System.out.flush();
        stopped.await();
        return 0;
    }

    @Command(name = "resync", mixinStandardHelpOptions = true,
            description = {"Compares the copy with the ledger, account by account (entries and a checksum per asset),",
                    "and rewrites what differs from the ledger. Exit 0: equal (after the rewrite); 1: differences remain (--dry-run)."})
    static final class ResyncCommand implements Callable<Integer> {
        @Mixin
        Where where;

        @Option(names = "--dry-run", description = "only compare, change nothing")
        boolean dryRun;

        @Option(names = "--account", description = "only this account (repeatable); default every account")
        List<String> accounts;

        @Override
        public Integer call() {
            try (ChannelDb db = ChannelDb.open(where.pg())) {
                Resync.Result result = new Resync(new LedgerClient(where.ledger, 60_000), new ChannelStore(db, 0)).run(dryRun, accounts);
                result.differences().forEach(d -> System.out.println("differs: " + d));
                System.out.printf("resync: %d accounts, %d account assets compared, %d differed%s%n", result.accounts(), result.assets(),
                        result.differing(), dryRun ? " (dry run: nothing changed)" : ", " + result.rowsRewritten() + " rows rewritten");
                System.out.println(result.equal() ? "resync: EQUAL" : dryRun ? "resync: DIFFERENT" : "resync: REWRITTEN");
                return result.equal() || !dryRun ? 0 : 1;
            } catch (Exception e) {
                System.err.println("jango channel resync: " + e.getMessage());
                return 1;
            }
        }
    }
}
