package jango.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Int128;
import jango.engine.Result;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.ShardStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * Answers as JSON bytes, written with a streaming generator (no object tree per answer). Amounts
 * are canonical decimal strings at their asset's scale; times are RFC 3339 UTC with microseconds.
 * The static helpers are public so that other modules' routes answer in the same shape.
 */
public final class Render {
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private final Map<String, Integer> scales;

    Render(Map<String, Integer> scales) {
        this.scales = scales;
    }

    public static byte[] json(Body body) {
        ByteArrayBuilder bytes = new ByteArrayBuilder(256);
        try (JsonGenerator json = JSON.createGenerator(bytes)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static byte[] error(String code, String message) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("error", code);
            json.writeStringField("message", message);
            json.writeEndObject();
        });
    }

    /** The last time formatted: every result of a batch carries the same one (it showed in the profile). */
    private record FormattedTime(long epochMicros, String text) {
    }

    private static volatile FormattedTime lastTime = new FormattedTime(Long.MIN_VALUE, "");

    public static String time(long epochMicros) {
        FormattedTime last = lastTime;
        if (last.epochMicros() == epochMicros) {
            return last.text();
        }
        String text = TIME.format(Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1_000L));
        lastTime = new FormattedTime(epochMicros, text);
        return text;
    }

    String amount(Int128 minor, String asset) {
        return minor.toDecimalString(scale(asset));
    }

    private int scale(String asset) {
        Integer scale = scales.get(asset);
        if (scale == null) {
            throw new IllegalStateException("no scale for asset " + asset);
        }
        return scale;
    }

    /** Render runs on every event loop at once: one amount buffer per thread. */
    private static final ThreadLocal<AmountText> AMOUNT_TEXT = ThreadLocal.withInitial(AmountText::new);

    /** {@code "field": "<amount>"}, the amount written straight from its digits (no String per amount). */
    private void amountField(JsonGenerator json, String field, Int128 minor, String asset) throws IOException {
        AmountText text = AMOUNT_TEXT.get().of(minor, scale(asset));
        json.writeFieldName(field);
        json.writeString(text.chars(), 0, text.length());
    }

    void result(JsonGenerator json, Result result) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", result.id());
        json.writeStringField("status", result.status().name());
        if (!result.applied()) {
            json.writeStringField("reason", result.reason().name());
            json.writeStringField("message", result.message());
        }
        json.writeNumberField("seq", result.seq());
        json.writeStringField("at", time(result.atMicros()));
        if (result.applied()) {
            json.writeArrayFieldStart("balances");
            for (BalanceView balance : result.balances()) {
                json.writeStartObject();
                json.writeStringField("account", balance.account());
                balanceFields(json, balance);
                json.writeEndObject();
            }
            json.writeEndArray();
        }
        json.writeEndObject();
    }

    byte[] result(Result result) {
        return json(json -> result(json, result));
    }

    private void balanceFields(JsonGenerator json, BalanceView balance) throws IOException {
        json.writeStringField("asset", balance.asset());
        amountField(json, "available", balance.available(), balance.asset());
        amountField(json, "held", balance.held(), balance.asset());
        json.writeNumberField("revision", balance.revision());
    }

    byte[] balances(String account, List<BalanceView> balances) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("account", account);
            json.writeArrayFieldStart("balances");
            for (BalanceView balance : balances) {
                json.writeStartObject();
                balanceFields(json, balance);
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    byte[] history(HistoryPage page) {
        return json(json -> {
            json.writeStartObject();
            json.writeArrayFieldStart("entries");
            for (HistoryEntry entry : page.entries()) {
                json.writeStartObject();
                json.writeNumberField("seq", entry.seq());
                json.writeStringField("at", time(entry.atMicros()));
                json.writeStringField("commandId", entry.commandId());
                json.writeStringField("type", entry.type());
                json.writeStringField("asset", entry.asset());
                json.writeStringField("available", amount(entry.available(), entry.asset()));
                json.writeStringField("held", amount(entry.held(), entry.asset()));
                json.writeStringField("availableDelta", amount(entry.availableDelta(), entry.asset()));
                json.writeStringField("heldDelta", amount(entry.heldDelta(), entry.asset()));
                json.writeNumberField("revision", entry.revision());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeStringField("next", page.next());
            json.writeEndObject();
        });
    }

    byte[] hold(HoldView hold) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("hold", hold.holdId());
            json.writeStringField("account", hold.account());
            json.writeStringField("asset", hold.asset());
            json.writeStringField("amount", amount(hold.amount(), hold.asset()));
            json.writeStringField("remaining", amount(hold.remaining(), hold.asset()));
            json.writeStringField("expiresAt", hold.expiresAtMicros() == Command.NO_EXPIRY ? null : time(hold.expiresAtMicros()));
            json.writeStringField("state", hold.state().name());
            // What transfers in flight between shards have locked of remaining ("0" when none, and always in embedded mode).
            json.writeStringField("locked", amount(hold.locked(), hold.asset()));
            json.writeEndObject();
        });
    }

    static byte[] assets(Map<String, Integer> scales) {
        return json(json -> {
            json.writeStartObject();
            json.writeArrayFieldStart("assets");
            for (Map.Entry<String, Integer> asset : new java.util.TreeMap<>(scales).entrySet()) {
                json.writeStartObject();
                json.writeStringField("code", asset.getKey());
                json.writeNumberField("scale", asset.getValue());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    static byte[] health(List<ShardStatus> shards) {
        boolean up = shards.stream().allMatch(ShardStatus::up);
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("status", up ? "UP" : "DOWN");
            json.writeArrayFieldStart("shards");
            for (ShardStatus shard : shards) {
                json.writeStartObject();
                json.writeNumberField("shard", shard.shard());
                json.writeStringField("status", shard.up() ? "UP" : "HALTED");
                if (!shard.up()) {
                    json.writeStringField("reason", shard.reason());
                }
                json.writeNumberField("seq", shard.appliedSeq());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }
}
