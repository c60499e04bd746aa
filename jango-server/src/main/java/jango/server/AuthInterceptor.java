package jango.server;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import jango.api.v1.GetBalancesRequest;
import jango.api.v1.GetHistoryRequest;
import jango.server.keys.Scope;

/**
 * API keys on the gRPC service: the same rules as HTTP ({@link Access}), answered as
 * UNAUTHENTICATED or PERMISSION_DENIED with the code in the {@code jango-error} trailer. Calls that
 * read one owner are checked when their message arrives, against the account it names.
 */
final class AuthInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Access access;

    AuthInterceptor(Access access) {
        this.access = access;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        String authorization = headers.get(AUTHORIZATION);
        Scope scope = switch (method) {
            case "Submit", "SubmitBatch" -> Scope.COMMANDS_WRITE;
            case "PutAsset" -> Scope.ADMIN;
            default -> Scope.READ;
        };
        boolean ownerFree = method.equals("ListAssets") || method.equals("Health");
        boolean readsOneOwner = method.equals("GetBalances") || method.equals("GetHistory");
        // Everything but the owner is checked now: a call without a valid key never gets further.
        Access.Refusal refusal = access.check(authorization, scope, null, true, "grpc " + method);
        if (refusal == null && !ownerFree && !readsOneOwner) {
            refusal = access.check(authorization, scope, null, false, "grpc " + method);
        }
        if (refusal != null) {
            close(call, refusal);
            return new ServerCall.Listener<>() {
            };
        }
        if (!readsOneOwner) {
            return next.startCall(call, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                String owner = message instanceof GetBalancesRequest balances ? balances.getAccount()
                        : ((GetHistoryRequest) message).getAccount();
                Access.Refusal byOwner = access.check(authorization, scope, owner, false, "grpc " + method);
                if (byOwner != null) {
                    refused = true;
                    close(call, byOwner);
                } else {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    private static <Q, R> void close(ServerCall<Q, R> call, Access.Refusal refusal) {
        Metadata trailers = new Metadata();
        trailers.put(JangoGrpcService.ERROR_CODE, refusal.code());
        Status status = refusal.status() == 401 ? Status.UNAUTHENTICATED : Status.PERMISSION_DENIED;
        call.close(status.withDescription(refusal.message()), trailers);
    }
}
