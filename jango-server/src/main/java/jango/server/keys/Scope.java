package jango.server.keys;

/** What an API key may do. {@link #ADMIN} may do everything. */
public enum Scope {
    /** Submit commands (POST /v1/commands and /batch; gRPC Submit, SubmitBatch). */
    COMMANDS_WRITE("commands:write"),
    /** Read balances, history, holds, stored results, assets, health. */
    READ("read"),
    /** Register assets, the admin endpoints (/v1/admin/...), /metrics, and every other write. */
    ADMIN("admin");

    private final String text;

    Scope(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** @throws IllegalArgumentException naming the scopes there are */
    public static Scope parse(String text) {
        for (Scope scope : values()) {
            if (scope.text.equals(text)) {
                return scope;
            }
        }
        throw new IllegalArgumentException("scope: " + text + " (expected: commands:write, read or admin)");
    }
}
