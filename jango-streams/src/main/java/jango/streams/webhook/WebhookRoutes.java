package jango.streams.webhook;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.engine.Names;
import jango.streams.Json;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The webhook API (docs/channel.md):
 * <pre>
 * POST   /v1/webhooks                        {"url", "secret", "filter": {"accounts", "assets", "types"}?} -> 201
 * GET    /v1/webhooks                        -> {"webhooks": [...]}
 * GET    /v1/webhooks/{id}                   -> the subscription with its pending, dead and delivered counts
 * DELETE /v1/webhooks/{id}                   -> 204
 * GET    /v1/webhooks/{id}/deliveries?state=DEAD|PENDING&limit=&cursor=
 * POST   /v1/admin/webhooks/{id}/replay      {"eventIds": [...]}? (none: every DEAD one) -> {"replayed": n}
 * </pre>
 */
final class WebhookRoutes {
    static final int MAX_URL_CHARS = 2_048;
    static final int MIN_SECRET_CHARS = 16;
    static final int MAX_SECRET_CHARS = 256;
    static final int MAX_FILTER_VALUES = 1_000;
    static final int MAX_DELIVERIES_LIMIT = 1_000;
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final java.util.regex.Pattern TYPE = java.util.regex.Pattern.compile("[a-z][a-z_.]{0,31}");

    private final Webhooks webhooks;

    WebhookRoutes(Webhooks webhooks) {
        this.webhooks = webhooks;
    }

    void addRoutes(ServerBuilder server) {
        server.route().post("/v1/webhooks").build((ctx, req) -> withBody(ctx, req, this::create));
        server.route().get("/v1/webhooks").build((ctx, req) -> ok(Json.bytes(out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("webhooks");
            for (Endpoint endpoint : webhooks.endpoints()) {
                subscription(out, endpoint);
            }
            out.writeEndArray();
            out.writeEndObject();
        })));
        server.route().get("/v1/webhooks/{id}").build((ctx, req) -> {
            Endpoint endpoint = webhooks.endpoint(ctx.pathParam("id"));
            return endpoint == null ? notFound(ctx.pathParam("id")) : ok(Json.bytes(out -> subscription(out, endpoint)));
        });
        server.route().delete("/v1/webhooks/{id}").build((ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(
                () -> webhooks.delete(ctx.pathParam("id")) ? HttpResponse.of(HttpStatus.NO_CONTENT) : notFound(ctx.pathParam("id")),
                ctx.blockingTaskExecutor())));
        server.route().get("/v1/webhooks/{id}/deliveries").build(this::deliveries);
        server.route().post("/v1/admin/webhooks/{id}/replay").build((ctx, req) -> withBody(ctx, req, body -> replay(ctx.pathParam("id"), body)));
    }

    private HttpResponse create(byte[] body) {
        JsonNode node = parse(body);
        only(node, "", Set.of("url", "secret", "filter"));
        String url = text(node, "url");
        checkUrl(url);
        String secret = text(node, "secret");
        if (secret.length() < MIN_SECRET_CHARS || secret.length() > MAX_SECRET_CHARS) {
            throw new Malformed("secret: " + secret.length() + " characters (expected: " + MIN_SECRET_CHARS + ".." + MAX_SECRET_CHARS + ")");
        }
        Subscription.Filter filter = new Subscription.Filter(Set.of(), Set.of(), Set.of());
        JsonNode filterNode = node.get("filter");
        if (filterNode != null && !filterNode.isNull()) {
            if (!filterNode.isObject()) {
                throw new Malformed("filter: must be an object {\"accounts\", \"assets\", \"types\"}");
            }
            only(filterNode, "filter.", Set.of("accounts", "assets", "types"));
            filter = new Subscription.Filter(
                    names(filterNode, "accounts", value -> Names.OWNER.matches(value) ? null : "does not match " + Names.OWNER.pattern()),
                    names(filterNode, "assets", value -> Names.ASSET.matches(value) ? null : "does not match " + Names.ASSET.pattern()),
                    names(filterNode, "types", value -> TYPE.matcher(value).matches() ? null : "is not a command type (deposit, transfer, expire...)"));
        }
        Subscription created;
        try {
            created = webhooks.create(url, secret, filter);
        } catch (IllegalStateException e) {
            return error(HttpStatus.CONFLICT, "TOO_MANY_WEBHOOKS", e.getMessage());
        }
        Endpoint endpoint = webhooks.endpoint(created.id());
        return HttpResponse.of(HttpStatus.CREATED, MediaType.JSON_UTF_8, Json.bytes(out -> subscription(out, endpoint)));
    }

    private static void checkUrl(String url) {
        if (url.length() > MAX_URL_CHARS) {
            throw new Malformed("url: longer than " + MAX_URL_CHARS + " characters");
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
                throw new Malformed("url: \"" + abbreviate(url) + "\" (expected: an absolute http:// or https:// URL)");
            }
        } catch (URISyntaxException e) {
            throw new Malformed("url: \"" + abbreviate(url) + "\" is not a URL: " + e.getReason());
        }
    }

    private static Set<String> names(JsonNode filter, String field, Function<String, String> problem) {
        JsonNode array = filter.get(field);
        if (array == null || array.isNull()) {
            return Set.of();
        }
        if (!array.isArray() || array.size() > MAX_FILTER_VALUES) {
            throw new Malformed("filter." + field + ": must be an array of at most " + MAX_FILTER_VALUES + " strings");
        }
        Set<String> values = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode value = array.get(i);
            String wrong = value.isTextual() ? problem.apply(value.asText()) : "must be a string";
            if (wrong != null) {
                throw new Malformed("filter." + field + "[" + i + "]: " + wrong);
            }
            values.add(value.asText());
        }
        return values;
    }

    private HttpResponse deliveries(ServiceRequestContext ctx, HttpRequest req) {
        String id = ctx.pathParam("id");
        String stateText = ctx.queryParam("state");
        Delivery.State state;
        try {
            state = stateText == null || stateText.isEmpty() ? null : Delivery.State.valueOf(stateText);
        } catch (IllegalArgumentException e) {
            return malformed("state: \"" + abbreviate(stateText) + "\" (expected: PENDING or DEAD)");
        }
        int limit;
        try {
            limit = ctx.queryParam("limit") == null ? 100 : Integer.parseInt(ctx.queryParam("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_DELIVERIES_LIMIT) {
            return malformed("limit: expected an integer 1.." + MAX_DELIVERIES_LIMIT);
        }
        byte[] after;
        try {
            String cursor = ctx.queryParam("cursor");
            after = cursor == null || cursor.isEmpty() ? null : Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            return malformed("cursor: not a cursor of this list");
        }
        if (webhooks.endpoint(id) == null) {
            return notFound(id);
        }
        int pageLimit = limit;
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            List<Delivery> page = webhooks.deliveries(id, state, after, pageLimit);
            return ok(Json.bytes(out -> {
                out.writeStartObject();
                out.writeArrayFieldStart("deliveries");
                for (Delivery delivery : page) {
                    out.writeStartObject();
                    out.writeStringField("eventId", delivery.eventId());
                    out.writeStringField("state", delivery.state().name());
                    out.writeNumberField("attempts", delivery.attempts());
                    out.writeStringField("nextAttemptAt", delivery.state() == Delivery.State.DEAD ? null
                            : java.time.Instant.ofEpochMilli(delivery.nextAttemptMillis()).toString());
                    out.writeStringField("lastError", delivery.lastError());
                    out.writeEndObject();
                }
                out.writeEndArray();
                byte[] last = page.isEmpty() ? null : page.get(page.size() - 1).key();
                out.writeStringField("next", page.size() < pageLimit ? null
                        : Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(last, last.length + 1)));
                out.writeEndObject();
            }));
        }, ctx.blockingTaskExecutor()));
    }

    private HttpResponse replay(String id, byte[] body) {
        Set<String> eventIds = null;
        if (body.length > 0) {
            JsonNode node = parse(body);
            only(node, "", Set.of("eventIds"));
            JsonNode ids = node.get("eventIds");
            if (ids != null && !ids.isNull()) {
                eventIds = names(node, "eventIds", value -> value.length() <= 64 ? null : "longer than 64 characters");
            }
        }
        int replayed = webhooks.replay(id, eventIds);
        if (replayed < 0) {
            return notFound(id);
        }
        return ok(Json.bytes(out -> {
            out.writeStartObject();
            out.writeNumberField("replayed", replayed);
            out.writeEndObject();
        }));
    }

    private static void subscription(JsonGenerator out, Endpoint endpoint) throws IOException {
        Subscription s = endpoint.subscription();
        out.writeStartObject();
        out.writeStringField("id", s.id());
        out.writeStringField("url", s.url());
        out.writeObjectFieldStart("filter");
        writeSorted(out, "accounts", s.filter().accounts());
        writeSorted(out, "assets", s.filter().assets());
        writeSorted(out, "types", s.filter().types());
        out.writeEndObject();
        out.writeStringField("createdAt", java.time.Instant.ofEpochMilli(s.createdAtMillis()).toString());
        out.writeNumberField("pending", endpoint.pending());
        out.writeNumberField("dead", endpoint.dead());
        out.writeNumberField("delivered", endpoint.delivered());
        out.writeEndObject();
    }

    private static void writeSorted(JsonGenerator out, String field, Set<String> values) throws IOException {
        out.writeArrayFieldStart(field);
        for (String value : new java.util.TreeSet<>(values)) {
            out.writeString(value);
        }
        out.writeEndArray();
    }

    // ---- plumbing -----------------------------------------------------------------------------

    /** A request the API refuses as malformed: 400 naming the field. */
    private static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private static HttpResponse withBody(ServiceRequestContext ctx, HttpRequest req, Function<byte[], HttpResponse> handler) {
        return HttpResponse.of(req.aggregate().thenApplyAsync((AggregatedHttpRequest aggregated) -> {
            try {
                return handler.apply(aggregated.content().array());
            } catch (Malformed e) {
                return malformed(e.getMessage());
            }
        }, ctx.blockingTaskExecutor()));
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new Malformed("body: is empty (expected: a JSON object)");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw new Malformed("body: must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new Malformed("body: is not valid JSON: " + abbreviate(String.valueOf(e.getMessage()).split("\n")[0]));
        }
    }

    private static void only(JsonNode node, String path, Set<String> allowed) {
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new Malformed(path + abbreviate(name) + ": unknown field (expected: " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new Malformed(field + ": is missing");
        }
        if (!value.isTextual()) {
            throw new Malformed(field + ": must be a string");
        }
        return value.asText();
    }

    private static HttpResponse ok(byte[] body) {
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, body);
    }

    private static HttpResponse malformed(String message) {
        return error(HttpStatus.BAD_REQUEST, "MALFORMED", message);
    }

    private static HttpResponse notFound(String id) {
        return error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no webhook subscription " + abbreviate(id));
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, Json.error(code, message));
    }

    private static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "...";
    }
}
