package jango.embedded.index;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** UTF-8 into a reused buffer without allocating for the usual all-ASCII ids and codes. */
final class Utf8 {
    private Utf8() {
    }

    static int length(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return text.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return text.length();
    }

    static void put(ByteBuffer target, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                target.put(text.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < text.length(); i++) {
            target.put((byte) text.charAt(i));
        }
    }
}
