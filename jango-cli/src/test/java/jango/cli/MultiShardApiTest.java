package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import jango.engine.Names;
import jango.engine.port.ShardStore;
import jango.kafka.Shards;
import jango.server.ApiContract;
import jango.server.TestServer;
import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole API contract against 4 shards on 2 instances, each request to the other instance:
 * transfers between users of different shards (debits too) run the protocol between shards and
 * answer exactly as embedded mode does (docs/distributed.md, "Multi-shard transfers"). The
 * contract's users are random, so most of its transfers cross shards; the tests here place their
 * users on chosen shards, so every case below crosses shards on every run.
 */
class MultiShardApiTest extends ApiContract {
    private static final int SHARDS = 4;
    private final Shards shards = new Shards(SHARDS);

    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return DistributedInfra.cluster("MultiShardApiTest", SHARDS, 2);
    }

    /** A user of this run on {@code shard}. */
    private String userOn(int shard) {
        String user;
        do {
            user = user();
        } while (shards.of(user) != shard);
        return user;
    }

    @Test
    void aTradeSettlesFromHoldsOnTwoShardsAndAnswersWithTheRealBalances() {
        String buyer = userOn(0);
        String seller = userOn(1);
        deposit(buyer, "USDT", "1000");
        deposit(seller, "BTC", "2");
        String bid = "bid-" + buyer;
        String ask = "ask-" + seller;
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + buyer
                + "\",\"asset\":\"USDT\",\"amount\":\"600\",\"hold\":\"" + bid + "\"}"));
        applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + seller
                + "\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"" + ask + "\"}"));

        String tradeId = id();
        String trade = "{\"id\":\"" + tradeId + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + buyer + "\",\"to\":\"" + seller + "\",\"asset\":\"USDT\",\"amount\":\"495\",\"hold\":\"" + bid + "\"},"
                + "{\"from\":\"" + buyer + "\",\"to\":\"@fees\",\"asset\":\"USDT\",\"amount\":\"5\",\"hold\":\"" + bid + "\"},"
                + "{\"from\":\"" + seller + "\",\"to\":\"" + buyer + "\",\"asset\":\"BTC\",\"amount\":\"0.01\",\"hold\":\"" + ask + "\"}]}";
        JsonNode settled = applied(jango.command(trade));
        // It ran the protocol: the seller's shard applied the prepare and the commit of attempt 1.
        try (ShardStore store = DistributedInfra.store("MultiShardApiTest")) {
            assertThat(store.results(List.of(Names.protocolId(tradeId, 1, Names.PREPARE, 1), Names.protocolId(tradeId, 1, Names.COMMIT, 1))))
                    .hasSize(2);
        }

        // Every account the legs touch, in the order they first touch it, @clearing never; each user's as it is now.
        List<String> listed = new ArrayList<>();
        settled.get("balances").forEach(b -> listed.add(b.get("account").asText() + " " + b.get("asset").asText()));
        assertThat(listed).containsExactly(buyer + " USDT", seller + " USDT", "@fees USDT", seller + " BTC", buyer + " BTC");
        for (JsonNode answered : settled.get("balances")) {
            String account = answered.get("account").asText();
            if (!account.startsWith("@")) {
                assertThat(answered).as(account).isEqualTo(withAccount(account, balance(account, answered.get("asset").asText())));
            }
        }
        assertThat(balance(buyer, "USDT").get("available").asText()).isEqualTo("400");
        assertThat(balance(buyer, "USDT").get("held").asText()).isEqualTo("100");
        assertThat(balance(seller, "USDT").get("available").asText()).isEqualTo("495");
        assertThat(balance(seller, "BTC").get("held").asText()).isEqualTo("0.99");
        assertThat(balance(buyer, "BTC").get("available").asText()).isEqualTo("0.01");
        JsonNode bidView = jango.get("/v1/holds/" + bid).json();
        assertThat(bidView.get("remaining").asText()).isEqualTo("100");
        assertThat(bidView.get("locked").asText()).isEqualTo("0");
        assertThat(jango.get("/v1/holds/" + ask).json().get("locked").asText()).isEqualTo("0");

        // seq (README, "Transfers between shards"): the result's is the entry that decided it on the
        // coordinator, the first debited user's shard, and that user's history entries of it carry it;
        // the seller's entries carry its own shard's seq, and every entry the client's command id.
        JsonNode buyerEntry = jango.get("/v1/accounts/" + buyer + "/history?asset=USDT&limit=1").json().get("entries").get(0);
        assertThat(buyerEntry.get("commandId").asText()).isEqualTo(tradeId);
        assertThat(buyerEntry.get("seq")).isEqualTo(settled.get("seq"));
        assertThat(buyerEntry.get("revision")).isEqualTo(settled.get("balances").get(0).get("revision"));
        JsonNode sellerEntries = jango.get("/v1/accounts/" + seller + "/history?asset=BTC&limit=10").json().get("entries");
        assertThat(sellerEntries.get(0).get("commandId").asText()).isEqualTo(tradeId);
        assertThat(sellerEntries.get(0).get("heldDelta").asText()).isEqualTo("-0.01");
        // Per account, seq orders the changes: newest first, strictly.
        for (int i = 1; i < sellerEntries.size(); i++) {
            assertThat(sellerEntries.get(i).get("seq").asLong()).isLessThan(sellerEntries.get(i - 1).get("seq").asLong());
        }

        // The same id and body is the stored result, from either instance; another body is a conflict.
        for (int i = 0; i < 2; i++) {
            Reply again = jango.command(trade);
            assertThat(again.json().get("status").asText()).as(again.toString()).isEqualTo("APPLIED");
            assertThat(again.json().get("seq")).isEqualTo(settled.get("seq"));
            assertThat(again.json().get("balances")).isEqualTo(settled.get("balances"));
        }
        Reply conflict = jango.command(trade.replace("\"0.01\"", "\"0.02\""));
        assertThat(conflict.status()).as(conflict.toString()).isEqualTo(409);
        assertThat(balance(buyer, "BTC").get("available").asText()).isEqualTo("0.01");
        assertClearingSettled();
    }

    /**
     * A batch is applied in order in embedded mode, so a client may send an exchange's whole trade
     * in one: fund, hold both sides, settle between shards, release the buyer's slack, pay the
     * seller out. Here the settlement's coordinator is the seller's shard, the buyer's hold is on
     * another, the release names a hold placed earlier in the same batch, and the withdrawal spends
     * money the settlement credits: each must see what the commands before it did.
     */
    @Test
    void aWholeTradeInOneBatchAppliesInOrderAsInEmbeddedMode() {
        String buyer = userOn(2);
        String seller = userOn(3);
        String bid = "bid-" + buyer;
        String ask = "ask-" + seller;
        String[] commands = {
                "{\"id\":\"" + id() + "\",\"type\":\"deposit\",\"account\":\"" + buyer + "\",\"asset\":\"USDT\",\"amount\":\"1000\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"deposit\",\"account\":\"" + seller + "\",\"asset\":\"BTC\",\"amount\":\"2\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + buyer + "\",\"asset\":\"USDT\",\"amount\":\"600\",\"hold\":\"" + bid + "\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"hold\",\"account\":\"" + seller + "\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"" + ask + "\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"legs\":["
                        + "{\"from\":\"" + seller + "\",\"to\":\"" + buyer + "\",\"asset\":\"BTC\",\"amount\":\"0.01\",\"hold\":\"" + ask + "\"},"
                        + "{\"from\":\"" + buyer + "\",\"to\":\"" + seller + "\",\"asset\":\"USDT\",\"amount\":\"495\",\"hold\":\"" + bid + "\"},"
                        + "{\"from\":\"" + buyer + "\",\"to\":\"@fees\",\"asset\":\"USDT\",\"amount\":\"5\",\"hold\":\"" + bid + "\"}]}",
                "{\"id\":\"" + id() + "\",\"type\":\"release\",\"hold\":\"" + bid + "\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"withdraw\",\"account\":\"" + seller + "\",\"asset\":\"USDT\",\"amount\":\"495\"}",
                "{\"id\":\"" + id() + "\",\"type\":\"withdraw\",\"account\":\"" + buyer + "\",\"asset\":\"BTC\",\"amount\":\"0.01\"}"};
        Reply batch = jango.post("/v1/commands/batch", "{\"commands\":[" + String.join(",", commands) + "]}");
        assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
        JsonNode results = batch.json().get("results");
        assertThat(results).hasSize(commands.length);
        for (JsonNode result : results) {
            assertThat(result.get("status").asText()).as(batch.toString()).isEqualTo("APPLIED");
        }
        assertThat(balance(buyer, "USDT").get("available").asText()).isEqualTo("500");
        assertThat(balance(buyer, "USDT").get("held").asText()).isEqualTo("0");
        assertThat(balance(buyer, "BTC").get("available").asText()).isEqualTo("0");
        assertThat(balance(seller, "USDT").get("available").asText()).isEqualTo("0");
        assertThat(balance(seller, "BTC").get("held").asText()).isEqualTo("0.99");
        assertThat(jango.get("/v1/holds/" + bid).json().get("state").asText()).isEqualTo("RELEASED");
        assertClearingSettled();
    }

    @Test
    void aRefusalOnAnotherShardNamesTheLowestFailingLegAndTakesNothing() {
        String a = userOn(2);
        String b = userOn(3);
        String c = userOn(1);
        deposit(a, "USDT", "50");
        deposit(b, "USDT", "5");
        Reply refused = jango.command("{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + a + "\",\"to\":\"" + c + "\",\"asset\":\"USDT\",\"amount\":\"20\"},"
                + "{\"from\":\"" + b + "\",\"to\":\"" + c + "\",\"asset\":\"USDT\",\"amount\":\"6\"}]}");
        rejected(refused, "INSUFFICIENT_FUNDS");
        assertThat(refused.json().get("message").asText()).startsWith("legs[1]");
        assertThat(balance(a, "USDT").get("available").asText()).isEqualTo("50");
        assertThat(balance(a, "USDT").get("held").asText()).isEqualTo("0");
        assertThat(balance(b, "USDT").get("available").asText()).isEqualTo("5");
        assertThat(balance(c, "USDT")).isNull();
        assertClearingSettled();
    }

    @Test
    void aChainAcrossThreeShardsPassesAsInOneEngine() {
        String a = userOn(0);
        String b = userOn(2);
        String c = userOn(3);
        deposit(a, "KRW", "70");
        // b has nothing of its own: leg 1 is covered by what leg 0 brings it, as embedded mode allows.
        JsonNode chain = applied(jango.command("{\"id\":\"" + id() + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"asset\":\"KRW\",\"amount\":\"70\"},"
                + "{\"from\":\"" + b + "\",\"to\":\"" + c + "\",\"asset\":\"KRW\",\"amount\":\"30\"}]}"));
        assertThat(chain.get("balances")).hasSize(3);
        assertThat(balance(a, "KRW").get("available").asText()).isEqualTo("0");
        assertThat(balance(b, "KRW").get("available").asText()).isEqualTo("40");
        assertThat(balance(c, "KRW").get("available").asText()).isEqualTo("30");
        // The history of each account carries the client's id, with its net change.
        JsonNode entry = jango.get("/v1/accounts/" + b + "/history?asset=KRW&limit=1").json().get("entries").get(0);
        assertThat(entry.get("commandId").asText()).isEqualTo(chain.get("id").asText());
        assertThat(entry.get("availableDelta").asText()).isEqualTo("40");
        assertClearingSettled();
    }

    private static JsonNode withAccount(String account, JsonNode balance) {
        com.fasterxml.jackson.databind.node.ObjectNode node = TestServer.JSON.createObjectNode();
        node.put("account", account);
        node.setAll((com.fasterxml.jackson.databind.node.ObjectNode) balance);
        return node;
    }

    /** Nothing in flight after an answer: @clearing is zero in every asset, and the admin check passes. */
    private void assertClearingSettled() {
        JsonNode clearing = jango.get("/v1/accounts/@clearing/balances").json().get("balances");
        for (JsonNode balance : clearing) {
            assertThat(balance.get("available").asText()).as(balance.toString()).isEqualTo("0");
            assertThat(balance.get("held").asText()).as(balance.toString()).isEqualTo("0");
        }
        Reply state = jango.get("/v1/admin/state");
        assertThat(state.status()).as(state.toString()).isEqualTo(200);
        assertThat(jango.get("/metrics").body()).contains("jango_transfers_in_flight{role=\"coordinator\"}",
                "jango_transfers_in_flight{role=\"participant\"}", "jango_transfers_oldest_in_flight_seconds",
                "jango_transfers_aborted_total{cause=\"refused\"}", "jango_transfers_aborted_total{cause=\"gave_up\"}");
    }
}
