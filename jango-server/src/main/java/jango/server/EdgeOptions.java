package jango.server;

import jango.server.keys.ApiKeys;

import java.nio.file.Path;

/**
 * How the server meets the outside: API keys ({@code keys} null: open, as on loopback by default)
 * and TLS from PEM files ({@code tlsCertificate} and {@code tlsPrivateKey} both null: plain HTTP).
 */
public record EdgeOptions(ApiKeys keys, Path tlsCertificate, Path tlsPrivateKey) {
    public static final EdgeOptions OPEN = new EdgeOptions(null, null, null);

    public EdgeOptions {
        if ((tlsCertificate == null) != (tlsPrivateKey == null)) {
            throw new IllegalArgumentException("tls: a certificate and its private key go together (got only one)");
        }
    }

    public boolean tls() {
        return tlsCertificate != null;
    }
}
