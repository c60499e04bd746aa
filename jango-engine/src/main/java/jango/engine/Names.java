package jango.engine;

import java.util.regex.Pattern;

/** The shapes of names that reach the engine (shared/API.md, "Names and amounts"). */
public final class Names {
    public static final Pattern ASSET = Pattern.compile("[A-Z0-9]{1,16}");
    /** User owners; a system owner is '@' followed by the same pattern. */
    public static final Pattern OWNER = Pattern.compile("@?[A-Za-z0-9._:-]{1,64}");
    /** Command ids and hold ids. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    public static final String EXTERNAL = "@external";
    public static final String ADJUSTMENTS = "@adjustments";

    public static final int MAX_SCALE = 18;
    public static final int MAX_LEGS = 16;
    public static final int MAX_REASON_LENGTH = 256;

    private Names() {
    }

    public static boolean isSystem(String owner) {
        return owner.charAt(0) == '@';
    }

    static String check(Pattern pattern, String value, String what) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException(what + ": " + value + " (expected: " + pattern.pattern() + ")");
        }
        return value;
    }
}
