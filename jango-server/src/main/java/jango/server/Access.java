package jango.server;

import com.linecorp.armeria.common.HttpMethod;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jango.server.keys.ApiKey;
import jango.server.keys.ApiKeys;
import jango.server.keys.Scope;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may do what, for HTTP and gRPC alike. Without a key, or with an unknown or revoked one:
 * 401. With a key whose scopes do not cover the call, or bound to other owners: 403. A refused
 * request never reaches a handler, so nothing is recorded. Logs name the key id, never the secret.
 */
final class Access {
    private static final Logger log = LoggerFactory.getLogger(Access.class);
    private static final String ACCOUNTS = "/v1/accounts/";

    /** A refusal: 401 UNAUTHENTICATED or 403 FORBIDDEN, with what to tell the caller. */
    record Refusal(int status, String code, String message) {
    }

    private final ApiKeys keys;
    private final Counter unauthenticated;
    private final Counter forbidden;

    Access(ApiKeys keys, MeterRegistry registry) {
        this.keys = keys;
        this.unauthenticated = Counter.builder("jango.auth.refused").tag("status", "401").register(registry);
        this.forbidden = Counter.builder("jango.auth.refused").tag("status", "403").register(registry);
    }

    /** The scope an HTTP route needs; routes of other modules get read for reads and admin for writes. */
    static Scope scope(HttpMethod method, String path) {
        if (path.startsWith("/v1/admin/") || path.equals("/metrics") || (method == HttpMethod.PUT && path.startsWith("/v1/assets/"))) {
            return Scope.ADMIN;
        }
        if (method == HttpMethod.POST && (path.equals("/v1/commands") || path.equals("/v1/commands/batch"))) {
            return Scope.COMMANDS_WRITE;
        }
        if (method == HttpMethod.GET || method == HttpMethod.HEAD || (method == HttpMethod.POST && path.equals("/v1/commands/lookup"))) {
            return Scope.READ;
        }
        return Scope.ADMIN;
    }

    /** The owner an HTTP path reads ({@code /v1/accounts/{owner}/...}), or null. */
    static String owner(String path) {
        if (!path.startsWith(ACCOUNTS)) {
            return null;
        }
        int end = path.indexOf('/', ACCOUNTS.length());
        return end < 0 ? path.substring(ACCOUNTS.length()) : path.substring(ACCOUNTS.length(), end);
    }

    /** Reads an owner-bound key may make whatever the owner: the asset list and health. */
    static boolean ownerFree(String path) {
        return path.equals("/v1/assets") || path.equals("/health");
    }

    /**
     * Null when the call may go on. {@code owner} is the account the call reads (null when it
     * reads none); {@code ownerFree} says the call reveals no owner's data.
     */
    Refusal check(String authorization, Scope scope, String owner, boolean ownerFree, String what) {
        if (!keys.enforced()) {
            return null;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthenticated.increment();
            return new Refusal(401, "UNAUTHENTICATED", "an API key is needed: send \"Authorization: Bearer <key>\" (jango keys create)");
        }
        ApiKeys.Verdict verdict = keys.authenticate(authorization.substring(7).trim());
        if (!verdict.accepted()) {
            unauthenticated.increment();
            log.warn("event=auth_refused status=401 key_id={} reason=\"{}\" call=\"{}\"", verdict.keyId(), verdict.refusal(), what);
            return new Refusal(401, "UNAUTHENTICATED", "the API key was not accepted: " + verdict.refusal());
        }
        ApiKey key = verdict.key();
        if (!key.allows(scope)) {
            return forbid(key, what, "the key's scopes " + scopes(key) + " do not include " + scope.text());
        }
        if (key.ownerBound() && !ownerFree && (owner == null || !key.reaches(owner))) {
            return forbid(key, what, owner == null
                    ? "the key is bound to owners starting with " + key.ownerPrefix() + ": it reads their balances and history only"
                    : "the key is bound to owners starting with " + key.ownerPrefix() + ", not " + owner);
        }
        return null;
    }

    private Refusal forbid(ApiKey key, String what, String why) {
        forbidden.increment();
        log.warn("event=auth_refused status=403 key_id={} reason=\"{}\" call=\"{}\"", key.id(), why, what);
        return new Refusal(403, "FORBIDDEN", why);
    }

    private static String scopes(ApiKey key) {
        StringBuilder text = new StringBuilder();
        key.scopes().forEach(scope -> text.append(text.isEmpty() ? "" : ",").append(scope.text()));
        return text.toString();
    }
}
