package jango.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jango.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** GraphQL answers what the REST routes answer, refuses writes, and refuses queries over its limits. */
class GraphqlTest {
    @TempDir
    Path dir;
    StreamsFixture jango;

    @BeforeEach
    void start() {
        jango = StreamsFixture.start(dir, c -> c);
        jango.http.asset("BTC", 8);
        jango.http.asset("KRW", 0);
        jango.command("{\"id\":\"d1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1.5\"}");
        jango.command("{\"id\":\"d2\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"KRW\",\"amount\":\"50000\"}");
        jango.command("{\"id\":\"h1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"0.5\",\"hold\":\"order-1\",\"expiresAt\":\"2099-01-01T00:00:00Z\"}");
        jango.command("{\"id\":\"t1\",\"type\":\"transfer\",\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"BTC\",\"amount\":\"0.25\",\"hold\":\"order-1\"}");
        jango.command("{\"id\":\"t2\",\"type\":\"transfer\",\"from\":\"u1\",\"to\":\"u2\",\"asset\":\"BTC\",\"amount\":\"99\"}");
    }

    @AfterEach
    void stop() {
        jango.close();
    }

    private JsonNode query(String query) {
        ObjectNode body = TestServer.JSON.createObjectNode().put("query", query);
        TestServer.Reply reply = jango.http.post("/v1/graphql", body.toString());
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json();
    }

    @Test
    void oneRoundTripAnswersWhatTheRestRoutesAnswer() {
        JsonNode data = query("""
                { account(id: "u1") {
                    balances { asset available held revision }
                    history(limit: 3) { entries { seq at commandId type asset available held availableDelta heldDelta revision } next }
                  }
                  applied: command(id: "t1") { id status seq at balances { account { id } asset available held revision } }
                  rejected: command(id: "t2") { status reason message }
                  missing: command(id: "nope") { id }
                  hold(id: "order-1") { hold account { id } asset amount remaining expiresAt state }
                  assets { code scale } }""").get("data");
        JsonNode rest = jango.http.get("/v1/accounts/u1/balances").json();
        assertThat(data.get("account").get("balances")).isEqualTo(rest.get("balances"));

        JsonNode page = jango.http.get("/v1/accounts/u1/history?limit=3").json();
        assertThat(data.get("account").get("history").get("entries")).isEqualTo(page.get("entries"));
        assertThat(data.get("account").get("history").get("next").asText()).isEqualTo(page.get("next").asText());

        JsonNode applied = jango.http.get("/v1/commands/t1").json();
        assertThat(data.get("applied").get("seq")).isEqualTo(applied.get("seq"));
        assertThat(data.get("applied").get("at")).isEqualTo(applied.get("at"));
        for (int i = 0; i < applied.get("balances").size(); i++) {
            JsonNode restBalance = applied.get("balances").get(i);
            JsonNode graphBalance = data.get("applied").get("balances").get(i);
            assertThat(graphBalance.get("account").get("id")).isEqualTo(restBalance.get("account"));
            assertThat(graphBalance.get("available")).isEqualTo(restBalance.get("available"));
            assertThat(graphBalance.get("revision")).isEqualTo(restBalance.get("revision"));
        }
        JsonNode rejected = jango.http.get("/v1/commands/t2").json();
        assertThat(data.get("rejected").get("reason")).isEqualTo(rejected.get("reason"));
        assertThat(data.get("missing").isNull()).isTrue();

        JsonNode hold = jango.http.get("/v1/holds/order-1").json();
        assertThat(data.get("hold").get("remaining")).isEqualTo(hold.get("remaining"));
        assertThat(data.get("hold").get("expiresAt")).isEqualTo(hold.get("expiresAt"));
        assertThat(data.get("hold").get("state")).isEqualTo(hold.get("state"));
        assertThat(data.get("assets")).isEqualTo(jango.http.get("/v1/assets").json().get("assets"));
    }

    @Test
    void anEntryLeadsToItsCommand() {
        JsonNode entries = query("{ account(id: \"u2\") { history { entries { commandId command { id status } } } } }")
                .get("data").get("account").get("history").get("entries");
        assertThat(entries.get(0).get("command").get("id").asText()).isEqualTo("t1");
    }

    @Test
    void queriesOverTheLimitsAndWritesAreRefusedWithAClearError() {
        JsonNode deep = query("{ account(id: \"u2\") { history { entries { command { balances { account { history { entries"
                + " { command { balances { account { id } } } } } } } } } } } }");
        assertThat(deep.has("data") && !deep.get("data").isNull()).isFalse();
        assertThat(deep.get("errors").get(0).get("extensions").get("code").asText()).isEqualTo("QUERY_TOO_DEEP");
        assertThat(deep.get("errors").get(0).get("message").asText()).contains("over the limit of 8");

        StringBuilder costly = new StringBuilder("{");
        for (int i = 0; i < 10; i++) {
            costly.append(" a").append(i).append(": account(id: \"u1\") { history(limit: 100) { entries { seq at type asset available held } } }");
        }
        JsonNode refused = query(costly.append(" }").toString());
        assertThat(refused.get("errors").get(0).get("extensions").get("code").asText()).isEqualTo("QUERY_TOO_COSTLY");
        assertThat(refused.get("errors").get(0).get("message").asText()).contains("over the limit of 5000");

        JsonNode write = query("mutation { deposit(account: \"u1\") }");
        assertThat(write.get("errors").get(0).get("message").asText()).containsIgnoringCase("mutation");
        JsonNode badLimit = query("{ account(id: \"u1\") { history(limit: 1000) { next } } }");
        assertThat(badLimit.get("errors").get(0).get("message").asText()).contains("limit: 1000");
        assertThat(jango.http.post("/v1/graphql", "{\"nope\":1}").status()).isEqualTo(400);
    }
}
