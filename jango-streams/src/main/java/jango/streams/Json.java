package jango.streams;

import com.fasterxml.jackson.core.JsonGenerator;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Int128;
import jango.server.Render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The channel side's JSON, written the way the API writes it (shared/API.md, with the server's
 * {@link Render}): amounts as canonical decimal strings at their asset's scale, times as RFC 3339
 * UTC with microseconds.
 */
public final class Json {
    private final Map<String, Integer> scales;

    /** {@code scales}: the ledger's asset scales, a live view ({@code Ledger.assets()}). */
    public Json(Map<String, Integer> scales) {
        this.scales = scales;
    }

    public static byte[] bytes(Render.Body body) {
        return Render.json(body);
    }

    public static String text(Render.Body body) {
        return new String(Render.json(body), StandardCharsets.UTF_8);
    }

    public static byte[] error(String code, String message) {
        return Render.error(code, message);
    }

    public static String time(long epochMicros) {
        return Render.time(epochMicros);
    }

    public String amount(Int128 minor, String asset) {
        Integer scale = scales.get(asset);
        if (scale == null) {
            throw new IllegalStateException("no scale for asset " + asset);
        }
        return minor.toDecimalString(scale);
    }

    /** The fields of one change, inside an object the caller opened. */
    public void changeFields(JsonGenerator json, BalanceChange change) throws IOException {
        json.writeStringField("account", change.account());
        json.writeStringField("asset", change.asset());
        json.writeStringField("available", amount(change.available(), change.asset()));
        json.writeStringField("held", amount(change.held(), change.asset()));
        json.writeStringField("availableDelta", amount(change.availableDelta(), change.asset()));
        json.writeStringField("heldDelta", amount(change.heldDelta(), change.asset()));
        json.writeNumberField("revision", change.revision());
        json.writeNumberField("seq", change.seq());
        json.writeStringField("at", time(change.atMicros()));
        json.writeStringField("commandId", change.commandId());
        json.writeStringField("type", change.type());
    }

    public void change(JsonGenerator json, BalanceChange change) throws IOException {
        change(json, change, -1);
    }

    /** With {@code "shard"} when {@code shard >= 0} (a feed of several shards, where a seq is one shard's). */
    public void change(JsonGenerator json, BalanceChange change, int shard) throws IOException {
        json.writeStartObject();
        changeFields(json, change);
        if (shard >= 0) {
            json.writeNumberField("shard", shard);
        }
        json.writeEndObject();
    }

    /** {@code "balances": [{"asset", "available", "held", "revision"}, ...]} inside an open object. */
    public void balancesField(JsonGenerator json, List<BalanceView> balances) throws IOException {
        json.writeArrayFieldStart("balances");
        for (BalanceView balance : balances) {
            json.writeStartObject();
            json.writeStringField("asset", balance.asset());
            json.writeStringField("available", amount(balance.available(), balance.asset()));
            json.writeStringField("held", amount(balance.held(), balance.asset()));
            json.writeNumberField("revision", balance.revision());
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
