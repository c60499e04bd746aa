package jango.server;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpResponseException;
import com.linecorp.armeria.server.HttpStatusException;
import com.linecorp.armeria.server.RequestTimeoutException;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.CommandCodec;
import jango.engine.StoredResult;
import jango.engine.HoldView;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.StateSummary;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON API of shared/API.md on Armeria. Validation happens here, before anything reaches
 * the log; the ledger answers only after the command is durable. Responses are rendered on the
 * request's event loop, never on the ledger's writer thread.
 */
public final class JangoServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JangoServer.class);

    public static final int MAX_BODY_BYTES = 1 << 20;
    public static final int MAX_BATCH_COMMANDS = 10_000;
    /** How long a batch request may take (other requests: Armeria's 10 s); past it 503 UNAVAILABLE, retry with the same ids. */
    static final java.time.Duration BATCH_TIMEOUT = java.time.Duration.ofSeconds(30);
    public static final int MAX_HISTORY_LIMIT = 1_000;
    static final String REPLAYED_HEADER = "jango-replayed";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final Ledger ledger;
    private final Render render;
    private final JangoMetrics metrics;
    private final CommandSubmitter submitter;
    private final Server server;

    public JangoServer(Ledger ledger, JangoMetrics metrics, String host, int port) {
        this(ledger, metrics, host, port, List.of());
    }

    /**
     * @param extensions add routes of their own (modules on top of the ledger: banking, channel
     *                   streams...) to the same server and port
     */
    public JangoServer(Ledger ledger, JangoMetrics metrics, String host, int port,
                       List<java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder>> extensions) {
        this(ledger, metrics, host, port, extensions, EdgeOptions.OPEN);
    }

    /** @param edge API keys and TLS (see {@link EdgeOptions}) */
    public JangoServer(Ledger ledger, JangoMetrics metrics, String host, int port,
                       List<java.util.function.Consumer<com.linecorp.armeria.server.ServerBuilder>> extensions, EdgeOptions edge) {
        this.ledger = ledger;
        this.render = new Render(ledger.assets());
        this.metrics = metrics;
        this.submitter = new CommandSubmitter(ledger, metrics);
        com.linecorp.armeria.server.ServerBuilder builder = Server.builder();
        extensions.forEach(extension -> extension.accept(builder));
        Access access = edge.keys() == null ? null : new Access(edge.keys(), metrics.registry());
        // jango.v1 over gRPC on the same port (HTTP/2), with the same checks and limits.
        JangoGrpcService.addTo(builder, ledger, submitter, MAX_BODY_BYTES, access);
        if (access != null) {
            builder.decorator(new AuthDecorator(access));
        }
        if (edge.tls()) {
            builder.https(new InetSocketAddress(host, port)).tls(edge.tlsCertificate().toFile(), edge.tlsPrivateKey().toFile());
        } else {
            builder.http(new InetSocketAddress(host, port));
        }
        this.server = builder
                .maxRequestLength(MAX_BODY_BYTES)
                .meterRegistry(metrics.registry())
                .errorHandler(new ErrorHandler())
                // Distributed mode reads PostgreSQL: never on an event loop, or one slow query stalls every connection.
                .decorator((delegate, ctx, req) -> !ledger.readsBlock() ? delegate.serve(ctx, req)
                        : HttpResponse.of(CompletableFuture.supplyAsync(() -> {
                            try {
                                return delegate.serve(ctx, req);
                            } catch (Exception e) {
                                throw new CompletionException(e);
                            }
                        }, ctx.blockingTaskExecutor())))
                .route().put("/v1/assets/{code}").build(this::putAsset)
                .route().get("/v1/assets").build((ctx, req) -> ok(Render.assets(ledger.assets())))
                .route().post("/v1/commands").build(this::postCommand)
                // A batch applies in order; in distributed mode a command after a transfer between shards on the
                // same account waits for that transfer's answer, so a batch with a hot account takes longer than 10 s.
                .route().post("/v1/commands/batch").requestTimeout(BATCH_TIMEOUT).build(this::postBatch)
                .route().get("/v1/commands/{id}").build(this::getCommand)
                .route().post("/v1/commands/lookup").build(this::lookupCommands)
                .route().get("/v1/accounts/{account}/balances").build(this::getBalances)
                .route().get("/v1/accounts/{account}/history").build(this::getHistory)
                .route().get("/v1/holds/{hold}").build(this::getHold)
                // Hashing and checking millions of stored results takes seconds, behind a snapshot maybe longer.
                .route().get("/v1/admin/state").requestTimeout(java.time.Duration.ofMinutes(5)).build(this::getState)
                .route().post("/v1/admin/shards/{shard}/resume").build(this::resumeShard)
                .route().get("/health").build(this::getHealth)
                .route().get("/metrics").build((ctx, req) -> HttpResponse.of(HttpStatus.OK,
                        MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), metrics.scrape()))
                .build();
    }

    public JangoServer start() {
        server.start().join();
        log.info("event=listening address={}", server.activePort().localAddress());
        return this;
    }

    public int port() {
        return server.activeLocalPort();
    }

    @Override
    public void close() {
        server.stop().join();
    }

    // ---- assets -------------------------------------------------------------------------------

    private HttpResponse putAsset(ServiceRequestContext ctx, HttpRequest req) {
        String code = ctx.pathParam("code");
        return withBody(ctx, req, body -> {
            String badCode = badName("code", code, Names.ASSET);
            if (badCode != null) {
                throw new Malformed(badCode);
            }
            JsonNode node = parse(body);
            if (!node.isObject()) {
                throw new Malformed("body: must be a JSON object");
            }
            CommandParser.only(node, "", java.util.Set.of("scale"));
            JsonNode scale = node.get("scale");
            if (scale == null || scale.isNull()) {
                throw new Malformed("scale: is missing");
            }
            if (!scale.isIntegralNumber() || !scale.canConvertToInt() || scale.intValue() < 0 || scale.intValue() > Names.MAX_SCALE) {
                throw new Malformed("scale: " + scale + " (expected: an integer 0.." + Names.MAX_SCALE + ")");
            }
            Command register = new Command.RegisterAsset(code, scale.intValue());
            return submit(ctx, List.of(register), outcomes -> {
                Outcome outcome = outcomes.get(0);
                return switch (outcome.kind()) {
                    case ASSET_CREATED -> json(HttpStatus.CREATED, assetBody(code, scale.intValue()));
                    case ASSET_EXISTS -> json(HttpStatus.OK, assetBody(code, scale.intValue()));
                    default -> error(HttpStatus.CONFLICT, "ASSET_CONFLICT", outcome.message());
                };
            });
        });
    }

    private static byte[] assetBody(String code, int scale) {
        return Render.json(json -> {
            json.writeStartObject();
            json.writeStringField("code", code);
            json.writeNumberField("scale", scale);
            json.writeEndObject();
        });
    }

    // ---- commands -----------------------------------------------------------------------------

    private HttpResponse postCommand(ServiceRequestContext ctx, HttpRequest req) {
        return withBody(ctx, req, body -> {
            Command command = JsonCommands.single(body);
            submitter.requirePlaceable(command, "");
            return answer(ctx, submitter.one(command, "http"), outcome -> switch (outcome.kind()) {
                case NEW -> ok(render.result(outcome.result()));
                case REPLAYED -> replayed(outcome.result());
                default -> idConflict(command.id());
            });
        });
    }

    private HttpResponse postBatch(ServiceRequestContext ctx, HttpRequest req) {
        return withBody(ctx, req, body -> {
            List<Command> commands = JsonCommands.batch(body, MAX_BATCH_COMMANDS,
                    (command, i) -> submitter.requirePlaceable(command, "commands[" + i + "]."));
            return answer(ctx, submitter.batch(commands, "http"), outcomes -> ok(Render.json(json -> {
                json.writeStartObject();
                json.writeArrayFieldStart("results");
                for (Outcome outcome : outcomes) {
                    if (outcome.kind() == Outcome.Kind.ID_CONFLICT) {
                        json.writeStartObject();
                        json.writeStringField("id", outcome.result().id());
                        json.writeStringField("error", "ID_CONFLICT");
                        json.writeStringField("message", outcome.message());
                        json.writeEndObject();
                    } else {
                        render.result(json, outcome.result());
                    }
                }
                json.writeEndArray();
                json.writeEndObject();
            })));
        });
    }

    private HttpResponse getCommand(ServiceRequestContext ctx, HttpRequest req) {
        String id = ctx.pathParam("id");
        String bad = badName("id", id, Names.ID);
        if (bad != null) {
            return malformed(bad);
        }
        return offLoop(ctx, () -> {
            Result result = ledger.result(id);
            return result == null ? error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no command with id " + id) : ok(render.result(result));
        });
    }

    /**
     * Reads of results, closed holds and history may wait on the disk and on the index catching up
     * (bounded, seconds): never on an event loop, where every connection it serves would wait.
     */
    private static HttpResponse offLoop(ServiceRequestContext ctx, java.util.function.Supplier<HttpResponse> read) {
        return HttpResponse.of(CompletableFuture.supplyAsync(read, ctx.blockingTaskExecutor()));
    }

    /** Extension: the stored results of up to 10,000 ids at once, null where none ({@code {"ids": [...]}}). */
    private HttpResponse lookupCommands(ServiceRequestContext ctx, HttpRequest req) {
        return withBody(ctx, req, body -> {
            JsonNode ids = boundedArray(body, "ids");
            List<String> wanted = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                wanted.add(CommandParser.pattern(ids, "ids", i, Names.ID));
            }
            return offLoop(ctx, () -> {
                List<Result> results = ledger.results(wanted);
                return ok(Render.json(json -> {
                    json.writeStartObject();
                    json.writeArrayFieldStart("results");
                    for (Result result : results) {
                        if (result == null) {
                            json.writeNull();
                        } else {
                            render.result(json, result);
                        }
                    }
                    json.writeEndArray();
                    json.writeEndObject();
                }));
            });
        });
    }

    private HttpResponse replayed(Result stored) {
        return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
                .add(REPLAYED_HEADER, "true").build(), HttpData.wrap(render.result(stored)));
    }

    private static HttpResponse idConflict(String id) {
        return error(HttpStatus.CONFLICT, "ID_CONFLICT", CommandSubmitter.idConflictMessage(id));
    }

    // ---- queries ------------------------------------------------------------------------------

    private HttpResponse getBalances(ServiceRequestContext ctx, HttpRequest req) {
        String account = ctx.pathParam("account");
        String asset = blankToNull(ctx.queryParam("asset"));
        String bad = firstNonNull(badName("account", account, Names.OWNER), badName("asset", asset, Names.ASSET));
        if (bad != null) {
            return malformed(bad);
        }
        List<BalanceView> balances = ledger.balances(account, asset);
        String etag = BalanceEtag.of(balances);
        String ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        if (etag.equals(ifNoneMatch)) {
            return HttpResponse.of(ResponseHeaders.builder(HttpStatus.NOT_MODIFIED).add(HttpHeaderNames.ETAG, etag).build());
        }
        return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
                .add(HttpHeaderNames.ETAG, etag).build(), HttpData.wrap(render.balances(account, balances)));
    }

    private HttpResponse getHistory(ServiceRequestContext ctx, HttpRequest req) {
        String account = ctx.pathParam("account");
        String asset = blankToNull(ctx.queryParam("asset"));
        String limitText = blankToNull(ctx.queryParam("limit"));
        String cursor = blankToNull(ctx.queryParam("cursor"));
        String bad = firstNonNull(badName("account", account, Names.OWNER), badName("asset", asset, Names.ASSET));
        int limit = 100;
        if (bad == null && limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_HISTORY_LIMIT) {
                bad = "limit: \"" + CommandParser.abbreviate(limitText) + "\" (expected: an integer 1.." + MAX_HISTORY_LIMIT + ")";
            }
        }
        if (bad != null) {
            return malformed(bad);
        }
        int pageLimit = limit;
        // The index may wait (bounded) to include everything applied before this call.
        return offLoop(ctx, () -> {
            try {
                HistoryPage page = ledger.history(account, asset, pageLimit, cursor);
                return ok(render.history(page));
            } catch (IllegalArgumentException e) {
                return malformed(e.getMessage());
            } catch (LedgerUnavailableException e) {
                return unavailable(e);
            }
        });
    }

    private HttpResponse getHold(ServiceRequestContext ctx, HttpRequest req) {
        String hold = ctx.pathParam("hold");
        String bad = badName("hold", hold, Names.ID);
        if (bad != null) {
            return malformed(bad);
        }
        return offLoop(ctx, () -> {
            HoldView view = ledger.hold(hold);
            return view == null ? error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no hold with id " + hold) : ok(render.hold(view));
        });
    }

    private HttpResponse getHealth(ServiceRequestContext ctx, HttpRequest req) {
        var shards = ledger.shards();
        boolean up = shards.stream().allMatch(s -> s.up());
        return json(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, Render.health(shards));
    }

    /** Operations: a halted shard goes on from where it stopped (distributed mode; embedded restarts). */
    private HttpResponse resumeShard(ServiceRequestContext ctx, HttpRequest req) {
        int shard;
        try {
            shard = Integer.parseInt(ctx.pathParam("shard"));
        } catch (NumberFormatException e) {
            return malformed("shard: \"" + CommandParser.abbreviate(ctx.pathParam("shard")) + "\" is not a shard number");
        }
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            try {
                ledger.resume(shard);
                return json(HttpStatus.ACCEPTED, Render.json(json -> {
                    json.writeStartObject();
                    json.writeNumberField("shard", shard);
                    json.writeStringField("status", "RESUMING");
                    json.writeEndObject();
                }));
            } catch (IllegalArgumentException e) {
                return error(HttpStatus.NOT_FOUND, "NOT_FOUND", e.getMessage());
            } catch (UnsupportedOperationException e) {
                return error(HttpStatus.CONFLICT, "NOT_SUPPORTED", e.getMessage());
            } catch (LedgerUnavailableException e) {
                return unavailable(e);
            }
        }, ctx.blockingTaskExecutor()));
    }

    private HttpResponse getState(ServiceRequestContext ctx, HttpRequest req) {
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            try {
                StateSummary summary = ledger.stateSummary();
                return ok(Render.json(json -> {
                    json.writeStartObject();
                    json.writeNumberField("seq", summary.seq());
                    json.writeStringField("stateHash", summary.stateHash());
                    json.writeStringField("invariants", summary.invariantsHold() ? "ok" : summary.invariantViolation());
                    json.writeEndObject();
                }));
            } catch (LedgerUnavailableException e) {
                return unavailable(e);
            }
        }, ctx.blockingTaskExecutor()));
    }

    /** The message for a name that breaks its pattern, or null when it is absent or fine. */
    private static String badName(String field, String value, Names.Shape pattern) {
        if (value == null || pattern.matches(value)) {
            return null;
        }
        return field + ": \"" + CommandParser.abbreviate(value) + "\" does not match " + pattern.pattern();
    }

    private static String firstNonNull(String first, String second) {
        return first != null ? first : second;
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    // ---- plumbing -----------------------------------------------------------------------------

    /** Aggregates the body (bounded by maxRequestLength) and maps refusals to their answers. */
    private HttpResponse withBody(ServiceRequestContext ctx, HttpRequest req, Function<byte[], HttpResponse> handler) {
        String unsupported = JsonContentType.refusal(req.contentType());
        if (unsupported != null) {
            return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", unsupported);
        }
        java.util.function.BiFunction<AggregatedHttpRequest, Throwable, HttpResponse> handle = (aggregated, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (cause instanceof ContentTooLargeException) {
                    return tooLarge();
                }
                if (cause instanceof RequestTimeoutException) {
                    return unavailable(new LedgerUnavailableException(LedgerUnavailableException.Code.UNAVAILABLE,
                            "the request timed out before its body was read; nothing was applied", 1));
                }
                log.warn("event=body_unreadable path={} error=\"{}\"", ctx.path(), cause.toString());
                return error(HttpStatus.BAD_REQUEST, "MALFORMED", "body: could not be read (the upload failed)");
            }
            try {
                return handler.apply(aggregated.content().array());
            } catch (Malformed e) {
                return malformed(e.getMessage());
            } catch (TooLarge e) {
                return error(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "TOO_LARGE", e.getMessage());
            } catch (LedgerUnavailableException e) {
                return unavailable(e);
            }
        };
        CompletableFuture<AggregatedHttpRequest> body = req.aggregate();
        return HttpResponse.of(ledger.readsBlock() ? body.handleAsync(handle, ctx.blockingTaskExecutor()) : body.handle(handle));
    }

    private HttpResponse submit(ServiceRequestContext ctx, List<Command> commands, Function<List<Outcome>, HttpResponse> answer) {
        return answer(ctx, ledger.submit(commands), answer);
    }

    /** The answer rendered on the request's event loop, never on the ledger's writer thread. */
    private static <T> HttpResponse answer(ServiceRequestContext ctx, CompletableFuture<T> outcome, Function<T, HttpResponse> answer) {
        CompletableFuture<HttpResponse> response = outcome.handleAsync((value, error) -> {
            if (error == null) {
                return answer.apply(value);
            }
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            if (cause instanceof LedgerUnavailableException unavailable) {
                return unavailable(unavailable);
            }
            log.error("event=submit_failed", cause);
            // The cause stays in the log: its class names and messages are the server's, not the caller's.
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error (logged as event=submit_failed)");
        }, ctx.eventLoop());
        return HttpResponse.of(response);
    }

    /**
     * The body {@code {"<field>": [...]}} with at most {@link #MAX_BATCH_COMMANDS} elements: its array.
     *
     * @throws Malformed for any other shape
     * @throws TooLarge  for more elements
     */
    private static JsonNode boundedArray(byte[] body, String field) {
        JsonNode node = parse(body);
        if (!node.isObject()) {
            throw new Malformed("body: must be a JSON object {\"" + field + "\": [...]}");
        }
        CommandParser.only(node, "", java.util.Set.of(field));
        JsonNode array = node.get(field);
        if (array == null || !array.isArray()) {
            throw new Malformed(field + ": " + (array == null ? "is missing" : "must be an array"));
        }
        if (array.size() > MAX_BATCH_COMMANDS) {
            throw new TooLarge(field + ": " + array.size() + " elements (expected: at most " + MAX_BATCH_COMMANDS + ")");
        }
        return array;
    }

    /** A request over a limit: 413 TOO_LARGE, never recorded. */
    static final class TooLarge extends RuntimeException {
        TooLarge(String message) {
            super(message, null, false, false);
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new Malformed("body: is empty (expected: a JSON object)");
        }
        try {
            return MAPPER.readTree(body);
        } catch (IOException | NumberFormatException e) { // a float too large for a BigDecimal (1e9999999999) is the latter
            String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new Malformed("body: is not valid JSON: " + CommandParser.abbreviate(detail));
        }
    }

    private static HttpResponse unavailable(LedgerUnavailableException e) {
        return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.JSON_UTF_8)
                .add(HttpHeaderNames.RETRY_AFTER, Integer.toString(e.retryAfterSeconds())).build(),
                HttpData.wrap(Render.error(e.code().name(), e.getMessage())));
    }

    private static HttpResponse tooLarge() {
        return error(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "TOO_LARGE", "body: larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static HttpResponse ok(byte[] body) {
        return json(HttpStatus.OK, body);
    }

    private static HttpResponse json(HttpStatus status, byte[] body) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, body);
    }

    private static HttpResponse malformed(String message) {
        return error(HttpStatus.BAD_REQUEST, "MALFORMED", message);
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return json(status, Render.error(code, message));
    }

    /** Every error the framework produces (unknown route, wrong method, oversized body) in our shape. */
    private static final class ErrorHandler implements ServerErrorHandler {
        @Override
        public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
            for (Throwable c = cause; c != null; c = c.getCause()) {
                if (c instanceof ContentTooLargeException) {
                    return tooLarge();
                }
            }
            for (Throwable c = cause; c != null; c = c.getCause()) {
                if (c instanceof LedgerUnavailableException unavailable) {
                    return unavailable(unavailable);
                }
            }
            if (cause instanceof RequestTimeoutException) {
                return unavailable(new LedgerUnavailableException(LedgerUnavailableException.Code.UNAVAILABLE,
                        "the request timed out on " + ctx.path() + "; a command in it may still be applied: retry with the same id", 1));
            }
            if (cause instanceof HttpStatusException || cause instanceof HttpResponseException) {
                return null; // the framework's own status, rendered by renderStatus below
            }
            log.error("event=request_failed path={}", ctx.path(), cause);
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
        }

        @Override
        public AggregatedHttpResponse renderStatus(ServiceRequestContext ctx, ServiceConfig config, RequestHeaders headers,
                                                   HttpStatus status, String description, Throwable cause) {
            String code = switch (status.code()) {
                case 404 -> "NOT_FOUND";
                case 405 -> "METHOD_NOT_ALLOWED";
                case 413 -> "TOO_LARGE";
                case 400 -> "MALFORMED";
                case 503 -> "UNAVAILABLE";
                case 414 -> "URI_TOO_LONG";
                case 415 -> "UNSUPPORTED_MEDIA_TYPE";
                case 431 -> "HEADERS_TOO_LARGE";
                // Every error names its code: the reason phrase in the API's style ("REQUEST_TIMEOUT").
                default -> status.reasonPhrase().toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
            };
            String message = description != null ? description : status.reasonPhrase();
            return AggregatedHttpResponse.of(status, MediaType.JSON_UTF_8, Render.error(code, message));
        }
    }
}
