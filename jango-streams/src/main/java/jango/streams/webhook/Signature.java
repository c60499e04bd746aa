package jango.streams.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The signature of a webhook delivery: {@code v1=} + hex HMAC-SHA256, keyed with the
 * subscription's secret, over {@code timestamp + "." + body}. The timestamp (Unix seconds, in
 * {@code Jango-Timestamp}) is signed too, so a receiver can refuse old replays of a captured request.
 */
public final class Signature {
    public static final String VERSION = "v1=";

    private Signature() {
    }

    public static String sign(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return VERSION + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** What a receiver does: true when {@code signature} is this body's, compared in constant time. */
    public static boolean verify(String secret, long timestampSeconds, byte[] body, String signature) {
        if (signature == null) {
            return false;
        }
        return MessageDigest.isEqual(sign(secret, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }
}
