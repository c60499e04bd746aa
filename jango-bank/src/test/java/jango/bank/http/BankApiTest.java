package jango.bank.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import jango.bank.BankRigAccess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The banking API over real HTTP: answers, statuses, admin calls, and malformed input refused naming the field with nothing recorded. */
class BankApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD = "{\"id\":\"x1\",\"account\":\"u1\",\"amount\":\"1000\",\"bank\":\"004\",\"bankAccount\":\"110-123\","
            + "\"recipientName\":\"홍길동\"}";

    @TempDir
    Path dir;
    private BankRigAccess rig;
    private Server server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        rig = BankRigAccess.start(dir);
        ServerBuilder builder = Server.builder().http(0);
        BankRoutes.of(rig.gateway()).accept(builder);
        server = builder.build();
        server.start().join();
    }

    @AfterEach
    void stop() {
        server.stop().join();
        rig.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.activeLocalPort() + path));
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Test
    void malformedWithdrawalsAre400NamingTheFieldAndRecordNothing() throws Exception {
        List<String[]> cases = List.of(
                new String[] {"", "body"},
                new String[] {"[]", "body"},
                new String[] {"{\"id\":\"x1\"", "body"},
                new String[] {GOOD.replace("\"amount\":\"1000\"", "\"amount\":1000"), "amount"},
                new String[] {GOOD.replace("\"1000\"", "\"10.5\""), "amount"},
                new String[] {GOOD.replace("\"1000\"", "\"-5\""), "amount"},
                new String[] {GOOD.replace("\"1000\"", "\"0\""), "amount"},
                new String[] {GOOD.replace("\"1000\"", "\"10000000000000\""), "amount"},
                new String[] {GOOD.replace("\"1000\"", "\"1e3\""), "amount"},
                new String[] {GOOD.replace("\"x1\"", "\"w 1\""), "id"},
                new String[] {GOOD.replace("\"x1\"", "\"" + "w".repeat(41) + "\""), "id"},
                new String[] {GOOD.replace("\"u1\"", "\"@fees\""), "account"},
                new String[] {GOOD.replace("\"004\"", "\"999\""), "bank"},
                new String[] {GOOD.replace("\"004\"", "\"4\""), "bank"},
                new String[] {GOOD.replace("\"110-123\"", "\"abc\""), "bankAccount"},
                new String[] {GOOD.replace("\"홍길동\"", "\"가나다라마바사아자차카\""), "recipientName"},
                new String[] {GOOD.replace("\"홍길동\"", "\"😀\""), "recipientName"},
                new String[] {GOOD.replace("\"홍길동\"", "\"\""), "recipientName"},
                new String[] {GOOD.replace("}", ",\"memo\":\"x\"}"), "memo"},
                new String[] {GOOD.replace(",\"bank\":\"004\"", ""), "bank"},
                new String[] {GOOD.replace("}", ",\"id\":\"w2\"}"), "body"});
        for (String[] c : cases) {
            HttpResponse<String> response = send("POST", "/v1/withdrawals", c[0]);
            assertThat(response.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(json(response).get("error").asText()).isEqualTo("MALFORMED");
            assertThat(json(response).get("message").asText()).as(c[0]).startsWith(c[1]);
        }
        assertThat(send("GET", "/v1/withdrawals/x1", null).statusCode()).as("nothing recorded").isEqualTo(404);
        assertThat(send("GET", "/v1/withdrawals/w%201", null).statusCode()).isEqualTo(400);
    }

    @Test
    void aWithdrawalIsAnsweredReplayedAndListed() throws Exception {
        rig.day();
        HttpResponse<String> first = send("POST", "/v1/withdrawals", GOOD);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode created = json(first);
        assertThat(created.get("status").asText()).isIn("QUEUED", "SENT", "CONFIRMED", "COMPLETED");
        assertThat(created.get("amount").asText()).isEqualTo("1000");
        assertThat(created.get("hold").asText()).isEqualTo("wd.x1");
        assertThat(created.get("bankTxNo").asText()).matches("[0-9]{12}");

        HttpResponse<String> again = send("POST", "/v1/withdrawals", GOOD);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("jango-replayed")).hasValue("true");
        HttpResponse<String> conflict = send("POST", "/v1/withdrawals", GOOD.replace("\"1000\"", "\"1001\""));
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(json(conflict).get("error").asText()).isEqualTo("ID_CONFLICT");

        HttpResponse<String> refused = send("GET", "/v1/withdrawals/w-refused", null);
        assertThat(json(refused).get("status").asText()).isEqualTo("FAILED");
        assertThat(json(refused).get("reason").asText()).isEqualTo("CLOSED_ACCOUNT");

        JsonNode page = json(send("GET", "/v1/accounts/u1/withdrawals?limit=2", null));
        assertThat(page.get("withdrawals")).hasSize(2);
        JsonNode rest = json(send("GET", "/v1/accounts/u1/withdrawals?limit=10&cursor=" + page.get("next").asText(), null));
        assertThat(rest.get("withdrawals")).hasSize(3);
        assertThat(rest.get("next").isNull()).isTrue();
        assertThat(send("GET", "/v1/accounts/u1/withdrawals?cursor=nonsense", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/v1/accounts/u1/withdrawals?limit=0", null).statusCode()).isEqualTo(400);
    }

    @Test
    void adminCallsForBanksVirtualAccountsAndSuspense() throws Exception {
        rig.day();
        JsonNode bank = json(send("GET", "/v1/admin/banks/004", null));
        assertThat(bank.get("breaker").get("state").asText()).isEqualTo("CLOSED");
        assertThat(bank.get("queue").get("open").asInt()).isZero();
        assertThat(bank.get("line").get("up").asBoolean()).isTrue();
        assertThat(send("GET", "/v1/admin/banks/999", null).statusCode()).isEqualTo(404);

        JsonNode limited = json(send("PUT", "/v1/admin/banks/004/limits", "{\"tps\": 20, \"queueCapacity\": 5}"));
        assertThat(limited.get("limits").get("tps").asInt()).isEqualTo(20);
        assertThat(limited.get("limits").get("queueCapacity").asInt()).isEqualTo(5);
        assertThat(send("PUT", "/v1/admin/banks/004/limits", "{\"tps\": -1}").body()).contains("tps");
        assertThat(send("PUT", "/v1/admin/banks/004/limits", "{}").statusCode()).isEqualTo(400);

        HttpResponse<String> window = send("POST", "/v1/admin/banks/004/windows",
                "{\"from\":\"2030-01-01T00:00:00+09:00\",\"to\":\"2030-01-01T01:00:00+09:00\",\"reason\":\"upgrade\"}");
        assertThat(window.statusCode()).isEqualTo(201);
        String windowId = json(window).get("id").asText();
        assertThat(json(send("GET", "/v1/admin/banks", null)).get("banks").get(0).get("windows").get("announced")).hasSize(1);
        assertThat(send("POST", "/v1/admin/banks/004/windows", "{\"from\":\"tomorrow\",\"to\":\"2030-01-01T01:00:00Z\"}").body())
                .contains("from");
        assertThat(send("DELETE", "/v1/admin/banks/004/windows/" + windowId, null).statusCode()).isEqualTo(204);
        assertThat(send("DELETE", "/v1/admin/banks/004/windows/" + windowId, null).statusCode()).isEqualTo(404);

        assertThat(json(send("POST", "/v1/admin/banks/004/breaker", "{\"action\":\"open\"}")).get("breaker").get("state").asText())
                .isEqualTo("FORCED_OPEN");
        assertThat(json(send("POST", "/v1/admin/banks/004/breaker", "{\"action\":\"reset\"}")).get("breaker").get("state").asText())
                .isEqualTo("CLOSED");
        assertThat(send("POST", "/v1/admin/banks/004/breaker", "{\"action\":\"explode\"}").statusCode()).isEqualTo(400);

        assertThat(send("PUT", "/v1/admin/virtual-accounts/27900002", "{\"account\":\"u3\"}").statusCode()).isEqualTo(201);
        assertThat(send("PUT", "/v1/admin/virtual-accounts/27900002", "{\"account\":\"u3\"}").statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/v1/admin/virtual-accounts/27900002", "{\"account\":\"u4\"}").statusCode()).isEqualTo(409);
        assertThat(send("PUT", "/v1/admin/virtual-accounts/27900002", "{\"account\":\"@fees\"}").statusCode()).isEqualTo(400);
        assertThat(json(send("GET", "/v1/admin/virtual-accounts/27900002", null)).get("account").asText()).isEqualTo("u3");

        JsonNode suspense = json(send("GET", "/v1/admin/suspense", null)).get("deposits");
        assertThat(suspense).hasSize(1);
        String txNo = suspense.get(0).get("bankTxNo").asText();
        HttpResponse<String> resolved = send("POST", "/v1/admin/suspense/004/" + txNo + "/resolve", "{\"account\":\"u5\"}");
        assertThat(resolved.statusCode()).as(resolved.body()).isEqualTo(200);
        assertThat(json(resolved).get("status").asText()).isEqualTo("RESOLVED");
        assertThat(send("POST", "/v1/admin/suspense/004/" + txNo + "/resolve", "{\"account\":\"u6\"}").statusCode()).isEqualTo(409);
        assertThat(send("POST", "/v1/admin/suspense/004/424242/resolve", "{\"account\":\"u6\"}").statusCode()).isEqualTo(404);
        assertThat(json(send("GET", "/v1/admin/deposits/004/" + txNo, null)).get("account").asText()).isEqualTo("u5");
    }
}
