package jango.embedded;

import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.Decimal;
import jango.engine.EncodingArchive;
import jango.engine.Engine;
import jango.engine.EngineListener;
import jango.engine.Leg;
import jango.engine.Outcome;
import jango.engine.port.LedgerObserver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs in a child JVM with a small fixed heap ({@link BoundedMemoryTest}): millions of commands
 * through the engine alone, then through the embedded ledger (journal, index, snapshots), each id
 * new, holds placed and closed. Prints "bounded" and exits 0 when both finish; an
 * OutOfMemoryError (memory growing with the command count) ends it otherwise.
 */
public final class BoundedMemoryRun {
    private static final int USERS = 1_000;
    private static final int BATCH = 5_000;

    private BoundedMemoryRun() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        int engineCommands = Integer.parseInt(args[1]);
        int ledgerCommands = Integer.parseInt(args[2]);
        engineAlone(engineCommands);
        System.out.println("engine done: " + engineCommands + " commands, heap used " + usedMb() + " MB");
        throughTheLedger(dataDir, ledgerCommands);
        System.out.println("ledger done: " + ledgerCommands + " commands, heap used " + usedMb() + " MB");
        System.out.println("bounded");
    }

    private static void engineAlone(int commands) {
        Engine engine = new Engine(1 << 20, new EncodingArchive(1 << 20));
        long seq = 0;
        for (Command command : funding()) {
            engine.apply(++seq, 0, command, EngineListener.NONE);
        }
        for (int i = 0; i < commands; i++) {
            Command command = command(i);
            byte[] encoded = CommandCodec.encode(command);
            engine.execute(++seq, 1, command, encoded, 0, encoded.length);
            if (engine.applied().kind() != Outcome.Kind.NEW) {
                throw new IllegalStateException("entry " + i + ": " + engine.applied().kind());
            }
        }
        engine.checkInvariants();
    }

    private static void throughTheLedger(Path dataDir, int commands) throws Exception {
        EmbeddedConfig config = EmbeddedConfig.defaults(dataDir).withIdFilterBytes(1 << 20).withSnapshotEveryCommands(500_000);
        try (EmbeddedLedger ledger = EmbeddedLedger.open(config, LedgerObserver.NONE)) {
            ledger.submit(funding()).get(60, TimeUnit.SECONDS);
            for (int start = 0; start < commands; start += BATCH) {
                List<Command> batch = new ArrayList<>(BATCH);
                for (int i = start; i < Math.min(commands, start + BATCH); i++) {
                    batch.add(command(i));
                }
                for (Outcome outcome : ledger.submit(batch).get(60, TimeUnit.SECONDS)) {
                    if (outcome.kind() != Outcome.Kind.NEW) {
                        throw new IllegalStateException("a new id was answered " + outcome.kind());
                    }
                }
            }
            if (!ledger.stateSummary().invariantsHold()) {
                throw new IllegalStateException("invariants broke");
            }
        }
    }

    private static List<Command> funding() {
        List<Command> funding = new ArrayList<>();
        funding.add(new Command.RegisterAsset("BTC", 8));
        for (int u = 0; u < USERS; u++) {
            funding.add(new Command.Deposit("fund-" + u, user(u), "BTC", Decimal.parse("1000000", false)));
        }
        return funding;
    }

    /** Every third command places a hold, the next settles it, the next transfers: every id new, holds opened and closed. */
    private static Command command(int i) {
        String id = "c-" + i;
        int pair = i / 3;
        String holdId = "h-" + pair;
        String from = user(pair % USERS);
        String to = user((pair * 7 + 1) % USERS);
        return switch (i % 3) {
            case 0 -> new Command.PlaceHold(id, from, "BTC", Decimal.parse("0.002", false), holdId, Command.NO_EXPIRY);
            case 1 -> new Command.Transfer(id, List.of(new Leg(from, to, "BTC", Decimal.parse("0.002", false), holdId)));
            default -> new Command.Transfer(id, List.of(new Leg(to, from, "BTC", Decimal.parse("0.001", false), null)));
        };
    }

    private static String user(int u) {
        return "user-" + u;
    }

    private static long usedMb() {
        Runtime runtime = Runtime.getRuntime();
        return (runtime.totalMemory() - runtime.freeMemory()) >> 20;
    }
}
