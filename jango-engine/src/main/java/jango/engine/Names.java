package jango.engine;

/** The shapes of names that reach the engine (shared/API.md, "Names and amounts"). */
public final class Names {
    public static final Shape ASSET = new Shape("[A-Z0-9]{1,16}", false, 16, true);
    /** User owners; a system owner is '@' followed by the same pattern. */
    public static final Shape OWNER = new Shape("@?[A-Za-z0-9._:-]{1,64}", true, 64, false);
    /** Command ids and hold ids. */
    public static final Shape ID = new Shape("[A-Za-z0-9._:-]{1,64}", false, 64, false);

    /**
     * A name pattern, matched by hand: every command checks several names twice (edge and
     * record), and a regex matcher per check showed in the profile. {@link #pattern()} is the
     * regex it is equivalent to, for messages (NamesTest checks the two agree).
     */
    public static final class Shape {
        private final String pattern;
        private final boolean optionalAt;
        private final int maxLength;
        private final boolean upperAndDigitsOnly;

        private Shape(String pattern, boolean optionalAt, int maxLength, boolean upperAndDigitsOnly) {
            this.pattern = pattern;
            this.optionalAt = optionalAt;
            this.maxLength = maxLength;
            this.upperAndDigitsOnly = upperAndDigitsOnly;
        }

        public boolean matches(String value) {
            int start = optionalAt && !value.isEmpty() && value.charAt(0) == '@' ? 1 : 0;
            int length = value.length() - start;
            if (length < 1 || length > maxLength) {
                return false;
            }
            for (int i = start; i < value.length(); i++) {
                if (!allowed(value.charAt(i))) {
                    return false;
                }
            }
            return true;
        }

        private boolean allowed(char c) {
            if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                return true;
            }
            if (upperAndDigitsOnly) {
                return false;
            }
            return (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == ':' || c == '-';
        }

        public String pattern() {
            return pattern;
        }

        @Override
        public String toString() {
            return pattern;
        }
    }

    public static final String EXTERNAL = "@external";
    public static final String ADJUSTMENTS = "@adjustments";
    /** Distributed mode: money between the debit on one shard and the credit on another. */
    public static final String CLEARING = "@clearing";

    public static final int MAX_SCALE = 18;
    public static final int MAX_LEGS = 16;
    public static final int MAX_REASON_LENGTH = 256;

    private Names() {
    }

    public static boolean isSystem(String owner) {
        return owner.charAt(0) == '@';
    }

    /**
     * The id of the second step of a cross-shard transfer: {@code #<client id>#<leg>}. '#' is not in
     * {@link #ID}, so the edge can never accept one and it can never collide with a client's id.
     */
    public static String clearingCreditId(String commandId, int leg) {
        return "#" + commandId + "#" + leg;
    }

    /** Kinds of protocol records, the third part of their ids. */
    public static final char PREPARE = 'P';
    public static final char VOTE = 'V';
    public static final char COMMIT = 'C';
    public static final char ABORT = 'A';
    public static final char DONE = 'D';
    /** Shards a cluster may have (PostgreSQL's store allows as many). */
    public static final int MAX_SHARDS = 4096;

    /**
     * The id of a protocol record of attempt {@code attempt} of transfer {@code transferId}:
     * {@code #t#a#K#s}. '#' is not in {@link #ID}, so the edge never accepts one and no client id
     * collides with one; it is stored and deduplicated like a client's.
     */
    public static String protocolId(String transferId, int attempt, char kind, int shard) {
        return "#" + transferId + "#" + attempt + "#" + kind + "#" + shard;
    }

    public static boolean isClearingCreditId(String id) {
        if (id == null || id.length() < 4 || id.charAt(0) != '#') {
            return false;
        }
        int mark = id.lastIndexOf('#');
        if (mark <= 1 || mark == id.length() - 1 || !ID.matches(id.substring(1, mark))) {
            return false;
        }
        for (int i = mark + 1; i < id.length(); i++) {
            if (id.charAt(i) < '0' || id.charAt(i) > '9') {
                return false;
            }
        }
        return id.length() - mark - 1 <= 2;
    }

    /**
     * The index of the first unpaired surrogate in {@code text}, or -1 when it is well-formed
     * Unicode. Such text cannot be encoded as UTF-8: {@code String.getBytes} writes '?' instead, so
     * "x\ud800" and "x?" would be stored and fingerprinted as the same body.
     */
    public static int unpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    static String check(Shape shape, String value, String what) {
        if (value == null || !shape.matches(value)) {
            throw new IllegalArgumentException(what + ": " + value + " (expected: " + shape.pattern() + ")");
        }
        return value;
    }
}
