package jango.streams.graphql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.analysis.FieldComplexityCalculator;
import graphql.analysis.MaxQueryComplexityInstrumentation;
import graphql.analysis.MaxQueryDepthInstrumentation;
import graphql.execution.AbortExecutionException;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLTypeUtil;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.schema.idl.TypeDefinitionRegistry;
import jango.engine.port.Ledger;
import jango.streams.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/graphql} with {@code {"query", "variables"?, "operationName"?}}: one read-only
 * endpoint (graphql-java) over the ledger for the views an app needs in one round trip. The schema
 * has no mutations. Every query is limited in depth and in cost (each field costs 1, a history page
 * multiplies what it holds by its limit, a list of balances by 10); one over a limit is refused
 * before anything is read, with the code QUERY_TOO_DEEP or QUERY_TOO_COSTLY.
 */
public final class GraphqlEndpoint {
    public static final int MAX_DEPTH = 8;
    public static final int MAX_COST = 5_000;
    public static final int MAX_QUERY_BYTES = 16 * 1024;
    static final int LIST_COST = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GraphQL graphql;

    public GraphqlEndpoint(Ledger ledger, Json json, List<GraphqlContribution> contributions) {
        TypeDefinitionRegistry types = new SchemaParser().parse(schemaText());
        RuntimeWiring.Builder wiring = RuntimeWiring.newRuntimeWiring();
        new LedgerViews(ledger, json).wire(wiring);
        for (GraphqlContribution contribution : contributions) {
            types.merge(new SchemaParser().parse(contribution.schema()));
            contribution.wire(wiring);
        }
        GraphQLSchema schema = new SchemaGenerator().makeExecutableSchema(types, wiring.build());
        this.graphql = GraphQL.newGraphQL(schema)
                .instrumentation(new ChainedInstrumentation(List.of(new DepthLimit(), new CostLimit())))
                .build();
    }

    public void addRoutes(ServerBuilder server) {
        server.route().post("/v1/graphql").build(this::serve);
    }

    private HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        return HttpResponse.of(req.aggregate().thenApplyAsync((AggregatedHttpRequest request) -> {
            byte[] body = request.content().array();
            if (body.length > MAX_QUERY_BYTES) {
                return error(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "TOO_LARGE", "body: larger than " + MAX_QUERY_BYTES + " bytes");
            }
            ExecutionInput input;
            try {
                input = input(body);
            } catch (IllegalArgumentException e) {
                return error(HttpStatus.BAD_REQUEST, "MALFORMED", e.getMessage());
            }
            ExecutionResult result = graphql.execute(input);
            return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, render(result));
        }, ctx.blockingTaskExecutor()));
    }

    private static ExecutionInput input(byte[] body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("body: is not valid JSON");
        }
        if (node == null || !node.isObject() || !node.path("query").isTextual()) {
            throw new IllegalArgumentException("query: is missing (expected: {\"query\": \"...\", \"variables\": {...}})");
        }
        ExecutionInput.Builder input = ExecutionInput.newExecutionInput(node.get("query").asText());
        JsonNode variables = node.get("variables");
        if (variables != null && !variables.isNull()) {
            if (!variables.isObject()) {
                throw new IllegalArgumentException("variables: must be an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> values = JSON.convertValue(variables, Map.class);
            input.variables(values);
        }
        if (node.path("operationName").isTextual()) {
            input.operationName(node.get("operationName").asText());
        }
        return input.build();
    }

    private static byte[] render(ExecutionResult result) {
        Map<String, Object> answer = new LinkedHashMap<>();
        if (result.isDataPresent()) {
            answer.put("data", result.getData());
        }
        if (!result.getErrors().isEmpty()) {
            answer.put("errors", result.getErrors().stream().map(GraphqlEndpoint::error).toList());
        }
        try {
            return JSON.writeValueAsBytes(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> error(GraphQLError error) {
        Map<String, Object> spec = new LinkedHashMap<>(error.toSpecification());
        if (error instanceof LimitExceeded limit) {
            spec.put("extensions", Map.of("code", limit.code));
        }
        return spec;
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, Json.error(code, message));
    }

    /**
     * Parses the schema and builds it unwired, then drops it: run on a spare core while the ledger
     * recovers, it loads and initialises graphql-java's classes so that the real build after the
     * recovery takes a fraction of its cold time. Opens nothing and reads no ledger.
     */
    public static void warmUp() {
        UnExecutableSchemaGenerator.makeUnExecutableSchema(new SchemaParser().parse(schemaText()));
    }

    private static String schemaText() {
        try (InputStream in = GraphqlEndpoint.class.getResourceAsStream("schema.graphqls")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the GraphQL schema is missing from the jar", e);
        }
    }

    /** An over-limit query, refused before it runs. */
    private static final class LimitExceeded extends AbortExecutionException {
        final String code;

        LimitExceeded(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    private static final class DepthLimit extends MaxQueryDepthInstrumentation {
        DepthLimit() {
            super(MAX_DEPTH);
        }

        @Override
        protected AbortExecutionException mkAbortException(int depth, int maxDepth) {
            return new LimitExceeded("QUERY_TOO_DEEP", "the query is " + depth + " levels deep, over the limit of " + maxDepth
                    + ": ask for less nesting, or in several queries");
        }
    }

    private static final class CostLimit extends MaxQueryComplexityInstrumentation {
        CostLimit() {
            super(MAX_COST, COST);
        }

        @Override
        protected AbortExecutionException mkAbortException(int cost, int maxCost) {
            return new LimitExceeded("QUERY_TOO_COSTLY", "the query costs " + cost + ", over the limit of " + maxCost
                    + " (a field costs 1, a history page multiplies its entries' fields by its limit, a list of balances by "
                    + LIST_COST + "): ask for smaller pages or fewer fields");
        }
    }

    /** 1 per field, plus what it holds: times its {@code limit} for pages, times {@value #LIST_COST} for other lists. */
    private static final FieldComplexityCalculator COST = (environment, childCost) -> {
        Object limit = environment.getArguments().get("limit");
        if (limit instanceof Number n) {
            return 1 + n.intValue() * Math.max(1, childCost);
        }
        boolean list = GraphQLTypeUtil.isList(GraphQLTypeUtil.unwrapNonNull(
                environment.getFieldDefinition().getType()));
        // A page's entries are already counted by the page's limit.
        boolean pageEntries = "HistoryPage".equals(environment.getParentType().getName());
        return 1 + (list && !pageEntries ? LIST_COST : 1) * childCost;
    };
}
