package jango.server;

import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A table of bad requests: each is 400 MALFORMED naming the field, and the state does not move. */
class MalformedInputTest {
    private static final String OK_DEPOSIT = "\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\"";

    /** {path, body, text the message must contain}. */
    private static final String[][] CASES = {
            {"/v1/commands", "", "body"},
            {"/v1/commands", "not json", "body"},
            {"/v1/commands", "{\"id\":\"m1\"", "body"},
            {"/v1/commands", "[]", "body"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"1\"} trailing", "body"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"1\",\"amount\":\"2\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":1.5}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":1}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"1e5\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"-1\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"+1\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"0\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"0.000\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\".5\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"5.\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\" 1\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"" + "1".repeat(101) + "\"}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":null}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + "}", "amount"},
            {"/v1/commands", "{" + OK_DEPOSIT + ",\"amount\":\"1\",\"memo\":\"x\"}", "memo"},
            {"/v1/commands", "{\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "id"},
            {"/v1/commands", "{\"id\":\"m1\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "type"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"mint\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "type"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":7,\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "type"},
            {"/v1/commands", "{\"id\":\"has space\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "id"},
            {"/v1/commands", "{\"id\":\"" + "x".repeat(65) + "\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "id"},
            {"/v1/commands", "{\"id\":12,\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "id"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u 1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "account"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"@@x\",\"asset\":\"BTC\",\"amount\":\"1\"}", "account"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"btc\",\"amount\":\"1\"}", "asset"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":[\"BTC\"],\"amount\":\"1\"}", "asset"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "hold"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h1\",\"expiresAt\":\"tomorrow\"}", "expiresAt"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h1\",\"expiresAt\":\"2026-11-23T05:00:00\"}", "expiresAt"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"release\"}", "hold"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"release\",\"hold\":\"h1\",\"amount\":\"0\"}", "amount"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"from\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "to"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[]}", "legs"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":{}}", "legs"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[" + "{\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"1\"},".repeat(16)
                    + "{\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"1\"}]}", "legs"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[{\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":1}]}", "legs[0].amount"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"legs\":[{\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"1\",\"x\":1}]}", "legs[0].x"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"transfer\",\"from\":\"a\",\"to\":\"b\",\"asset\":\"BTC\",\"amount\":\"1\",\"legs\":[]}", "from"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "reason"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"-0\",\"reason\":\"r\"}", "amount"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"reason\":\" \"}", "reason"},
            {"/v1/commands/batch", "{\"commands\":{}}", "commands"},
            {"/v1/commands/batch", "{\"cmds\":[]}", "cmds"},
            {"/v1/commands/batch", "{\"commands\":[{" + OK_DEPOSIT + ",\"amount\":\"1\"}, 5]}", "commands[1]"},
            {"/v1/commands/batch", "{\"commands\":[{" + OK_DEPOSIT + ",\"amount\":\"1\"},{" + OK_DEPOSIT + ",\"amount\":\"x\"}]}", "commands[1].amount"},
    };

    @Test
    void everyBadRequestIs400NamingTheFieldAndChangesNothing(@TempDir Path dir) throws Exception {
        try (TestServer jango = TestServer.start(dir)) {
            jango.asset("BTC", 8);
            jango.command("{\"id\":\"seed\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}");
            String before = jango.stateHash();
            String balancesBefore = jango.get("/v1/accounts/u1/balances").body();
            for (String[] bad : CASES) {
                Reply reply = jango.post(bad[0], bad[1]);
                String what = bad[0] + " " + (bad[1].length() > 200 ? bad[1].substring(0, 200) + "..." : bad[1]);
                assertThat(reply.status()).as(what + " -> " + reply).isEqualTo(400);
                assertThat(reply.json().get("error").asText()).as(what).isEqualTo("MALFORMED");
                assertThat(reply.json().get("message").asText()).as(what).contains(bad[2]);
            }
            assertThat(jango.get("/v1/commands/m1").status()).isEqualTo(404);
            assertThat(jango.stateHash()).isEqualTo(before);
            assertThat(jango.get("/v1/accounts/u1/balances").body()).isEqualTo(balancesBefore);
        }
    }
}
