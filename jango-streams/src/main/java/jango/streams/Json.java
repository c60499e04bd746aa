package jango.streams;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import jango.engine.BalanceChange;
import jango.engine.BalanceView;
import jango.engine.Int128;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * The channel side's JSON, written the way the API writes it (shared/API.md): amounts as canonical
 * decimal strings at their asset's scale, times as RFC 3339 UTC with microseconds.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private final Map<String, Integer> scales;

    /** {@code scales}: the ledger's asset scales, a live view ({@code Ledger.assets()}). */
    public Json(Map<String, Integer> scales) {
        this.scales = scales;
    }

    public static byte[] bytes(Body body) {
        ByteArrayBuilder bytes = new ByteArrayBuilder(256);
        try (JsonGenerator json = FACTORY.createGenerator(bytes)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static String text(Body body) {
        return new String(bytes(body), java.nio.charset.StandardCharsets.UTF_8);
    }

    public static byte[] error(String code, String message) {
        return bytes(json -> {
            json.writeStartObject();
            json.writeStringField("error", code);
            json.writeStringField("message", message);
            json.writeEndObject();
        });
    }

    /** The last time formatted: every change of a batch carries the same one, and formatting showed in profiles. */
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
        json.writeStartObject();
        changeFields(json, change);
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
