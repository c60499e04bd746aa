package jango.bank.http;

import com.fasterxml.jackson.core.JsonGenerator;
import jango.bank.BankConfig;
import jango.bank.BankGateway;
import jango.bank.Deposit;
import jango.bank.MaintenanceCalendar;
import jango.bank.Withdrawal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/** The banking API's JSON: amounts as decimal strings, times as RFC 3339, bank numbers as 12 digits. */
final class Render {
    interface Writer {
        void write(JsonGenerator json) throws IOException;
    }

    private Render() {
    }

    static byte[] json(Writer writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = Body.MAPPER.getFactory().createGenerator(out)) {
            writer.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] error(String code, String message) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("error", code);
            json.writeStringField("message", message);
            json.writeEndObject();
        });
    }

    static void withdrawal(JsonGenerator json, Withdrawal w, int scale) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", w.id());
        json.writeStringField("account", w.account());
        json.writeStringField("asset", w.asset());
        json.writeStringField("amount", Fields.amountText(w.amountMinor(), scale));
        json.writeStringField("bank", w.bank());
        json.writeStringField("bankAccount", w.bankAccount());
        json.writeStringField("recipientName", w.recipientName());
        json.writeStringField("status", w.status().name());
        if (w.reason() != null) {
            json.writeStringField("reason", w.reason());
            json.writeStringField("message", w.message());
        }
        json.writeStringField("bankTxNo", String.format("%012d", w.txNo()));
        json.writeStringField("hold", w.holdId());
        json.writeNumberField("attempts", w.attempts());
        if (w.notBeforeMillis() != 0 && !w.status().ended()) {
            json.writeStringField("notBefore", Instant.ofEpochMilli(w.notBeforeMillis()).toString());
        }
        if (w.bankDate() != 0) {
            json.writeStringField("bankDate", Long.toString(w.bankDate()));
        }
        json.writeStringField("createdAt", Instant.ofEpochMilli(w.createdAtMillis()).toString());
        json.writeStringField("updatedAt", Instant.ofEpochMilli(w.updatedAtMillis()).toString());
        json.writeEndObject();
    }

    static void deposit(JsonGenerator json, Deposit d, int scale) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", d.id());
        json.writeStringField("bank", d.bank());
        json.writeStringField("bankTxNo", String.format("%012d", d.txNo()));
        json.writeStringField("virtualAccount", d.virtualAccount());
        json.writeStringField("amount", Fields.amountText(d.amountMinor(), scale));
        json.writeStringField("depositorName", d.depositorName());
        json.writeStringField("status", d.status().name());
        json.writeStringField("account", d.status() == Deposit.Status.CREDITED ? d.owner()
                : d.status() == Deposit.Status.RESOLVED ? d.resolvedTo() : "@suspense");
        json.writeStringField("command", d.commandId());
        if (d.status() == Deposit.Status.RESOLVED) {
            json.writeStringField("resolveCommand", d.resolveCommandId());
        }
        json.writeStringField("bankDate", Long.toString(d.bankDate()));
        json.writeStringField("receivedAt", Instant.ofEpochMilli(d.receivedAtMillis()).toString());
        json.writeEndObject();
    }

    static void bank(JsonGenerator json, BankGateway.BankView view) throws IOException {
        BankConfig config = view.config();
        json.writeStartObject();
        json.writeStringField("bank", config.code());
        json.writeStringField("name", config.name());
        json.writeStringField("address", config.address().getHostString() + ":" + config.address().getPort());
        json.writeObjectFieldStart("limits");
        json.writeNumberField("tps", config.tps());
        json.writeNumberField("concurrency", config.concurrency());
        json.writeNumberField("queueCapacity", config.queueCapacity());
        json.writeNumberField("answerTimeoutMs", config.answerTimeout().toMillis());
        json.writeEndObject();
        json.writeObjectFieldStart("breaker");
        json.writeStringField("state", view.breakerState());
        json.writeNumberField("failureRatePercent", view.failureRate());
        json.writeEndObject();
        json.writeObjectFieldStart("queue");
        json.writeNumberField("open", view.open());
        json.writeNumberField("ready", view.ready());
        json.writeNumberField("inFlight", view.inFlight());
        json.writeNumberField("waitingOnTimers", view.timerEntries());
        json.writeNumberField("capacity", config.queueCapacity());
        json.writeEndObject();
        json.writeObjectFieldStart("line");
        json.writeBooleanField("up", view.lineUp());
        json.writeNumberField("reconnects", view.reconnects());
        json.writeEndObject();
        MaintenanceCalendar calendar = config.calendar();
        json.writeObjectFieldStart("windows");
        json.writeStringField("zone", calendar.zone().getId());
        json.writeArrayFieldStart("recurring");
        for (String window : calendar.describeRecurring()) {
            json.writeString(window);
        }
        json.writeEndArray();
        json.writeArrayFieldStart("announced");
        for (MaintenanceCalendar.Announced window : calendar.announced()) {
            window(json, window);
        }
        json.writeEndArray();
        json.writeEndObject();
        json.writeEndObject();
    }

    static void window(JsonGenerator json, MaintenanceCalendar.Announced window) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", window.id());
        json.writeStringField("from", window.from().toString());
        json.writeStringField("to", window.to().toString());
        if (window.reason() != null) {
            json.writeStringField("reason", window.reason());
        }
        json.writeEndObject();
    }
}
