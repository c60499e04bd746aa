package jango.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point: {@code ./jango serve | channel | audit | bench | soak | jmh | bank-sim | reconcile ...}. */
@Command(name = "jango", mixinStandardHelpOptions = true, version = "jango 0.1.0",
        description = "Jango (잔고): a balance service that records every change to every asset of every user, exactly once.",
        subcommands = {ServeCommand.class, ChannelCommand.class, KeysCommand.class, InitCommand.class, ShardCommand.class,
                AuditCommand.class, BenchCommand.class, SoakCommand.class, JmhCommand.class, BankSimCommand.class,
                ReconcileCommand.class, CommandLine.HelpCommand.class})
public final class Jango implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Jango()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
