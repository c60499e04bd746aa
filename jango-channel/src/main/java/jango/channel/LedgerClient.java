package jango.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger's HTTP API as the channel reads it for repairs and resyncs: history pages (the truth)
 * and the feed's list of accounts. Every call is bounded by {@code timeoutMs}.
 */
public final class LedgerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final int PAGE = 1_000;

    private final String baseUrl;
    private final Duration timeout;
    private final HttpClient http;

    public LedgerClient(String baseUrl, long timeoutMs) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = Duration.ofMillis(timeoutMs);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** One page of an account's history ({@code asset} null for all), newest first. */
    public record Page<T>(List<T> items, String next) {
    }

    public Page<ChangeRecord> history(String account, String asset, String cursor) throws IOException {
        JsonNode page = get("/v1/accounts/" + encode(account) + "/history?limit=" + PAGE
                + (asset == null ? "" : "&asset=" + encode(asset)) + (cursor == null ? "" : "&cursor=" + encode(cursor)));
        List<ChangeRecord> entries = new ArrayList<>();
        for (JsonNode entry : page.get("entries")) {
            entries.add(ChangeRecord.parse(entry, account));
        }
        return new Page<>(entries, page.path("next").isTextual() ? page.get("next").asText() : null);
    }

    /** Every history entry of the account ({@code asset} null for all), newest first. */
    public List<ChangeRecord> fullHistory(String account, String asset) throws IOException {
        List<ChangeRecord> all = new ArrayList<>();
        String cursor = null;
        do {
            Page<ChangeRecord> page = history(account, asset, cursor);
            all.addAll(page.items());
            cursor = page.next();
        } while (cursor != null);
        return all;
    }

    /** A page of the accounts the ledger's feed has carried, in order, after {@code after} (null: from the first). */
    public Page<String> feedAccounts(String after) throws IOException {
        JsonNode page = get("/v1/admin/feed/accounts?limit=" + PAGE + (after == null ? "" : "&after=" + encode(after)));
        List<String> accounts = new ArrayList<>();
        page.get("accounts").forEach(a -> accounts.add(a.asText()));
        return new Page<>(accounts, page.path("next").isTextual() ? page.get("next").asText() : null);
    }

    /** The feed's position now (a follower from here sees only new changes). */
    public String feedEnd() throws IOException {
        return get("/v1/admin/feed/position").get("end").asText();
    }

    private JsonNode get(String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout).GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + path, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + response.statusCode() + " " + abbreviate(response.body()));
        }
        return JSON.readTree(response.body());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String value) {
        return value.length() <= 300 ? value : value.substring(0, 300) + "...";
    }
}
