package jango.client;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * The few checks the client must make itself. Everything else (names, scales, limits) the server
 * checks and answers as MALFORMED naming the field; these are the ones that would otherwise be
 * lost on the way (protobuf writes a lone surrogate as '?', a null cannot be sent at all).
 */
final class Checks {
    private Checks() {
    }

    static void require(Object... valuesAndNames) {
        for (int i = 0; i < valuesAndNames.length; i += 2) {
            Objects.requireNonNull(valuesAndNames[i], (String) valuesAndNames[i + 1]);
        }
    }

    static void positive(BigDecimal amount, String name) {
        Objects.requireNonNull(amount, name);
        if (amount.signum() <= 0) {
            throw new IllegalArgumentException(name + ": " + amount.toPlainString() + " (expected: a positive amount)");
        }
    }

    /** Protobuf would send a lone surrogate as '?', silently another text: refuse it here. */
    static void wellFormed(String text, String name) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(name + ": is not valid Unicode (an unpaired surrogate at index " + i + ")");
            }
        }
    }
}
