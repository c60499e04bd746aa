package jango.server;

import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A table of bad requests: each is 400 MALFORMED naming the field, and the state does not move
 * (GET /v1/admin/state's hash and the account's balances are the same before and after). Against
 * any backend: a subclass gives the server ({@link #startServer}). The one id the table uses ("m1")
 * and the seeded account are made unique to the run, so the backend need not be fresh; it must not
 * take other writes while the test runs (the state hash covers everything).
 */
public abstract class MalformedInputContract {
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
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h1\",\"expiresAt\":\"2026-11-23T05:00Z\"}", "expiresAt"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h1\",\"expiresAt\":\"2026-11-23T05:00:00.0000001Z\"}", "expiresAt"},
            {"/v1/commands", "{\"id\":\"m1\",\"type\":\"hold\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"h1\",\"expiresAt\":\"2026-11-23T05:00:00+01:00:30\"}", "expiresAt"},
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

    /**
     * The server the test runs against, closed by the test; called once per test method.
     *
     * @param dir an empty directory for this test, deleted afterwards
     */
    protected abstract TestServer startServer(Path dir) throws Exception;

    @Test
    void everyBadRequestIs400NamingTheFieldAndChangesNothing(@TempDir Path dir) throws Exception {
        String run = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
        String m1 = "m1-" + run;
        String user = "u1-" + run;
        try (TestServer jango = startServer(dir)) {
            jango.asset("BTC", 8);
            TestServer.Reply seeded = jango.command("{\"id\":\"seed-" + run + "\",\"type\":\"deposit\",\"account\":\"" + user
                    + "\",\"asset\":\"BTC\",\"amount\":\"1\"}");
            assertThat(seeded.status()).as(seeded.toString()).isEqualTo(200);
            String before = jango.stateHash();
            String balancesBefore = jango.get("/v1/accounts/" + user + "/balances").body();
            for (String[] bad : CASES) {
                Reply reply = jango.post(bad[0], bad[1].replace("\"m1\"", "\"" + m1 + "\""));
                String what = bad[0] + " " + (bad[1].length() > 200 ? bad[1].substring(0, 200) + "..." : bad[1]);
                assertThat(reply.status()).as(what + " -> " + reply).isEqualTo(400);
                assertThat(reply.json().get("error").asText()).as(what).isEqualTo("MALFORMED");
                assertThat(reply.json().get("message").asText()).as(what).contains(bad[2]);
            }
            assertThat(jango.get("/v1/commands/" + m1).status()).isEqualTo(404);
            assertThat(jango.stateHash()).isEqualTo(before);
            assertThat(jango.get("/v1/accounts/" + user + "/balances").body()).isEqualTo(balancesBefore);
        }
    }
}
