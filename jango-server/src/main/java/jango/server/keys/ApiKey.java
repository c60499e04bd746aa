package jango.server.keys;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * One API key as stored: its id (public, in logs), the SHA-256 of its secret (the secret itself
 * is shown once, at creation, and never stored), its scopes, and optionally the owner prefix it
 * is bound to (such a key reads only the accounts whose id starts with it).
 */
public record ApiKey(String id, byte[] secretHash, Set<Scope> scopes, String ownerPrefix, Instant createdAt, Instant revokedAt) {
    public ApiKey {
        scopes = scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes);
    }

    public boolean revoked() {
        return revokedAt != null;
    }

    public boolean allows(Scope scope) {
        return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
    }

    public boolean ownerBound() {
        return ownerPrefix != null;
    }

    /** True when the key may read this owner's accounts. */
    public boolean reaches(String owner) {
        return ownerPrefix == null || owner.startsWith(ownerPrefix);
    }
}
