package jango.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A command for the ledger (shared/API.md). Every command carries your {@code id}: the first time
 * it is applied its result is stored, and the same id with the same command returns that result
 * again, so the client retries with it safely. Use a new id only for a new command, never for a
 * retry. Amounts are exact ({@link BigDecimal}); they are sent as plain decimal strings.
 */
public sealed interface Command {
    /** Your id for this command: [A-Za-z0-9._:-]{1,64}. */
    String id();

    /** {@code @external} -> account.available */
    record Deposit(String id, String account, String asset, BigDecimal amount) implements Command {
        public Deposit {
            Checks.require(id, "id", account, "account", asset, "asset");
            Checks.positive(amount, "amount");
        }
    }

    /** account.available -> {@code @external} */
    record Withdraw(String id, String account, String asset, BigDecimal amount) implements Command {
        public Withdraw {
            Checks.require(id, "id", account, "account", asset, "asset");
            Checks.positive(amount, "amount");
        }
    }

    /** available -> held under {@code hold}; {@code expiresAt} null for no expiry. */
    record Hold(String id, String account, String asset, BigDecimal amount, String hold, Instant expiresAt) implements Command {
        public Hold {
            Checks.require(id, "id", account, "account", asset, "asset");
            Checks.require(hold, "hold");
            Checks.positive(amount, "amount");
        }

        public Hold(String id, String account, String asset, BigDecimal amount, String hold) {
            this(id, account, asset, amount, hold, null);
        }
    }

    /** held -> available; {@code amount} null releases all that is left. */
    record Release(String id, String hold, BigDecimal amount) implements Command {
        public Release {
            Checks.require(id, "id", hold, "hold");
            if (amount != null) {
                Checks.positive(amount, "amount");
            }
        }

        public Release(String id, String hold) {
            this(id, hold, null);
        }
    }

    /** All legs or none (1..16). */
    record Transfer(String id, List<Leg> legs) implements Command {
        public Transfer {
            Checks.require(id, "id");
            Objects.requireNonNull(legs, "legs");
            legs = List.copyOf(legs);
        }

        /** One leg: {@code from -> to}. */
        public Transfer(String id, String from, String to, String asset, BigDecimal amount) {
            this(id, List.of(new Leg(from, to, asset, amount)));
        }
    }

    /** One posting of a transfer; {@code hold} (optional) is debited instead of available. */
    record Leg(String from, String to, String asset, BigDecimal amount, String hold) {
        public Leg {
            Checks.require(from, "from", to, "to", asset, "asset");
            Checks.positive(amount, "amount");
        }

        public Leg(String from, String to, String asset, BigDecimal amount) {
            this(from, to, asset, amount, null);
        }
    }

    /** A signed correction against {@code @adjustments}, with the operator's reason. */
    record Adjust(String id, String account, String asset, BigDecimal amount, String reason) implements Command {
        public Adjust {
            Checks.require(id, "id", account, "account", asset, "asset");
            Checks.require(reason, "reason");
            Objects.requireNonNull(amount, "amount");
            Checks.wellFormed(reason, "reason");
        }
    }
}
