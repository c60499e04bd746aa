package jango.server;

import com.google.protobuf.Message;
import jango.api.v1.Adjust;
import jango.api.v1.Deposit;
import jango.api.v1.PlaceHold;
import jango.api.v1.Release;
import jango.api.v1.Transfer;
import jango.api.v1.Withdraw;
import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;
import jango.engine.Names;

import java.util.ArrayList;
import java.util.List;

/**
 * A jango.v1 command into an engine command, as strictly as the JSON parser: a field left empty is
 * missing, unknown fields (a newer client's) are refused, names must match their patterns and
 * amounts are decimal strings. Every refusal is {@link Malformed} naming the field by its proto
 * path ({@code commands[3].transfer.legs[0].amount}).
 */
final class ProtoCommands {
    /** 1970-01-01 .. 9999-12-31T23:59:59.999999Z, the range RFC 3339 times have in the JSON API. */
    private static final long MAX_EXPIRY_MICROS = 253_402_300_799_999_999L;

    private ProtoCommands() {
    }

    static Command command(jango.api.v1.Command command, String path) {
        noUnknownFields(command, path);
        String id = name(command.getId(), path, "id", Names.ID);
        return switch (command.getTypeCase()) {
            case DEPOSIT -> {
                Deposit d = command.getDeposit();
                String at = CommandParser.field(path, "deposit");
                noUnknownFields(d, at);
                yield new Command.Deposit(id, name(d.getAccount(), at, "account", Names.OWNER), name(d.getAsset(), at, "asset", Names.ASSET),
                        amount(d.getAmount(), at, "amount", false));
            }
            case WITHDRAW -> {
                Withdraw w = command.getWithdraw();
                String at = CommandParser.field(path, "withdraw");
                noUnknownFields(w, at);
                yield new Command.Withdraw(id, name(w.getAccount(), at, "account", Names.OWNER), name(w.getAsset(), at, "asset", Names.ASSET),
                        amount(w.getAmount(), at, "amount", false));
            }
            case HOLD -> hold(id, command.getHold(), CommandParser.field(path, "hold"));
            case RELEASE -> {
                Release r = command.getRelease();
                String at = CommandParser.field(path, "release");
                noUnknownFields(r, at);
                Decimal amount = r.hasAmount() ? amount(r.getAmount(), at, "amount", false) : null;
                yield new Command.Release(id, name(r.getHold(), at, "hold", Names.ID), amount);
            }
            case TRANSFER -> new Command.Transfer(id, legs(command.getTransfer(), CommandParser.field(path, "transfer")));
            case ADJUST -> {
                Adjust a = command.getAdjust();
                String at = CommandParser.field(path, "adjust");
                noUnknownFields(a, at);
                String reason = text(a.getReason(), at, "reason");
                if (reason.isBlank() || reason.length() > Names.MAX_REASON_LENGTH) {
                    throw new Malformed(CommandParser.name(at, "reason") + "must be 1.." + Names.MAX_REASON_LENGTH + " characters, not blank");
                }
                yield new Command.Adjust(id, name(a.getAccount(), at, "account", Names.OWNER), name(a.getAsset(), at, "asset", Names.ASSET),
                        amount(a.getAmount(), at, "amount", true), reason);
            }
            case TYPE_NOT_SET -> throw new Malformed(CommandParser.name(path, "type")
                    + "is missing (expected one of: deposit, withdraw, hold, release, transfer, adjust)");
        };
    }

    private static Command hold(String id, PlaceHold h, String at) {
        noUnknownFields(h, at);
        long expiresAt = Command.NO_EXPIRY;
        if (h.hasExpiresAtMicros()) {
            expiresAt = h.getExpiresAtMicros();
            if (expiresAt < 0 || expiresAt > MAX_EXPIRY_MICROS) {
                throw new Malformed(CommandParser.name(at, "expires_at_micros") + expiresAt + " is outside 1970..9999");
            }
        }
        return new Command.PlaceHold(id, name(h.getAccount(), at, "account", Names.OWNER), name(h.getAsset(), at, "asset", Names.ASSET),
                amount(h.getAmount(), at, "amount", false), name(h.getHold(), at, "hold", Names.ID), expiresAt);
    }

    private static List<Leg> legs(Transfer transfer, String at) {
        noUnknownFields(transfer, at);
        int count = transfer.getLegsCount();
        if (count == 0 || count > Names.MAX_LEGS) {
            throw new Malformed(CommandParser.name(at, "legs") + "has " + count + " legs (expected: 1.." + Names.MAX_LEGS + ")");
        }
        List<Leg> legs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            jango.api.v1.Leg leg = transfer.getLegs(i);
            String legPath = CommandParser.field(at, "legs") + "[" + i + "]";
            noUnknownFields(leg, legPath);
            String hold = leg.hasHold() ? name(leg.getHold(), legPath, "hold", Names.ID) : null;
            legs.add(new Leg(name(leg.getFrom(), legPath, "from", Names.OWNER), name(leg.getTo(), legPath, "to", Names.OWNER),
                    name(leg.getAsset(), legPath, "asset", Names.ASSET), amount(leg.getAmount(), legPath, "amount", false), hold));
        }
        return legs;
    }

    /** A name field: empty is missing; otherwise it must match its pattern. */
    static String name(String value, String path, String field, Names.Shape shape) {
        text(value, path, field);
        if (!shape.matches(value)) {
            throw new Malformed(CommandParser.name(path, field) + "\"" + CommandParser.abbreviate(value) + "\" does not match " + shape.pattern());
        }
        return value;
    }

    private static String text(String value, String path, String field) {
        if (value.isEmpty()) {
            throw new Malformed(CommandParser.name(path, field) + "is missing");
        }
        return CommandParser.wellFormed(value, path, field);
    }

    private static Decimal amount(String value, String path, String field, boolean signed) {
        text(value, path, field);
        try {
            return Decimal.parse(value, signed);
        } catch (IllegalArgumentException e) {
            throw new Malformed(CommandParser.name(path, field) + e.getMessage());
        }
    }

    /** Fields this server does not know (a newer client's) are refused, never ignored. */
    static void noUnknownFields(Message message, String path) {
        if (!message.getUnknownFields().asMap().isEmpty()) {
            int number = message.getUnknownFields().asMap().keySet().iterator().next();
            throw new Malformed(CommandParser.name(path, "field " + number) + "is not a field of this message (a newer client's?)");
        }
    }
}
