package jango.bench;

import jango.engine.Command;
import jango.engine.Decimal;
import jango.engine.Leg;

import java.util.List;

/** Engine commands as the JSON bodies of shared/API.md (the bench speaks the real API). */
public final class CommandJson {
    private CommandJson() {
    }

    public static String batch(List<Command> commands) {
        StringBuilder json = new StringBuilder(commands.size() * 160 + 16).append("{\"commands\":[");
        for (int i = 0; i < commands.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            write(commands.get(i), json);
        }
        return json.append("]}").toString();
    }

    public static String single(Command command) {
        StringBuilder json = new StringBuilder(192);
        write(command, json);
        return json.toString();
    }

    public static void write(Command command, StringBuilder json) {
        json.append("{\"id\":\"").append(command.id()).append("\",\"type\":\"").append(command.type()).append('"');
        switch (command) {
            case Command.Deposit d -> account(json, d.account(), d.asset(), d.amount());
            case Command.Withdraw w -> account(json, w.account(), w.asset(), w.amount());
            case Command.PlaceHold h -> {
                account(json, h.account(), h.asset(), h.amount());
                field(json, "hold", h.holdId());
                if (h.expiresAtMicros() != Command.NO_EXPIRY) {
                    throw new IllegalArgumentException("the bench does not render hold expiry");
                }
            }
            case Command.Release r -> {
                field(json, "hold", r.holdId());
                if (r.amount() != null) {
                    field(json, "amount", text(r.amount()));
                }
            }
            case Command.Transfer t -> {
                json.append(",\"legs\":[");
                for (int i = 0; i < t.legs().size(); i++) {
                    Leg leg = t.legs().get(i);
                    json.append(i == 0 ? "{" : ",{").append("\"from\":\"").append(leg.from()).append('"');
                    field(json, "to", leg.to());
                    field(json, "asset", leg.asset());
                    field(json, "amount", text(leg.amount()));
                    if (leg.holdId() != null) {
                        field(json, "hold", leg.holdId());
                    }
                    json.append('}');
                }
                json.append(']');
            }
            case Command.Adjust a -> {
                account(json, a.account(), a.asset(), a.amount());
                field(json, "reason", a.reason().replace("\\", "\\\\").replace("\"", "\\\""));
            }
            default -> throw new IllegalArgumentException("not a client command: " + command.type());
        }
        json.append('}');
    }

    private static void account(StringBuilder json, String account, String asset, Decimal amount) {
        field(json, "account", account);
        field(json, "asset", asset);
        field(json, "amount", text(amount));
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append(",\"").append(name).append("\":\"").append(value).append('"');
    }

    /** The amount as typed: its digits with the point where its fraction digits say. */
    static String text(Decimal amount) {
        if (amount.overflowed()) {
            return amount.overflowText();
        }
        String digits = amount.unscaled().toBigInteger().abs().toString();
        int fraction = amount.fractionDigits();
        if (fraction > 0) {
            if (digits.length() <= fraction) {
                digits = "0".repeat(fraction - digits.length() + 1) + digits;
            }
            digits = digits.substring(0, digits.length() - fraction) + "." + digits.substring(digits.length() - fraction);
        }
        return amount.unscaled().isNegative() ? "-" + digits : digits;
    }
}
