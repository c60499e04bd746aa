package jango.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hostile-client fuzzing run found at the edge: text that is not valid Unicode, bodies that
 * are not JSON, and protocol errors whose bodies carried a number instead of a named code. Raw
 * sockets, so the requests are exactly the bytes written here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeRefusalsTest {
    private TestServer jango;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        jango = TestServer.start(dir);
        jango.asset("BTC", 8);
    }

    @AfterAll
    void stop() {
        jango.close();
    }

    /** Before the fix "x\ud800" was stored as "x?", and "x?" with the same id was answered as its replay. */
    @Test
    void aLoneSurrogateFromAJsonEscapeIsMalformedNamingTheField() throws IOException {
        String escaped = "{\"id\":\"s1\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"reason\":\"x\\ud800\"}";
        Raw refused = post("/v1/commands", "application/json", escaped.getBytes(StandardCharsets.UTF_8));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().get("error").asText()).isEqualTo("MALFORMED");
        assertThat(refused.json().get("message").asText()).startsWith("reason: ").contains("not valid Unicode");
        assertThat(jango.get("/v1/commands/s1").status()).isEqualTo(404);

        Raw inBatch = post("/v1/commands/batch", "application/json", ("{\"commands\":[" + escaped + "]}").getBytes(StandardCharsets.UTF_8));
        assertThat(inBatch.status()).isEqualTo(400);
        assertThat(inBatch.json().get("message").asText()).startsWith("commands[0].reason: ");

        // The text it used to be confused with is a command of its own, not a replay.
        Raw question = post("/v1/commands", "application/json", escaped.replace("\\ud800", "?").getBytes(StandardCharsets.UTF_8));
        assertThat(question.status()).as(question.toString()).isEqualTo(200);
        assertThat(question.header("jango-replayed")).isNull();
        assertThat(question.json().get("status").asText()).isEqualTo("APPLIED");
    }

    @Test
    void aSurrogateAsRawBytesIsMalformed() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("{\"id\":\"s2\",\"type\":\"adjust\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":\"1\",\"reason\":\"x".getBytes(StandardCharsets.UTF_8));
        body.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}); // U+D800 encoded as if it were a character
        body.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
        Raw refused = post("/v1/commands", "application/json", body.toByteArray());
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().get("error").asText()).isEqualTo("MALFORMED");
        assertThat(jango.get("/v1/commands/s2").status()).isEqualTo(404);
    }

    /** Found by comparing the streaming parser with the tree one: a float too large for a BigDecimal was a 500. */
    @Test
    void aNumberWhoseExponentOverflowsIsMalformedNotAnInternalError() throws IOException {
        Raw refused = post("/v1/commands", "application/json",
                "{\"id\":\"e1\",\"type\":\"deposit\",\"account\":\"u1\",\"asset\":\"BTC\",\"amount\":1e9999999999}".getBytes(StandardCharsets.UTF_8));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().get("message").asText()).startsWith("body: is not valid JSON");
    }

    /** The same number in the two other bodies the server parses: an asset's scale, a lookup's ids. */
    @Test
    void aNumberWhoseExponentOverflowsIsMalformedInEveryBody() throws IOException {
        Raw asset = put("/v1/assets/EXP", "application/json", "{\"scale\": 1e9999999999}".getBytes(StandardCharsets.UTF_8));
        assertThat(asset.status()).as(asset.toString()).isEqualTo(400);
        assertThat(asset.json().get("error").asText()).isEqualTo("MALFORMED");
        assertThat(jango.get("/v1/assets").json().toString()).doesNotContain("EXP");
        Raw lookup = post("/v1/commands/lookup", "application/json", "{\"ids\": [1e9999999999]}".getBytes(StandardCharsets.UTF_8));
        assertThat(lookup.status()).as(lookup.toString()).isEqualTo(400);
        assertThat(lookup.json().get("error").asText()).isEqualTo("MALFORMED");
    }

    @Test
    void aBodyThatIsNotJsonIs415AndAbsentOrJsonContentTypesAreFine() throws IOException {
        byte[] deposit = "{\"id\":\"ct1\",\"type\":\"deposit\",\"account\":\"u2\",\"asset\":\"BTC\",\"amount\":\"1\"}".getBytes(StandardCharsets.UTF_8);
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1",
                "application/xml"}) {
            Raw refused = post("/v1/commands", type, deposit);
            assertThat(refused.status()).as(type + " -> " + refused).isEqualTo(415);
            assertThat(refused.json().get("error").asText()).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
            assertThat(refused.json().get("message").asText()).startsWith("Content-Type");
        }
        Raw asset = put("/v1/assets/CTX", "text/plain", "{\"scale\": 2}".getBytes(StandardCharsets.UTF_8));
        assertThat(asset.status()).isEqualTo(415);
        assertThat(jango.get("/v1/commands/ct1").status()).isEqualTo(404);

        assertThat(post("/v1/commands", null, deposit).status()).isEqualTo(200);
        assertThat(post("/v1/commands", "application/json; charset=utf-8", deposit).status()).isEqualTo(200);
        assertThat(post("/v1/commands", "application/vnd.jango+json", deposit).status()).isEqualTo(200);
    }

    @Test
    void protocolErrorsCarryNamedCodes() throws IOException {
        Raw longUri = send("GET /v1/commands/" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", new byte[0]);
        assertThat(longUri.status()).as(longUri.toString()).isEqualTo(414);
        assertThat(longUri.json().get("error").asText()).isEqualTo("URI_TOO_LONG");

        Raw bigHeaders = send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + "y".repeat(40_000) + "\r\nConnection: close\r\n\r\n", new byte[0]);
        assertThat(bigHeaders.status()).as(bigHeaders.toString()).isEqualTo(431);
        assertThat(bigHeaders.json().get("error").asText()).isEqualTo("HEADERS_TOO_LARGE");
    }

    // ---- raw HTTP/1.1 -------------------------------------------------------------------------

    record Raw(int status, String head, String body) {
        JsonNode json() {
            try {
                return TestServer.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private Raw post(String path, String contentType, byte[] body) throws IOException {
        return withBody("POST", path, contentType, body);
    }

    private Raw put(String path, String contentType, byte[] body) throws IOException {
        return withBody("PUT", path, contentType, body);
    }

    private Raw withBody(String method, String path, String contentType, byte[] body) throws IOException {
        String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        return send(head, body);
    }

    /** Writes the request and reads one response (by Content-Length, or chunked). */
    private Raw send(String head, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", jango.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            StringBuilder responseHead = new StringBuilder();
            for (String line = line(in); !line.isEmpty(); line = line(in)) {
                responseHead.append(line).append("\r\n");
            }
            Raw raw = new Raw(Integer.parseInt(responseHead.toString().split(" ")[1]), responseHead.toString(), "");
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(raw.header("transfer-encoding"))) {
                for (int size = Integer.parseInt(line(in).trim(), 16); size > 0; size = Integer.parseInt(line(in).trim(), 16)) {
                    content.write(in.readNBytes(size));
                    line(in);
                }
            } else if (raw.header("content-length") != null) {
                content.write(in.readNBytes(Integer.parseInt(raw.header("content-length"))));
            }
            return new Raw(raw.status(), raw.head(), content.toString(StandardCharsets.UTF_8));
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of a line");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
