package jango.server;

import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import jango.api.v1.Asset;
import jango.api.v1.Assets;
import jango.api.v1.BatchAnswer;
import jango.api.v1.CommandResult;
import jango.api.v1.Error;
import jango.api.v1.GetBalancesRequest;
import jango.api.v1.GetCommandRequest;
import jango.api.v1.GetHistoryRequest;
import jango.api.v1.GetHoldRequest;
import jango.api.v1.HealthRequest;
import jango.api.v1.HealthResponse;
import jango.api.v1.JangoGrpc;
import jango.api.v1.ListAssetsRequest;
import jango.api.v1.LookupCommandsRequest;
import jango.api.v1.LookupCommandsResponse;
import jango.api.v1.PutAssetRequest;
import jango.api.v1.ShardHealth;
import jango.api.v1.StoredResult;
import jango.api.v1.SubmitBatchRequest;
import jango.api.v1.SubmitBatchResponse;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.HoldView;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.ShardStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jango.v1 gRPC service (jango-api's jango.proto): the same ledger, checks, reasons and limits
 * as the HTTP/JSON API. Errors are gRPC statuses with the API's error code in the trailer
 * {@code jango-error} (and {@code retry-after} on UNAVAILABLE).
 */
final class JangoGrpcService extends JangoGrpc.JangoImplBase {
    private static final Logger log = LoggerFactory.getLogger(JangoGrpcService.class);
    static final Metadata.Key<String> ERROR_CODE = Metadata.Key.of("jango-error", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

    private final Ledger ledger;
    private final CommandSubmitter submitter;
    private final ProtoAnswers answers;

    private JangoGrpcService(Ledger ledger, CommandSubmitter submitter) {
        this.ledger = ledger;
        this.submitter = submitter;
        this.answers = new ProtoAnswers(new Render(ledger.assets()));
    }

    /**
     * Adds the service to the server (same port as HTTP). A message over {@code maxMessageBytes}
     * is RESOURCE_EXHAUSTED (TOO_LARGE) from the gRPC layer; the routes' HTTP limit is set well
     * above it so that the answer is a gRPC status, not an HTTP 413 the client cannot name.
     * {@code access} null: no API keys.
     */
    static void addTo(com.linecorp.armeria.server.ServerBuilder server, Ledger ledger, CommandSubmitter submitter, int maxMessageBytes,
                      Access access) {
        var builder = GrpcService.builder();
        if (access == null) {
            builder.addService(new JangoGrpcService(ledger, submitter));
        } else {
            builder.addService(io.grpc.ServerInterceptors.intercept(new JangoGrpcService(ledger, submitter), new AuthInterceptor(access)));
        }
        GrpcService grpc = builder
                // Protobuf only, as docs/grpc.md describes (JSON over HTTP is the REST API): the
                // gRPC-JSON marshallers took most of a second of each start to build, for nothing.
                .supportedSerializationFormats(com.linecorp.armeria.common.grpc.GrpcSerializationFormats.PROTO,
                        com.linecorp.armeria.common.grpc.GrpcSerializationFormats.PROTO_WEB,
                        com.linecorp.armeria.common.grpc.GrpcSerializationFormats.PROTO_WEB_TEXT)
                .maxRequestMessageLength(maxMessageBytes)
                .exceptionHandler(JangoGrpcService::undecodable)
                // Distributed mode reads PostgreSQL: never on an event loop.
                .useBlockingTaskExecutor(ledger.readsBlock())
                .build();
        com.linecorp.armeria.server.ServiceBindingBuilder binding = server.route();
        grpc.routes().forEach(binding::addRoute);
        binding.maxRequestLength(16L * maxMessageBytes).build(grpc);
    }

    /**
     * A request protobuf cannot decode (text that is not UTF-8, a truncated message) is malformed:
     * INVALID_ARGUMENT with MALFORMED, as a JSON body that does not parse is 400. Protobuf's error
     * does not say which field, so the message names the request.
     */
    private static Status undecodable(com.linecorp.armeria.common.RequestContext ctx, Status status, Throwable cause, Metadata trailers) {
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof com.google.protobuf.InvalidProtocolBufferException invalid) {
                trailers.put(ERROR_CODE, "MALFORMED");
                return Status.INVALID_ARGUMENT.withDescription("request: is not a valid jango.v1 message: " + invalid.getMessage());
            }
        }
        return com.linecorp.armeria.common.grpc.GrpcExceptionHandlerFunction.of().apply(ctx, status, cause, trailers);
    }

    /** A refusal with the API's error code; {@code grpc} is the status it maps to. */
    private static final class Refusal extends RuntimeException {
        final Status grpc;
        final String code;
        final int retryAfterSeconds;

        Refusal(Status grpc, String code, String message, int retryAfterSeconds) {
            super(message, null, false, false);
            this.grpc = grpc;
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    // ---- commands -----------------------------------------------------------------------------

    @Override
    public void submit(jango.api.v1.Command request, StreamObserver<CommandResult> out) {
        answerLater(out, () -> {
            Command command = ProtoCommands.command(request, "");
            submitter.requirePlaceable(command, "");
            return submitter.one(command, "grpc");
        }, outcome -> switch (outcome.kind()) {
            case NEW -> answers.result(outcome.result(), false);
            case REPLAYED -> answers.result(outcome.result(), true);
            default -> throw new Refusal(Status.ALREADY_EXISTS, "ID_CONFLICT", CommandSubmitter.idConflictMessage(request.getId()), 0);
        });
    }

    @Override
    public void submitBatch(SubmitBatchRequest request, StreamObserver<SubmitBatchResponse> out) {
        answerLater(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            int count = request.getCommandsCount();
            if (count == 0) {
                throw new Malformed("commands: is empty (expected: 1.." + JangoServer.MAX_BATCH_COMMANDS + " commands)");
            }
            if (count > JangoServer.MAX_BATCH_COMMANDS) {
                throw new Refusal(Status.RESOURCE_EXHAUSTED, "TOO_LARGE", "commands: " + count + " elements (expected: at most "
                        + JangoServer.MAX_BATCH_COMMANDS + ")", 0);
            }
            List<Command> commands = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Command command = ProtoCommands.command(request.getCommands(i), "commands[" + i + "]");
                submitter.requirePlaceable(command, "commands[" + i + "].");
                commands.add(command);
            }
            return submitter.batch(commands, "grpc");
        }, outcomes -> {
            SubmitBatchResponse.Builder response = SubmitBatchResponse.newBuilder();
            for (Outcome outcome : outcomes) {
                BatchAnswer.Builder answer = BatchAnswer.newBuilder();
                if (outcome.kind() == Outcome.Kind.ID_CONFLICT) {
                    answer.setError(Error.newBuilder().setId(outcome.result().id()).setCode("ID_CONFLICT").setMessage(outcome.message()));
                } else {
                    answer.setResult(answers.result(outcome.result(), outcome.kind() == Outcome.Kind.REPLAYED));
                }
                response.addAnswers(answer);
            }
            return response.build();
        });
    }

    @Override
    public void getCommand(GetCommandRequest request, StreamObserver<CommandResult> out) {
        answerOffLoop(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            String id = ProtoCommands.name(request.getId(), "", "id", Names.ID);
            Result result = ledger.result(id);
            if (result == null) {
                throw new Refusal(Status.NOT_FOUND, "NOT_FOUND", "no command with id " + id, 0);
            }
            return answers.result(result, false);
        });
    }

    @Override
    public void lookupCommands(LookupCommandsRequest request, StreamObserver<LookupCommandsResponse> out) {
        answerOffLoop(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            if (request.getIdsCount() > JangoServer.MAX_BATCH_COMMANDS) {
                throw new Refusal(Status.RESOURCE_EXHAUSTED, "TOO_LARGE", "ids: " + request.getIdsCount() + " elements (expected: at most "
                        + JangoServer.MAX_BATCH_COMMANDS + ")", 0);
            }
            for (int i = 0; i < request.getIdsCount(); i++) {
                ProtoCommands.name(request.getIds(i), "", "ids[" + i + "]", Names.ID);
            }
            LookupCommandsResponse.Builder response = LookupCommandsResponse.newBuilder();
            for (Result result : ledger.results(request.getIdsList())) {
                response.addResults(result == null ? StoredResult.getDefaultInstance()
                        : StoredResult.newBuilder().setResult(answers.result(result, false)).build());
            }
            return response.build();
        });
    }

    // ---- queries ------------------------------------------------------------------------------

    @Override
    public void getBalances(GetBalancesRequest request, StreamObserver<jango.api.v1.Balances> out) {
        answerNow(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            String account = ProtoCommands.name(request.getAccount(), "", "account", Names.OWNER);
            String asset = request.hasAsset() ? ProtoCommands.name(request.getAsset(), "", "asset", Names.ASSET) : null;
            List<BalanceView> balances = ledger.balances(account, asset);
            return answers.balances(account, balances);
        });
    }

    @Override
    public void getHistory(GetHistoryRequest request, StreamObserver<jango.api.v1.HistoryPage> out) {
        ServiceRequestContext ctx = ServiceRequestContext.current();
        answerLater(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            String account = ProtoCommands.name(request.getAccount(), "", "account", Names.OWNER);
            String asset = request.hasAsset() ? ProtoCommands.name(request.getAsset(), "", "asset", Names.ASSET) : null;
            int limit = request.getLimit() == 0 ? 100 : request.getLimit();
            if (limit < 1 || limit > JangoServer.MAX_HISTORY_LIMIT) {
                throw new Malformed("limit: " + request.getLimit() + " (expected: 1.." + JangoServer.MAX_HISTORY_LIMIT + ", or 0 for 100)");
            }
            String cursor = request.getCursor().isEmpty() ? null : request.getCursor();
            // The index may wait (bounded) to include everything applied before this call.
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return ledger.history(account, asset, limit, cursor);
                } catch (IllegalArgumentException e) {
                    throw new Malformed(e.getMessage());
                }
            }, ctx.blockingTaskExecutor());
        }, answers::history);
    }

    @Override
    public void getHold(GetHoldRequest request, StreamObserver<jango.api.v1.Hold> out) {
        answerOffLoop(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            String hold = ProtoCommands.name(request.getHold(), "", "hold", Names.ID);
            HoldView view = ledger.hold(hold);
            if (view == null) {
                throw new Refusal(Status.NOT_FOUND, "NOT_FOUND", "no hold with id " + hold, 0);
            }
            return answers.hold(view);
        });
    }

    @Override
    public void putAsset(PutAssetRequest request, StreamObserver<Asset> out) {
        answerLater(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            String code = ProtoCommands.name(request.getCode(), "", "code", Names.ASSET);
            if (!request.hasScale()) {
                throw new Malformed("scale: is missing");
            }
            if (request.getScale() < 0 || request.getScale() > Names.MAX_SCALE) {
                throw new Malformed("scale: " + request.getScale() + " (expected: an integer 0.." + Names.MAX_SCALE + ")");
            }
            return ledger.submit(List.of(new Command.RegisterAsset(code, request.getScale())));
        }, outcomes -> {
            Outcome outcome = outcomes.get(0);
            return switch (outcome.kind()) {
                case ASSET_CREATED, ASSET_EXISTS -> Asset.newBuilder().setCode(request.getCode()).setScale(request.getScale())
                        .setCreated(outcome.kind() == Outcome.Kind.ASSET_CREATED).build();
                default -> throw new Refusal(Status.ALREADY_EXISTS, "ASSET_CONFLICT", outcome.message(), 0);
            };
        });
    }

    @Override
    public void listAssets(ListAssetsRequest request, StreamObserver<Assets> out) {
        answerNow(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            Assets.Builder assets = Assets.newBuilder();
            for (Map.Entry<String, Integer> asset : new TreeMap<>(ledger.assets()).entrySet()) {
                assets.addAssets(Asset.newBuilder().setCode(asset.getKey()).setScale(asset.getValue()));
            }
            return assets.build();
        });
    }

    @Override
    public void health(HealthRequest request, StreamObserver<HealthResponse> out) {
        answerNow(out, () -> {
            ProtoCommands.noUnknownFields(request, "");
            HealthResponse.Builder health = HealthResponse.newBuilder().setUp(true);
            for (ShardStatus shard : ledger.shards()) {
                health.setUp(health.getUp() && shard.up());
                health.addShards(ShardHealth.newBuilder().setShard(shard.shard()).setUp(shard.up())
                        .setReason(shard.up() || shard.reason() == null ? "" : shard.reason()).setSeq(shard.appliedSeq()));
            }
            return health.build();
        });
    }

    // ---- plumbing -----------------------------------------------------------------------------

    /** Answers with what {@code work} returns, or the refusal it throws. */
    private static <T> void answerNow(StreamObserver<T> out, Supplier<T> work) {
        T answer;
        try {
            answer = work.get();
        } catch (RuntimeException e) {
            out.onError(refusal(e));
            return;
        }
        out.onNext(answer);
        out.onCompleted();
    }

    /** As {@link #answerNow}, {@code work} run off the event loop: reads of results and holds may wait on the disk and the index. */
    private static <T> void answerOffLoop(StreamObserver<T> out, Supplier<T> work) {
        ServiceRequestContext ctx = ServiceRequestContext.current();
        answerLater(out, () -> CompletableFuture.supplyAsync(work, ctx.blockingTaskExecutor()), Function.identity());
    }

    /** Starts {@code work}, then answers with {@code render} of its value on the request's event loop. */
    private static <V, T> void answerLater(StreamObserver<T> out, Supplier<CompletableFuture<V>> work, Function<V, T> render) {
        ServiceRequestContext ctx = ServiceRequestContext.current();
        CompletableFuture<V> started;
        try {
            started = work.get();
        } catch (RuntimeException e) {
            out.onError(refusal(e));
            return;
        }
        started.handleAsync((value, error) -> {
            if (error != null) {
                out.onError(refusal(error instanceof CompletionException ? error.getCause() : error));
                return null;
            }
            T answer;
            try {
                answer = render.apply(value);
            } catch (RuntimeException e) {
                out.onError(refusal(e));
                return null;
            }
            out.onNext(answer);
            out.onCompleted();
            return null;
        }, ctx.eventLoop());
    }

    private static io.grpc.StatusRuntimeException refusal(Throwable cause) {
        Refusal refusal = switch (cause) {
            case Refusal r -> r;
            case Malformed m -> new Refusal(Status.INVALID_ARGUMENT, "MALFORMED", m.getMessage(), 0);
            case LedgerUnavailableException u -> new Refusal(Status.UNAVAILABLE, u.code().name(), u.getMessage(), u.retryAfterSeconds());
            default -> {
                log.error("event=grpc_call_failed", cause);
                yield new Refusal(Status.INTERNAL, "INTERNAL", "internal error (logged as event=grpc_call_failed)", 0);
            }
        };
        Metadata trailers = new Metadata();
        trailers.put(ERROR_CODE, refusal.code);
        if (refusal.retryAfterSeconds > 0) {
            trailers.put(RETRY_AFTER, Integer.toString(refusal.retryAfterSeconds));
        }
        return refusal.grpc.withDescription(refusal.getMessage()).asRuntimeException(trailers);
    }
}
