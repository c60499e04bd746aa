package jango.bank.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServiceRequestContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code jango bank-sim}: several simulated banks ({@link SimBank}), each on its own port, and one
 * small HTTP control API to look at their books and to command faults, deposits and the end of day:
 *
 * <pre>
 * GET  /banks                          codes, ports, business dates
 * GET  /banks/{bank}/books             every transfer and deposit, counters, max requests per second
 * POST /banks/{bank}/faults            {"fault": "stall"|"maintenance", "ms": N} | {"fault": "hangup"}
 *                                      | {"fault": "drop"|"duplicate"|"disconnect"|"refuse"|"delay", "count": N}
 *                                      | {"plan": "drop=0.02,..."|"none"}
 * POST /banks/{bank}/deposits          {"virtualAccount": "...", "amount": "10000", "name": "홍길동"} -> {"txNo": N}
 * POST /banks/{bank}/end-of-day        writes the statement -> {"file": "...", "businessDate": N}
 * </pre>
 */
public final class BankSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record BankSpec(String code, int port) {
        /** "004:9401" -> bank 004 on port 9401 (0 = any free port). */
        public static BankSpec parse(String text) {
            String[] parts = text.split(":");
            if (parts.length != 2 || !parts[0].matches("[0-9]{3}") || !parts[1].matches("[0-9]{1,5}")) {
                throw new IllegalArgumentException("--bank " + text + " (expected: CODE:PORT, e.g. 004:9401)");
            }
            return new BankSpec(parts[0], Integer.parseInt(parts[1]));
        }
    }

    private final Map<String, SimBank> banks = new LinkedHashMap<>();
    private final Server control;

    private BankSimulator(List<SimBank> started, String host, int controlPort) {
        started.forEach(bank -> banks.put(bank.code(), bank));
        this.control = Server.builder()
                .http(new InetSocketAddress(host, controlPort))
                .route().get("/banks").build((ctx, req) -> json(HttpStatus.OK, banksView()))
                .route().get("/banks/{bank}/books").build((ctx, req) -> withBank(ctx, bank -> json(HttpStatus.OK, bank.books())))
                .route().post("/banks/{bank}/faults").build((ctx, req) -> withBody(ctx, req, this::fault))
                .route().post("/banks/{bank}/deposits").build((ctx, req) -> withBody(ctx, req, this::deposit))
                .route().post("/banks/{bank}/end-of-day").build((ctx, req) -> withBank(ctx, bank -> {
                    try {
                        Path file = bank.endOfDay();
                        return json(HttpStatus.OK, Map.of("file", file.toAbsolutePath().toString(),
                                "businessDate", bank.books().businessDate() - 1));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }))
                .build();
        control.start().join();
    }

    /**
     * Starts every bank and the control API on {@code controlPort} (0 = any). Bank {@code i} draws
     * its faults from {@code seed + i}.
     */
    public static BankSimulator start(List<BankSpec> specs, String host, int controlPort, FaultPlan plan, long seed, Path statementDir)
            throws IOException {
        List<SimBank> started = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < specs.size(); i++) {
                BankSpec spec = specs.get(i);
                started.add(new SimBank(spec.code(), spec.port(), "1000" + spec.code() + "0000001", 1_000_000_000_000L, plan, seed + i,
                        statementDir).start());
            }
            return new BankSimulator(started, host, controlPort);
        } catch (IOException | RuntimeException e) {
            started.forEach(SimBank::close);
            throw e;
        }
    }

    public SimBank bank(String code) {
        SimBank bank = banks.get(code);
        if (bank == null) {
            throw new IllegalArgumentException("no simulated bank " + code);
        }
        return bank;
    }

    public List<SimBank> banks() {
        return List.copyOf(banks.values());
    }

    public int controlPort() {
        return control.activeLocalPort();
    }

    private List<Map<String, Object>> banksView() {
        return banks.values().stream().map(bank -> Map.<String, Object>of("bank", bank.code(), "port", bank.port(),
                "businessDate", bank.books().businessDate())).toList();
    }

    private HttpResponse fault(SimBank bank, JsonNode body) {
        if (body.has("plan")) {
            bank.setPlan(FaultPlan.parse(body.get("plan").asText()));
            return json(HttpStatus.OK, Map.of("plan", bank.plan()));
        }
        String fault = body.path("fault").asText("");
        switch (fault) {
            case "stall" -> bank.stall(body.path("ms").asLong(1_000));
            case "maintenance" -> bank.maintenance(body.path("ms").asLong(1_000));
            case "hangup" -> bank.hangUp();
            default -> bank.command(fault, body.path("count").asInt(1));
        }
        return json(HttpStatus.OK, Map.of("bank", bank.code(), "fault", fault));
    }

    private HttpResponse deposit(SimBank bank, JsonNode body) {
        String account = body.path("virtualAccount").asText("");
        String amountText = body.path("amount").asText("");
        if (account.isEmpty() || !amountText.matches("[0-9]{1,13}") || Long.parseLong(amountText) == 0) {
            return json(HttpStatus.BAD_REQUEST, Map.of("error", "MALFORMED",
                    "message", "expected {\"virtualAccount\": \"...\", \"amount\": \"<1..13 digits, minor units>\", \"name\": \"...\"}"));
        }
        long txNo = bank.deposit(account, Long.parseLong(amountText), body.path("name").asText(""));
        return json(HttpStatus.OK, Map.of("bank", bank.code(), "txNo", txNo));
    }

    private HttpResponse withBank(ServiceRequestContext ctx, java.util.function.Function<SimBank, HttpResponse> handler) {
        SimBank bank = banks.get(ctx.pathParam("bank"));
        if (bank == null) {
            return json(HttpStatus.NOT_FOUND, Map.of("error", "NOT_FOUND", "message", "no simulated bank " + ctx.pathParam("bank")));
        }
        return handler.apply(bank);
    }

    private HttpResponse withBody(ServiceRequestContext ctx, com.linecorp.armeria.common.HttpRequest req,
                                  java.util.function.BiFunction<SimBank, JsonNode, HttpResponse> handler) {
        return HttpResponse.of(req.aggregate().thenApplyAsync(aggregated -> withBank(ctx, bank -> {
            try {
                JsonNode body = JSON.readTree(aggregated.contentUtf8());
                return handler.apply(bank, body == null ? JSON.createObjectNode() : body);
            } catch (IOException | IllegalArgumentException e) {
                return json(HttpStatus.BAD_REQUEST, Map.of("error", "MALFORMED", "message", String.valueOf(e.getMessage())));
            }
        }), ctx.blockingTaskExecutor()));
    }

    private static HttpResponse json(HttpStatus status, Object body) {
        try {
            return HttpResponse.of(status, MediaType.JSON_UTF_8, JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        CompletableFuture<Void> stopped = control.stop();
        banks.values().forEach(SimBank::close);
        stopped.join();
    }
}
