package jango.client;

import jango.server.EdgeOptions;
import jango.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS from PEM files: the client trusting the certificate talks gRPC over it; a plain-text client cannot. */
class TlsTest {

    @Test
    void grpcOverTlsWithTheServersCertificate(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        selfSigned(dir, cert, key);
        try (TestServer server = TestServer.start(dir.resolve("data"), new EdgeOptions(null, cert, key));
             JangoClient client = JangoClient.builder().endpoints("localhost:" + server.port()).tls(cert).build();
             JangoClient plain = JangoClient.builder().endpoints("localhost:" + server.port()).callDeadline(Duration.ofSeconds(2)).build()) {
            assertThat(client.putAsset("BTC", 8)).isTrue();
            assertThat(client.submit(new Command.Deposit("tls-1", "u1", "BTC", BigDecimal.ONE)).applied()).isTrue();
            assertThatThrownBy(plain::health).isInstanceOf(JangoException.class);
        }
    }

    /** A self-signed certificate for localhost from the JDK's keytool, written out as PEM files. */
    private static void selfSigned(Path dir, Path cert, Path key) throws Exception {
        Path store = dir.resolve("tls.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "jango", "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, "changeit".toCharArray());
        }
        Key privateKey = keyStore.getKey("jango", "changeit".toCharArray());
        Certificate certificate = keyStore.getCertificate("jango");
        Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
        Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
