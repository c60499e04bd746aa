package jango.cli;

import jango.server.keys.ApiKey;
import jango.server.keys.ApiKeys;
import jango.server.keys.Scope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code jango keys create|list|revoke}: API keys with scopes, stored as hashes in the keys file. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"API keys: create (prints the secret once), list, revoke.",
                "Only a hash of each secret is stored. A running server picks up changes within a second.",
                "Once the keys file exists, every request needs a key (Authorization: Bearer <key>)."},
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Where the keys are: --keys-file, or <data-dir>/keys as jango serve finds them. */
    static class Location {
        @Option(names = "--data-dir", defaultValue = "./data", description = "the server's data directory (default: ${DEFAULT-VALUE})")
        Path dataDir;

        @Option(names = "--keys-file", description = "the keys file (default: <data-dir>/keys)")
        Path keysFile;

        ApiKeys keys() {
            return new ApiKeys(keysFile != null ? keysFile : dataDir.resolve("keys"));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key and print its secret (shown this once).")
    static final class Create extends Location implements Callable<Integer> {
        @Option(names = "--scopes", required = true, split = ",",
                description = "commands:write, read, admin (admin may do everything), comma-separated")
        String[] scopes;

        @Option(names = "--owner-prefix", description = "bind the key to owners whose id starts with this: it then reads only their balances and history (scopes: read)")
        String ownerPrefix;

        @Override
        public Integer call() {
            Set<Scope> parsed = EnumSet.noneOf(Scope.class);
            try {
                for (String scope : scopes) {
                    parsed.add(Scope.parse(scope.trim()));
                }
                ApiKeys keys = keys();
                String secret = keys.create(parsed, ownerPrefix, Clock.systemUTC());
                System.out.println(secret);
                System.err.println("keys: created key " + secret.split("_")[1] + " in " + keys.file()
                        + " (keep the secret: only its hash is stored)");
                return 0;
            } catch (IllegalArgumentException e) {
                System.err.println("keys: " + e.getMessage());
                return 2;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys: id, scopes, owner prefix, created, revoked (never secrets).")
    static final class ListKeys extends Location implements Callable<Integer> {
        @Override
        public Integer call() {
            ApiKeys keys = keys();
            System.out.printf("%-12s %-28s %-16s %-24s %s%n", "ID", "SCOPES", "OWNER PREFIX", "CREATED", "REVOKED");
            for (ApiKey key : keys.list()) {
                StringBuilder scopes = new StringBuilder();
                key.scopes().forEach(scope -> scopes.append(scopes.isEmpty() ? "" : ",").append(scope.text()));
                System.out.printf("%-12s %-28s %-16s %-24s %s%n", key.id(), scopes, key.ownerPrefix() == null ? "-" : key.ownerPrefix(),
                        key.createdAt(), key.revoked() ? key.revokedAt() : "-");
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by its id: requests with it are then 401.")
    static final class Revoke extends Location implements Callable<Integer> {
        @Parameters(index = "0", description = "the key's id (jango keys list)")
        String id;

        @Override
        public Integer call() {
            if (!keys().revoke(id, Clock.systemUTC())) {
                System.err.println("keys: no key with id " + id);
                return 1;
            }
            System.err.println("keys: revoked " + id);
            return 0;
        }
    }
}
