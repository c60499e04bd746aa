package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WebSocketStreamTest {
    @TempDir
    Path dir;
    StreamsFixture jango;

    @BeforeEach
    void start() {
        jango = StreamsFixture.start(dir, c -> c.withTimes(100, 2_000, 60_000, 500));
        jango.http.asset("BTC", 8);
    }

    @AfterEach
    void stop() {
        jango.close();
    }

    @Test
    void oneSocketFollowsSeveralAccountsAndRefusesBadMessagesWithoutClosing() {
        jango.command("{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"a\",\"asset\":\"BTC\",\"amount\":\"2\"}");
        try (SocketClient socket = SocketClient.connect(jango.clients, jango.http.port())) {
            socket.subscribe("a", null);
            socket.subscribe("b", null);
            socket.send("{\"type\":\"subscribe\",\"account\":\"c\",\"extra\":1}");
            socket.send("not json");
            socket.subscribe("a", null);
            TestServer.await("acks and errors", 5_000, () -> socket.messages("subscribed").size() == 2 && socket.messages("error").size() == 3);
            List<JsonNode> errors = socket.messages("error");
            assertThat(errors.get(0).get("message").asText()).isEqualTo("extra: unknown field");
            assertThat(errors.get(1).get("error").asText()).isEqualTo("MALFORMED");
            assertThat(errors.get(2).get("error").asText()).isEqualTo("ALREADY_SUBSCRIBED");
            assertThat(socket.messages("snapshot")).extracting(m -> m.get("account").asText() + "@" + m.get("position").asText())
                    .containsExactlyInAnyOrder("a@BTC:1", "b@");

            jango.command("{\"id\":\"t1\",\"type\":\"transfer\",\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"0.5\"}");
            TestServer.await("both sides of the transfer", 5_000, () -> socket.messages("balance").size() == 2);
            assertThat(socket.messages("balance")).extracting(m -> m.get("account").asText() + " " + m.get("change").get("available").asText() + " " + m.get("position").asText())
                    .containsExactly("a 1.5 BTC:2", "b 0.5 BTC:1");

            socket.send("{\"type\":\"unsubscribe\",\"account\":\"a\"}");
            TestServer.await("unsubscribed", 5_000, () -> socket.messages("unsubscribed").size() == 1);
            jango.command("{\"id\":\"t2\",\"type\":\"transfer\",\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"0.5\"}");
            TestServer.await("only b's change", 5_000, () -> socket.messages("balance").size() == 3);
            assertThat(socket.messages("balance").get(2).get("account").asText()).isEqualTo("b");
            assertThat(socket.ended()).isFalse();
            TestServer.await("a heartbeat", 5_000, () -> !socket.messages("heartbeat").isEmpty());
        }
    }

    @Test
    void aSocketResumesEachAccountFromItsPosition() {
        try (SocketClient socket = SocketClient.connect(jango.clients, jango.http.port())) {
            for (int i = 0; i < 3; i++) {
                jango.command("{\"id\":\"d" + i + "\",\"type\":\"deposit\",\"account\":\"a\",\"asset\":\"BTC\",\"amount\":\"1\"}");
            }
            socket.subscribe("a", "BTC:1");
            TestServer.await("the two missed changes", 5_000, () -> socket.messages("balance").size() == 2);
            assertThat(socket.messages("balance")).extracting(m -> m.get("change").get("revision").asLong()).containsExactly(2L, 3L);
            assertThat(socket.messages("snapshot")).isEmpty();
        }
    }
}
