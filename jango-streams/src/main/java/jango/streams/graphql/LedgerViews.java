package jango.streams.graphql;

import graphql.GraphqlErrorException;
import graphql.language.IntValue;
import graphql.language.StringValue;
import graphql.schema.Coercing;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLScalarType;
import graphql.schema.idl.RuntimeWiring;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Names;
import jango.engine.Result;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.streams.Json;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fetchers of the GraphQL schema's fields: each reads the ledger through its port, the same
 * reads the REST routes make, and renders amounts and times as they do. Objects are maps.
 */
final class LedgerViews {
    static final int MAX_HISTORY_LIMIT = 100;

    private final Ledger ledger;
    private final Json json;

    LedgerViews(Ledger ledger, Json json) {
        this.ledger = ledger;
        this.json = json;
    }

    void wire(RuntimeWiring.Builder wiring) {
        wiring.scalar(LONG);
        wiring.type("Query", type -> type
                .dataFetcher("account", env -> account(name(env.getArgument("id"), "id", Names.OWNER)))
                .dataFetcher("command", env -> {
                    Result result = ledger.result(name(env.getArgument("id"), "id", Names.ID));
                    return result == null ? null : result(result);
                })
                .dataFetcher("hold", env -> {
                    HoldView hold = ledger.hold(name(env.getArgument("id"), "id", Names.ID));
                    return hold == null ? null : hold(hold);
                })
                .dataFetcher("assets", env -> new TreeMap<>(ledger.assets()).entrySet().stream()
                        .map(e -> Map.<String, Object>of("code", e.getKey(), "scale", e.getValue())).toList()));
        wiring.type("Account", type -> type
                .dataFetcher("balances", env -> {
                    String asset = env.getArgument("asset");
                    String owner = id(env.getSource());
                    return ledger.balances(owner, asset == null ? null : name(asset, "asset", Names.ASSET)).stream().map(this::balance).toList();
                })
                .dataFetcher("history", env -> history(id(env.getSource()), env.getArgument("asset"), env.getArgument("limit"), env.getArgument("cursor"))));
        wiring.type("HistoryEntry", type -> type.dataFetcher("command", env -> {
            Object commandId = ((Map<?, ?>) env.getSource()).get("commandId");
            Result result = commandId == null ? null : ledger.result((String) commandId);
            return result == null ? null : result(result);
        }));
    }

    private static String id(Object source) {
        return (String) ((Map<?, ?>) source).get("id");
    }

    private static Map<String, Object> account(String owner) {
        return Map.of("id", owner);
    }

    private Map<String, Object> balance(BalanceView balance) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("asset", balance.asset());
        view.put("available", json.amount(balance.available(), balance.asset()));
        view.put("held", json.amount(balance.held(), balance.asset()));
        view.put("revision", balance.revision());
        return view;
    }

    private Map<String, Object> history(String owner, String asset, Integer limit, String cursor) {
        int pageLimit = limit == null ? 20 : limit;
        if (pageLimit < 1 || pageLimit > MAX_HISTORY_LIMIT) {
            throw refusal("limit: " + pageLimit + " (expected: 1.." + MAX_HISTORY_LIMIT + ")");
        }
        HistoryPage page;
        try {
            page = ledger.history(owner, asset == null ? null : name(asset, "asset", Names.ASSET), pageLimit, cursor);
        } catch (IllegalArgumentException e) {
            throw refusal(e.getMessage());
        }
        List<Map<String, Object>> entries = page.entries().stream().map(this::entry).toList();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("entries", entries);
        view.put("next", page.next());
        return view;
    }

    private Map<String, Object> entry(HistoryEntry entry) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("seq", entry.seq());
        view.put("at", Json.time(entry.atMicros()));
        view.put("commandId", entry.commandId());
        view.put("type", entry.type());
        view.put("asset", entry.asset());
        view.put("available", json.amount(entry.available(), entry.asset()));
        view.put("held", json.amount(entry.held(), entry.asset()));
        view.put("availableDelta", json.amount(entry.availableDelta(), entry.asset()));
        view.put("heldDelta", json.amount(entry.heldDelta(), entry.asset()));
        view.put("revision", entry.revision());
        return view;
    }

    private Map<String, Object> result(Result result) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", result.id());
        view.put("status", result.status().name());
        view.put("reason", result.reason() == null ? null : result.reason().name());
        view.put("message", result.message());
        view.put("seq", result.seq());
        view.put("at", Json.time(result.atMicros()));
        view.put("balances", result.balances().stream().map(b -> {
            Map<String, Object> balance = balance(b);
            balance.put("account", account(b.account()));
            return balance;
        }).toList());
        return view;
    }

    private Map<String, Object> hold(HoldView hold) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("hold", hold.holdId());
        view.put("account", account(hold.account()));
        view.put("asset", hold.asset());
        view.put("amount", json.amount(hold.amount(), hold.asset()));
        view.put("remaining", json.amount(hold.remaining(), hold.asset()));
        view.put("expiresAt", hold.expiresAtMicros() == Command.NO_EXPIRY ? null : Json.time(hold.expiresAtMicros()));
        view.put("state", hold.state().name());
        return view;
    }

    private static String name(String value, String field, Names.Shape shape) {
        if (value == null || !shape.matches(value)) {
            throw refusal(field + ": \"" + value + "\" does not match " + shape.pattern());
        }
        return value;
    }

    private static RuntimeException refusal(String message) {
        return GraphqlErrorException.newErrorException().message(message).extensions(Map.of("code", "MALFORMED")).build();
    }

    /** Sequence numbers and revisions: 64-bit, written as JSON numbers. */
    static final GraphQLScalarType LONG = GraphQLScalarType.newScalar().name("Long").description("a 64-bit integer")
            .coercing(new Coercing<Long, Long>() {
                @Override
                @SuppressWarnings("deprecation")
                public Long serialize(Object value) {
                    return ((Number) value).longValue();
                }

                @Override
                @SuppressWarnings("deprecation")
                public Long parseValue(Object input) {
                    if (input instanceof Number n) {
                        return n.longValue();
                    }
                    throw new graphql.schema.CoercingParseValueException("expected an integer");
                }

                @Override
                @SuppressWarnings("deprecation")
                public Long parseLiteral(Object input) {
                    if (input instanceof IntValue i) {
                        return i.getValue().longValueExact();
                    }
                    if (input instanceof StringValue s) {
                        return Long.parseLong(s.getValue());
                    }
                    throw new graphql.schema.CoercingParseLiteralException("expected an integer");
                }
            }).build();
}
