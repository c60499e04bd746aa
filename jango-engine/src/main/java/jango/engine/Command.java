package jango.engine;

import java.util.List;

/**
 * A command as it stands in the log. Client commands carry the client's id (for idempotency);
 * {@link RegisterAsset} and {@link Tick} are written by the sequencer itself. Constructors check
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
