package jango.server;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.common.HttpData;
import jango.api.v1.JangoGrpc;

/**
 * API keys on every HTTP route, this module's and the extensions' alike; before the body is read,
 * so a refused request costs little and records nothing. gRPC calls are checked by
 * {@link AuthInterceptor}, which answers them with gRPC statuses.
 */
final class AuthDecorator implements DecoratingHttpServiceFunction {
    private static final String GRPC_PATHS = "/" + JangoGrpc.SERVICE_NAME + "/";

    private final Access access;

    AuthDecorator(Access access) {
        this.access = access;
    }

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
        String path = ctx.path();
        if (path.startsWith(GRPC_PATHS)) {
            return delegate.serve(ctx, req);
        }
        Access.Refusal refusal = access.check(req.headers().get(HttpHeaderNames.AUTHORIZATION), Access.scope(ctx.method(), path),
                Access.owner(path), Access.ownerFree(path), ctx.method() + " " + path);
        if (refusal == null) {
            return delegate.serve(ctx, req);
        }
        com.linecorp.armeria.common.ResponseHeadersBuilder headers = ResponseHeaders.builder(HttpStatus.valueOf(refusal.status())).contentType(MediaType.JSON_UTF_8);
        if (refusal.status() == 401) {
            headers.add(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"jango\"");
        }
        return HttpResponse.of(headers.build(), HttpData.wrap(Render.error(refusal.code(), refusal.message())));
    }
}
