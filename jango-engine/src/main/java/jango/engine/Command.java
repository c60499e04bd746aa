package jango.engine;

import java.util.List;

/**
 * A command as it stands in the log. Client commands carry the client's id (for idempotency);
 * {@link RegisterAsset} and {@link Tick} are written by the sequencer itself, {@link Protocol}
 * records by the engines of other shards. Constructors check
 * shapes again, so a command decoded from the log is as well formed as one from the edge.
 */
public sealed interface Command {

    /** The client's command id, or null for sequencer entries. */
    String id();

    /** The name of the type in the API and in history entries. */
    String type();

    /** "No expiry" for holds. */
    long NO_EXPIRY = Long.MAX_VALUE;

    record Deposit(String id, String account, String asset, Decimal amount) implements Command {
        public Deposit {
            checkClient(id);
            Names.check(Names.OWNER, account, "account");
            Names.check(Names.ASSET, asset, "asset");
            checkPositive(amount);
        }

        @Override
        public String type() {
            return "deposit";
        }
    }

    record Withdraw(String id, String account, String asset, Decimal amount) implements Command {
        public Withdraw {
            checkClient(id);
            Names.check(Names.OWNER, account, "account");
            Names.check(Names.ASSET, asset, "asset");
            checkPositive(amount);
        }

        @Override
        public String type() {
            return "withdraw";
        }
    }

    /** Moves available to held under {@code holdId}; {@code expiresAtMicros} or {@link #NO_EXPIRY}. */
    record PlaceHold(String id, String account, String asset, Decimal amount, String holdId, long expiresAtMicros)
            implements Command {
        public PlaceHold {
            checkClient(id);
            Names.check(Names.OWNER, account, "account");
            Names.check(Names.ASSET, asset, "asset");
            checkPositive(amount);
            Names.check(Names.ID, holdId, "hold");
        }

        @Override
        public String type() {
            return "hold";
        }
    }

    /** Moves held back to available; {@code amount == null} releases all that is left. */
    record Release(String id, String holdId, Decimal amount) implements Command {
        public Release {
            checkClient(id);
            Names.check(Names.ID, holdId, "hold");
            if (amount != null) {
                checkPositive(amount);
            }
        }

        @Override
        public String type() {
            return "release";
        }
    }

    record Transfer(String id, List<Leg> legs) implements Command {
        public Transfer {
            checkClient(id);
            if (legs == null || legs.isEmpty() || legs.size() > Names.MAX_LEGS) {
                throw new IllegalArgumentException("legs: " + (legs == null ? 0 : legs.size()) + " (expected: 1.." + Names.MAX_LEGS + ")");
            }
            legs = List.copyOf(legs);
        }

        @Override
        public String type() {
            return "transfer";
        }
    }

    /** A signed correction against {@code @adjustments}, with the operator's reason. */
    record Adjust(String id, String account, String asset, Decimal amount, String reason) implements Command {
        public Adjust {
            checkClient(id);
            Names.check(Names.OWNER, account, "account");
            Names.check(Names.ASSET, asset, "asset");
            if (amount == null || amount.signum() == 0) {
                throw new IllegalArgumentException("amount: must be non-zero");
            }
            if (reason == null || reason.isBlank() || reason.length() > Names.MAX_REASON_LENGTH) {
                throw new IllegalArgumentException("reason: must be 1.." + Names.MAX_REASON_LENGTH + " characters");
            }
            if (Names.unpairedSurrogate(reason) >= 0) {
                throw new IllegalArgumentException("reason: is not valid Unicode (an unpaired surrogate)");
            }
        }

        @Override
        public String type() {
            return "adjust";
        }
    }

    /** Registers an asset (PUT /v1/assets/{code}); goes through the log so it is ordered and durable. */
    record RegisterAsset(String code, int scale) implements Command {
        public RegisterAsset {
            Names.check(Names.ASSET, code, "code");
            if (scale < 0 || scale > Names.MAX_SCALE) {
                throw new IllegalArgumentException("scale: " + scale + " (expected: 0.." + Names.MAX_SCALE + ")");
            }
        }

        @Override
        public String id() {
            return null;
        }

        @Override
        public String type() {
            return "registerAsset";
        }
    }

    /** Lets time pass in the engine: holds whose expiry is at or before the entry's time expire. */
    record Tick() implements Command {
        @Override
        public String id() {
            return null;
        }

        @Override
        public String type() {
            return "expire";
        }
    }

    /**
     * A record of the protocol by which shards apply a transfer that crosses them, written by one
     * shard's engine into its outbox and applied by another's (docs/distributed.md, "Multi-shard
     * transfers"). The edge never accepts one: its id, {@code #t#a#K#s} (the client's transfer id,
     * the attempt, the kind, the participant shard), starts with '#', which no client id may.
     */
    sealed interface Protocol extends Command permits Prepare, Vote, Commit, Abort, Done {
        String transferId();

        int attempt();

        /** The participant shard the record is for (Prepare, Commit, Abort) or from (Vote, Done). */
        int shard();
    }

    /** The coordinator asks participant {@code shard} to reserve its part of legs {@code [0, limit)}. */
    record Prepare(String id, String transferId, int attempt, int shard, int coordinator, long deadlineMicros, int limit,
                   List<Leg> legs) implements Protocol {
        public Prepare {
            checkProtocol(id, transferId, attempt, Names.PREPARE, shard);
            if (legs == null || legs.isEmpty() || legs.size() > Names.MAX_LEGS || limit < 1 || limit > legs.size()) {
                throw new IllegalArgumentException("legs: " + (legs == null ? 0 : legs.size()) + ", limit " + limit
                        + " (expected: 1.." + Names.MAX_LEGS + " legs, limit 1..legs)");
            }
            checkShard(coordinator, "coordinator");
            legs = List.copyOf(legs);
        }

        @Override
        public String type() {
            return "prepare";
        }
    }

    /** Participant {@code shard}'s answer to a Prepare: YES (reserved), NO (a leg failed) or LATE (past the deadline). */
    record Vote(String id, String transferId, int attempt, int shard, int vote, int failKey, Reason reason, String message)
            implements Protocol {
        public static final int YES = 1;
        public static final int NO = 2;
        public static final int LATE = 3;

        public Vote {
            checkProtocol(id, transferId, attempt, Names.VOTE, shard);
            if (vote < YES || vote > LATE || (vote == NO) != (reason != null)) {
                throw new IllegalArgumentException("vote: " + vote + " with reason " + reason + " (expected: 1..3, a reason exactly for NO)");
            }
        }

        @Override
        public String type() {
            return "vote";
        }
    }

    /** Coordinator {@code coordinator} tells participant {@code shard} to take what it reserved. */
    record Commit(String id, String transferId, int attempt, int shard, int coordinator) implements Protocol {
        public Commit {
            checkProtocol(id, transferId, attempt, Names.COMMIT, shard);
            checkShard(coordinator, "coordinator");
        }

        @Override
        public String type() {
            return "commit";
        }
    }

    /** Coordinator {@code coordinator} tells participant {@code shard} to give back what it reserved. */
    record Abort(String id, String transferId, int attempt, int shard, int coordinator) implements Protocol {
        public Abort {
            checkProtocol(id, transferId, attempt, Names.ABORT, shard);
            checkShard(coordinator, "coordinator");
        }

        @Override
        public String type() {
            return "abort";
        }
    }

    /** Participant {@code shard} ended its part; when committed, with its accounts of the transfer after the commit. */
    record Done(String id, String transferId, int attempt, int shard, boolean committed, List<BalanceView> balances)
            implements Protocol {
        public Done {
            checkProtocol(id, transferId, attempt, Names.DONE, shard);
            if (balances == null || balances.size() > 2 * Names.MAX_LEGS || (!committed && !balances.isEmpty())) {
                throw new IllegalArgumentException("balances: " + (balances == null ? null : balances.size())
                        + " (expected: up to " + 2 * Names.MAX_LEGS + ", none when aborted)");
            }
            balances = List.copyOf(balances);
        }

        @Override
        public String type() {
            return "done";
        }
    }

    private static void checkProtocol(String id, String transferId, int attempt, char kind, int shard) {
        Names.check(Names.ID, transferId, "transferId");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: 1 or more)");
        }
        checkShard(shard, "shard");
        if (id == null || !id.equals(Names.protocolId(transferId, attempt, kind, shard))) {
            throw new IllegalArgumentException("id: " + id + " (expected: " + Names.protocolId(transferId, attempt, kind, shard) + ")");
        }
    }

    private static void checkShard(int shard, String what) {
        if (shard < 0 || shard >= Names.MAX_SHARDS) {
            throw new IllegalArgumentException(what + ": " + shard + " (expected: 0.." + (Names.MAX_SHARDS - 1) + ")");
        }
    }

    private static void checkClient(String id) {
        if (!Names.isClearingCreditId(id)) {
            Names.check(Names.ID, id, "id");
        }
    }

    private static void checkPositive(Decimal amount) {
        if (amount == null || amount.signum() <= 0) {
            throw new IllegalArgumentException("amount: must be positive");
        }
    }
}
