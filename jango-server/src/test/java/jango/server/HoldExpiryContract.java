package jango.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds expire by the sequencer's clock (injected here), within a second, and stay expired after a
 * restart. Against any backend whose clock can be injected: a subclass gives the server
 * ({@link #startServer}).
 */
public abstract class HoldExpiryContract {
    private static final long START_MICROS = 1_795_000_000_000_000L; // 2026-11-18T...

    /**
     * A server whose sequencer stamps commands with {@code clockMicros} (epoch microseconds, read
     * again for every batch and tick). Called twice with the same directory: the first call must
     * start from a fresh state (the clock starts in the past, and stamps never go back); the second,
     * after the first server is closed, must come back on the state the first left (a restart).
     *
     * @param dir an empty directory for this test, deleted afterwards
     */
    protected abstract TestServer startServer(Path dir, LongSupplier clockMicros) throws Exception;

    @Test
    void aHoldExpiresSoonAfterItsTimeAndReleasesWhatIsLeft(@TempDir Path dir) throws Exception {
        AtomicLong clockMicros = new AtomicLong(START_MICROS);
        String expiresAt = Render.time(START_MICROS + 10_000_000L).replace(".000000Z", "Z");
        try (TestServer jango = startServer(dir, clockMicros::get)) {
            jango.asset("USDT", 2);
            jango.command("{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"USDT\",\"amount\":\"100\"}");
            TestServer.Reply placed = jango.command("{\"id\":\"h1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"USDT\",\"amount\":\"60\","
                    + "\"hold\":\"order-1\",\"expiresAt\":\"" + expiresAt + "\"}");
            assertThat(placed.json().get("status").asText()).as(placed.toString()).isEqualTo("APPLIED");
            jango.command("{\"id\":\"t1\",\"type\":\"transfer\",\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"USDT\",\"amount\":\"10\",\"hold\":\"order-1\"}");
            JsonNode open = jango.get("/v1/holds/order-1").json();
            assertThat(open.get("state").asText()).isEqualTo("OPEN");
            assertThat(open.get("expiresAt").asText()).isEqualTo(Render.time(START_MICROS + 10_000_000L));

            clockMicros.addAndGet(9_000_000L);
            jango.command("{\"id\":\"d2\",\"type\":\"deposit\",\"account\":\"u3\",\"asset\":\"USDT\",\"amount\":\"1\"}");
            assertThat(jango.get("/v1/holds/order-1").json().get("state").asText()).isEqualTo("OPEN");

            clockMicros.addAndGet(1_500_000L);
            // No command arrives: the writer ticks on its own within a second of expiry.
            TestServer.await("hold to expire", 5_000, () -> jango.get("/v1/holds/order-1").json().get("state").asText().equals("EXPIRED"));
            JsonNode expired = jango.get("/v1/holds/order-1").json();
            assertThat(expired.get("remaining").asText()).isEqualTo("0");
            JsonNode balance = jango.get("/v1/accounts/u1/balances").json().get("balances").get(0);
            assertThat(balance.get("available").asText()).isEqualTo("90");
            assertThat(balance.get("held").asText()).isEqualTo("0");
            JsonNode entry = jango.get("/v1/accounts/u1/history?limit=1").json().get("entries").get(0);
            assertThat(entry.get("type").asText()).isEqualTo("expire");
            assertThat(entry.get("commandId").isNull()).isTrue();
            assertThat(entry.get("availableDelta").asText()).isEqualTo("50");
            assertThat(entry.get("heldDelta").asText()).isEqualTo("-50");
            TestServer.Reply late = jango.command("{\"id\":\"r1\",\"type\":\"release\",\"hold\":\"order-1\"}");
            assertThat(late.json().get("reason").asText()).isEqualTo("UNKNOWN_HOLD");
        }
        try (TestServer jango = startServer(dir, clockMicros::get)) {
            assertThat(jango.get("/v1/holds/order-1").json().get("state").asText()).isEqualTo("EXPIRED");
            assertThat(jango.get("/v1/accounts/u1/balances").json().get("balances").get(0).get("available").asText()).isEqualTo("90");
        }
    }
}
