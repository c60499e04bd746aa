package jango.bank.recon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads the gateway's records of one bank and date from a running Jango, page by page (GET /v1/admin/banks/{bank}/records). */
public final class ReconcileClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAGES = 100_000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    public ReconcileClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public List<Reconciler.Record> records(String bank, long date) throws IOException, InterruptedException {
        List<Reconciler.Record> records = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            String url = baseUrl + "/v1/admin/banks/" + bank + "/records?limit=1000&date=" + date
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + url + ": " + response.statusCode() + " " + response.body());
            }
            JsonNode body = JSON.readTree(response.body());
            int scale = body.get("scale").asInt();
            for (JsonNode record : body.get("records")) {
                JsonNode ledger = record.get("ledger");
                records.add(new Reconciler.Record(record.get("kind").asText().equals("withdrawal") ? 'W' : 'D',
                        Long.parseLong(record.get("bankTxNo").asText()), record.get("id").asText(), record.get("status").asText(),
                        minor(record.get("amount").asText(), scale), record.get("bankAccount").asText(), record.get("account").asText(),
                        ledger.get("state").asText(), ledger.get("amount").isNull() ? null : minor(ledger.get("amount").asText(), scale)));
            }
            JsonNode next = body.get("next");
            if (next == null || next.isNull()) {
                return records;
            }
            cursor = next.asText();
        }
        throw new IOException("more than " + MAX_PAGES + " pages of records");
    }

    private static long minor(String amount, int scale) {
        return new BigDecimal(amount).movePointRight(scale).longValueExact();
    }
}
