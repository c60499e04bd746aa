package jango.client;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import jango.server.EdgeOptions;
import jango.server.TestServer;
import jango.server.keys.ApiKeys;
import jango.server.keys.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * API keys on every endpoint, over HTTP and over gRPC through the client: no key or a bad one is
 * 401, a key without the scope 403, a revoked key 401, an owner-bound key reads only its owners;
 * none of these records anything. Logs name key ids, never secrets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthTest {
    private TestServer server;
    private ApiKeys keys;
    private String writer;
    private String reader;
    private String admin;
    private String readWrite;
    private String acme;
    private String revoked;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    /** {method, path, body, scope}. */
    private static final String[][] ENDPOINTS = {
            {"GET", "/v1/assets", null, "read"},
            {"PUT", "/v1/assets/AUTHX", "{\"scale\": 2}", "admin"},
            {"POST", "/v1/commands", "{\"id\":\"auth-1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}", "commands:write"},
            {"POST", "/v1/commands/batch", "{\"commands\":[{\"id\":\"auth-2\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\"}]}",
                    "commands:write"},
            {"GET", "/v1/commands/auth-1", null, "read"},
            {"POST", "/v1/commands/lookup", "{\"ids\":[\"auth-1\"]}", "read"},
            {"GET", "/v1/accounts/u1/balances", null, "read"},
            {"GET", "/v1/accounts/u1/history", null, "read"},
            {"GET", "/v1/holds/h1", null, "read"},
            {"GET", "/v1/admin/state", null, "admin"},
            {"POST", "/v1/admin/shards/0/resume", "", "admin"},
            {"GET", "/health", null, "read"},
            {"GET", "/metrics", null, "admin"},
    };

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        keys = new ApiKeys(dir.resolve("keys"));
        writer = keys.create(EnumSet.of(Scope.COMMANDS_WRITE), null, Clock.systemUTC());
        reader = keys.create(EnumSet.of(Scope.READ), null, Clock.systemUTC());
        admin = keys.create(EnumSet.of(Scope.ADMIN), null, Clock.systemUTC());
        readWrite = keys.create(EnumSet.of(Scope.READ, Scope.COMMANDS_WRITE), null, Clock.systemUTC());
        acme = keys.create(EnumSet.of(Scope.READ), "acme-", Clock.systemUTC());
        revoked = keys.create(EnumSet.allOf(Scope.class), null, Clock.systemUTC());
        assertThat(keys.revoke(id(revoked), Clock.systemUTC())).isTrue();
        server = TestServer.start(dir.resolve("data"), new EdgeOptions(keys, null, null));
        Logger access = (Logger) LoggerFactory.getLogger("jango.server.Access");
        logs.start();
        access.addAppender(logs);
        try (JangoClient client = client(admin)) {
            client.putAsset("BTC", 8);
            client.submit(new Command.Deposit("seed-acme", "acme-1", "BTC", BigDecimal.ONE));
            client.submit(new Command.Deposit("seed-other", "other-1", "BTC", BigDecimal.ONE));
        }
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private static String id(String secret) {
        return secret.split("_")[1];
    }

    private JangoClient client(String key) {
        return JangoClient.builder().endpoints("127.0.0.1:" + server.port()).apiKey(key).build();
    }

    private TestServer.Reply http(String[] endpoint, String key) {
        return key == null ? server.send(endpoint[0], endpoint[1], endpoint[2])
                : server.send(endpoint[0], endpoint[1], endpoint[2], "Authorization", "Bearer " + key);
    }

    private String stateHash() {
        return server.ledger.stateSummary().stateHash();
    }

    @Test
    void everyHttpEndpointIs401WithoutAValidKeyAnd403WithoutTheScope() {
        String before = stateHash();
        for (String[] endpoint : ENDPOINTS) {
            String what = endpoint[0] + " " + endpoint[1];
            for (String key : new String[] {null, revoked, "jango_nokey_xyz", "not-even-a-jango-key", admin + "x"}) {
                TestServer.Reply reply = http(endpoint, key);
                assertThat(reply.status()).as(what + " with " + key + " -> " + reply).isEqualTo(401);
                assertThat(reply.json().get("error").asText()).isEqualTo("UNAUTHENTICATED");
                assertThat(reply.header("WWW-Authenticate")).startsWith("Bearer");
            }
            String wrong = switch (endpoint[3]) {
                case "read" -> writer;
                case "commands:write" -> reader;
                default -> readWrite;
            };
            TestServer.Reply forbidden = http(endpoint, wrong);
            assertThat(forbidden.status()).as(what + " with a key without " + endpoint[3] + " -> " + forbidden).isEqualTo(403);
            assertThat(forbidden.json().get("error").asText()).isEqualTo("FORBIDDEN");
            assertThat(forbidden.json().get("message").asText()).contains(endpoint[3]);
        }
        assertThat(stateHash()).isEqualTo(before);
        assertThat(server.ledger.result("auth-1")).isNull();
        assertThat(server.ledger.result("auth-2")).isNull();
        assertThat(server.ledger.assets()).doesNotContainKey("AUTHX");

        // With the scope it is served.
        assertThat(http(ENDPOINTS[2], writer).status()).isEqualTo(200);
        assertThat(http(ENDPOINTS[4], reader).status()).isEqualTo(200);
        assertThat(http(ENDPOINTS[9], admin).status()).isEqualTo(200);
        assertThat(http(ENDPOINTS[12], admin).status()).isEqualTo(200);
    }

    @Test
    void anOwnerBoundKeyReadsOnlyItsOwners() {
        String[] acmeBalances = {"GET", "/v1/accounts/acme-1/balances", null};
        assertThat(http(acmeBalances, acme).status()).isEqualTo(200);
        assertThat(http(new String[] {"GET", "/v1/accounts/acme-1/history", null}, acme).status()).isEqualTo(200);
        assertThat(http(new String[] {"GET", "/health", null}, acme).status()).isEqualTo(200);
        for (String path : List.of("/v1/accounts/other-1/balances", "/v1/accounts/other-1/history", "/v1/accounts/acm/balances",
                "/v1/commands/seed-other", "/v1/holds/h1")) {
            TestServer.Reply reply = http(new String[] {"GET", path, null}, acme);
            assertThat(reply.status()).as(path + " -> " + reply).isEqualTo(403);
        }
        try (JangoClient client = client(acme)) {
            assertThat(client.balances("acme-1")).hasSize(1);
            assertThat(client.history("acme-1", null, 10, null).entries()).hasSize(1);
            assertThat(client.health().up()).isTrue();
            forbidden(() -> client.balances("other-1"));
            forbidden(() -> client.history("other-1", null, 10, null));
            forbidden(() -> client.command("seed-other"));
            forbidden(() -> client.lookup(List.of("seed-other")));
            forbidden(() -> client.hold("h1"));
            forbidden(() -> client.submit(new Command.Deposit("acme-write", "acme-1", "BTC", BigDecimal.ONE)));
        }
        assertThat(server.ledger.result("acme-write")).isNull();
    }

    @Test
    void grpcCallsNeedAKeyWithTheScope() {
        String before = stateHash();
        Command deposit = new Command.Deposit("grpc-auth-1", "u1", "BTC", BigDecimal.ONE);
        for (String key : new String[] {null, revoked, "jango_nokey_xyz"}) {
            try (JangoClient client = client(key)) {
                List<Consumer<JangoClient>> calls = List.of(c -> c.submit(deposit), c -> c.balances("u1"), c -> c.history("u1", null, 1, null),
                        c -> c.command("x"), c -> c.lookup(List.of("x")), c -> c.hold("h1"), c -> c.putAsset("AUTHY", 2), c -> c.assets(),
                        JangoClient::health);
                for (Consumer<JangoClient> call : calls) {
                    assertThatThrownBy(() -> call.accept(client)).isInstanceOfSatisfying(JangoException.class,
                            e -> assertThat(e.code()).isEqualTo("UNAUTHENTICATED"));
                }
            }
        }
        try (JangoClient readOnly = client(reader); JangoClient writeOnly = client(writer)) {
            forbidden(() -> readOnly.submit(deposit));
            forbidden(() -> readOnly.putAsset("AUTHY", 2));
            forbidden(() -> writeOnly.balances("u1"));
            forbidden(() -> writeOnly.health());
            assertThat(readOnly.balances("nobody")).isEmpty();
            assertThat(writeOnly.submit(new Command.Deposit("grpc-auth-ok", "u9", "BTC", BigDecimal.ONE)).applied()).isTrue();
        }
        assertThat(server.ledger.result("grpc-auth-1")).isNull();
        assertThat(server.ledger.assets()).doesNotContainKey("AUTHY");
        assertThat(stateHash()).isNotEqualTo(before); // only the last deposit changed it
    }

    @Test
    void aKeyRevokedWhileServingIsRefusedSoonAfter() {
        String key = keys.create(Set.of(Scope.READ), null, Clock.systemUTC());
        TestServer.await("a new key to be accepted", 10_000, () -> http(ENDPOINTS[0], key).status() == 200);
        // What jango keys revoke does: rewrite the file; the server reads it again within a second.
        new ApiKeys(keys.file()).revoke(id(key), Clock.systemUTC());
        TestServer.await("the revoked key to be refused", 10_000, () -> http(ENDPOINTS[0], key).status() == 401);
        try (JangoClient client = client(key)) {
            assertThatThrownBy(client::health).isInstanceOfSatisfying(JangoException.class, e -> assertThat(e.code()).isEqualTo("UNAUTHENTICATED"));
        }
    }

    @Test
    void logsNameKeyIdsNeverSecrets() {
        http(ENDPOINTS[9], reader);
        http(ENDPOINTS[0], revoked);
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).anyMatch(line -> line.contains("key_id=" + id(reader)) && line.contains("status=403"));
        assertThat(lines).anyMatch(line -> line.contains("key_id=" + id(revoked)) && line.contains("status=401"));
        for (String secret : List.of(writer, reader, admin, readWrite, acme, revoked)) {
            String tail = secret.substring(secret.indexOf('_', "jango_".length()) + 1).substring(0, 12);
            assertThat(lines).noneMatch(line -> line.contains(tail));
        }
    }

    private static void forbidden(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(JangoException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo("FORBIDDEN"));
    }
}
