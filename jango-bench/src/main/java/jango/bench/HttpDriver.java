package jango.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import jango.engine.Command;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Speaks shared/API.md over HTTP/1.1 on loopback. Answers to command batches are read with a
 * streaming parser: per result its id, status, seq and how many balances it changed.
 */
final class HttpDriver implements Driver {
    private static final JsonFactory JSON = new JsonFactory();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;

    HttpDriver(String url) {
        this.url = url;
    }

    String url() {
        return url;
    }

    HttpResponse<byte[]> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(6))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sends a batch and returns its answers in order. */
    @Override
    public Answer[] batch(List<Command> commands) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send("POST", "/v1/commands/batch", CommandJson.batch(commands));
        expectOk(response);
        Answer[] answers = new Answer[commands.size()];
        try (JsonParser json = JSON.createParser(response.body())) {
            expect(json.nextToken(), JsonToken.START_OBJECT);
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                if (json.currentName().equals("results")) {
                    expect(json.nextToken(), JsonToken.START_ARRAY);
                    int i = 0;
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        answers[i++] = answer(json);
                    }
                } else {
                    json.nextToken();
                    json.skipChildren();
                }
            }
        }
        return answers;
    }

    @Override
    public Answer single(Command command) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send("POST", "/v1/commands", CommandJson.single(command));
        expectOk(response);
        try (JsonParser json = JSON.createParser(response.body())) {
            expect(json.nextToken(), JsonToken.START_OBJECT);
            return answer(json);
        }
    }

    /** The stored results of the ids (null where none), by the lookup extension. */
    Answer[] lookup(List<String> ids) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder(ids.size() * 24).append("{\"ids\":[");
        for (int i = 0; i < ids.size(); i++) {
            body.append(i == 0 ? "\"" : ",\"").append(ids.get(i)).append('"');
        }
        HttpResponse<byte[]> response = send("POST", "/v1/commands/lookup", body.append("]}").toString());
        expectOk(response);
        Answer[] answers = new Answer[ids.size()];
        try (JsonParser json = JSON.createParser(response.body())) {
            expect(json.nextToken(), JsonToken.START_OBJECT);
            json.nextToken();
            expect(json.nextToken(), JsonToken.START_ARRAY);
            int i = 0;
            for (JsonToken token = json.nextToken(); token != JsonToken.END_ARRAY; token = json.nextToken()) {
                answers[i++] = token == JsonToken.VALUE_NULL ? null : answer(json);
            }
        }
        return answers;
    }

    /** Reads one result object; the parser stands on its START_OBJECT. */
    private static Answer answer(JsonParser json) throws IOException {
        String id = null;
        boolean applied = false;
        long seq = -1;
        int balances = 0;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            JsonToken value = json.nextToken();
            switch (field) {
                case "id" -> id = json.getText();
                case "status" -> applied = json.getText().equals("APPLIED");
                case "seq" -> seq = json.getLongValue();
                case "balances" -> {
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        json.skipChildren();
                        balances++;
                    }
                }
                default -> {
                    if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                        json.skipChildren();
                    }
                }
            }
        }
        return new Answer(id, applied, seq, balances);
    }

    static void expectOk(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            String body = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + body.substring(0, Math.min(300, body.length())));
        }
    }

    private static void expect(JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected) {
            throw new IOException("unexpected JSON: " + actual + " (expected " + expected + ")");
        }
    }
}
