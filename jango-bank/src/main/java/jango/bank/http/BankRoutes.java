package jango.bank.http;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import jango.bank.AcceptResult;
import jango.bank.BankGateway;
import jango.bank.Deposit;
import jango.bank.DepositFlow;
import jango.bank.GatewayBusyException;
import jango.bank.LedgerCheck;
import jango.bank.MaintenanceCalendar;
import jango.bank.Withdrawal;
import jango.bank.WithdrawalRequest;
import jango.bank.store.GatewayStore;
import jango.bank.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The banking API (docs/banking.md) as routes on Jango's own server: withdrawals for users, and
 * admin calls for banks (limits, windows, breaker, queue), virtual accounts, suspense and the
 * records reconciliation reads. Everything runs off the event loops (the gateway's store is on
 * disk). Malformed input is 400 naming the field, before anything is recorded.
 */
public final class BankRoutes {
    private static final Logger log = LoggerFactory.getLogger(BankRoutes.class);
    static final String REPLAYED_HEADER = "jango-replayed";
    private static final Set<String> WITHDRAWAL_FIELDS = Set.of("id", "account", "amount", "bank", "bankAccount", "recipientName");
    static final Pattern CURSOR = Pattern.compile("[0-9]{16}/[A-Za-z0-9._:-]{1,40}");
    private static final Pattern RECORD_CURSOR = Pattern.compile("[WD]/[0-9]{12}");
    private static final int MAX_LIMIT = 1_000;

    private final BankGateway gateway;

    private BankRoutes(BankGateway gateway) {
        this.gateway = gateway;
    }

    /** The routes, for {@code new JangoServer(..., List.of(BankRoutes.of(gateway)))}. */
    public static Consumer<ServerBuilder> of(BankGateway gateway) {
        BankRoutes routes = new BankRoutes(gateway);
        return server -> server
                .route().post("/v1/withdrawals").build((ctx, req) -> routes.withBody(ctx, req, routes::postWithdrawal))
                .route().get("/v1/withdrawals/{id}").build((ctx, req) -> routes.blocking(ctx, () -> routes.getWithdrawal(ctx)))
                .route().get("/v1/accounts/{account}/withdrawals").build((ctx, req) -> routes.blocking(ctx, () -> routes.listWithdrawals(ctx)))
                .route().get("/v1/admin/banks").build((ctx, req) -> routes.blocking(ctx, routes::listBanks))
                .route().get("/v1/admin/banks/{bank}").build((ctx, req) -> routes.blocking(ctx, () -> routes.withBank(ctx, code -> ok(
                        Render.json(json -> Render.bank(json, gateway.bank(code)))))))
                .route().put("/v1/admin/banks/{bank}/limits").build((ctx, req) -> routes.withBody(ctx, req, body -> routes.putLimits(ctx, body)))
                .route().post("/v1/admin/banks/{bank}/windows").build((ctx, req) -> routes.withBody(ctx, req, body -> routes.postWindow(ctx, body)))
                .route().delete("/v1/admin/banks/{bank}/windows/{window}").build((ctx, req) -> routes.blocking(ctx, () -> routes.deleteWindow(ctx)))
                .route().post("/v1/admin/banks/{bank}/breaker").build((ctx, req) -> routes.withBody(ctx, req, body -> routes.postBreaker(ctx, body)))
                .route().get("/v1/admin/banks/{bank}/records").build((ctx, req) -> routes.blocking(ctx, () -> routes.records(ctx)))
                .route().put("/v1/admin/virtual-accounts/{number}").build((ctx, req) -> routes.withBody(ctx, req, body -> routes.putVirtualAccount(ctx, body)))
                .route().get("/v1/admin/virtual-accounts/{number}").build((ctx, req) -> routes.blocking(ctx, () -> routes.getVirtualAccount(ctx)))
                .route().get("/v1/admin/deposits/{bank}/{txNo}").build((ctx, req) -> routes.blocking(ctx, () -> routes.getDeposit(ctx)))
                .route().get("/v1/admin/suspense").build((ctx, req) -> routes.blocking(ctx, () -> routes.listSuspense(ctx)))
                .route().post("/v1/admin/suspense/{bank}/{txNo}/resolve").build((ctx, req) -> routes.withBody(ctx, req, body -> routes.resolve(ctx, body)));
    }

    // ---- withdrawals ------------------------------------------------------------------------

    private HttpResponse postWithdrawal(byte[] bytes) {
        Body body = Body.parse(bytes, WITHDRAWAL_FIELDS);
        String id = Fields.matching("id", body.text("id"), Fields.WITHDRAWAL_ID);
        String account = Fields.userAccount("account", body.text("account"));
        long amount = Fields.amountMinor("amount", body.text("amount"), gateway.assetScale(), gateway.asset());
        String bank = bank("bank", body.text("bank"));
        String bankAccount = Fields.matching("bankAccount", body.text("bankAccount"), Fields.BANK_ACCOUNT);
        String name = Fields.name("recipientName", body.text("recipientName"));
        CompletableFuture<AcceptResult> accepted = gateway.accept(new WithdrawalRequest(id, account, amount, bank, bankAccount, name));
        return HttpResponse.of(accepted.handle((result, error) -> {
            if (error != null) {
                return failure(error);
            }
            return switch (result) {
                case AcceptResult.Accepted a -> withdrawalResponse(a.withdrawal(), a.replayed());
                case AcceptResult.Conflict c -> error(HttpStatus.CONFLICT, "ID_CONFLICT", "withdrawal id " + id
                        + " was already used with another request");
                case AcceptResult.QueueFull q -> HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
                        .contentType(MediaType.JSON_UTF_8).add(HttpHeaderNames.RETRY_AFTER, "1").build(),
                        HttpData.wrap(Render.error("QUEUE_FULL", "bank " + q.bank() + " has " + q.capacity()
                                + " withdrawals open, its queue's capacity; nothing was held: retry later with the same id")));
            };
        }));
    }

    private HttpResponse withdrawalResponse(Withdrawal withdrawal, boolean replayed) {
        com.linecorp.armeria.common.ResponseHeadersBuilder headers = ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8);
        if (replayed) {
            headers.add(REPLAYED_HEADER, "true");
        }
        return HttpResponse.of(headers.build(), HttpData.wrap(Render.json(json -> Render.withdrawal(json, withdrawal, gateway.assetScale()))));
    }

    private HttpResponse getWithdrawal(ServiceRequestContext ctx) {
        String id = Fields.matching("id", ctx.pathParam("id"), Fields.WITHDRAWAL_ID);
        Withdrawal withdrawal = gateway.find(id);
        if (withdrawal == null) {
            return error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no withdrawal with id " + id);
        }
        return ok(Render.json(json -> Render.withdrawal(json, withdrawal, gateway.assetScale())));
    }

    private HttpResponse listWithdrawals(ServiceRequestContext ctx) {
        String account = Fields.userAccount("account", ctx.pathParam("account"));
        int limit = limit(ctx, 100);
        String cursor = cursor(ctx.queryParam("cursor"), CURSOR);
        GatewayStore.Page<Withdrawal> page = gateway.withdrawalsOf(account, limit, cursor);
        return ok(Render.json(json -> {
            json.writeStartObject();
            json.writeArrayFieldStart("withdrawals");
            for (Withdrawal withdrawal : page.items()) {
                Render.withdrawal(json, withdrawal, gateway.assetScale());
            }
            json.writeEndArray();
            json.writeStringField("next", page.next() == null ? null : encodeCursor(page.next()));
            json.writeEndObject();
        }));
    }

    // ---- banks ------------------------------------------------------------------------------

    private HttpResponse listBanks() {
        List<BankGateway.BankView> banks = gateway.banks();
        return ok(Render.json(json -> {
            json.writeStartObject();
            json.writeArrayFieldStart("banks");
            for (BankGateway.BankView bank : banks) {
                Render.bank(json, bank);
            }
            json.writeEndArray();
            json.writeEndObject();
        }));
    }

    private HttpResponse putLimits(ServiceRequestContext ctx, byte[] bytes) {
        return withBank(ctx, code -> {
            Body body = Body.parse(bytes, Set.of("tps", "concurrency", "queueCapacity"));
            Integer tps = body.integer("tps", 0, jango.bank.BankConfig.MAX_TPS);
            Integer concurrency = body.integer("concurrency", 1, jango.bank.BankConfig.MAX_CONCURRENCY);
            Integer queue = body.integer("queueCapacity", 1, jango.bank.BankConfig.MAX_QUEUE_CAPACITY);
            if (tps == null && concurrency == null && queue == null) {
                throw new Body.Malformed("body: names no limit (expected: tps, concurrency and/or queueCapacity)");
            }
            BankGateway.BankView view = gateway.setLimits(code, tps, concurrency, queue);
            return ok(Render.json(json -> Render.bank(json, view)));
        });
    }

    private HttpResponse postWindow(ServiceRequestContext ctx, byte[] bytes) {
        return withBank(ctx, code -> {
            Body body = Body.parse(bytes, Set.of("from", "to", "reason"));
            Instant from = Fields.instant("from", body.text("from"));
            Instant to = Fields.instant("to", body.text("to"));
            if (!to.isAfter(from)) {
                throw new Body.Malformed("to: " + to + " is not after from: " + from);
            }
            String reason = body.has("reason") ? body.text("reason") : null;
            if (reason != null && (reason.isBlank() || reason.length() > 256)) {
                throw new Body.Malformed("reason: must be 1..256 characters, not blank");
            }
            MaintenanceCalendar.Announced window = gateway.announceWindow(code, from, to, reason);
            return json(HttpStatus.CREATED, Render.json(json -> Render.window(json, window)));
        });
    }

    private HttpResponse deleteWindow(ServiceRequestContext ctx) {
        return withBank(ctx, code -> gateway.cancelWindow(code, ctx.pathParam("window")) ? HttpResponse.of(HttpStatus.NO_CONTENT)
                : error(HttpStatus.NOT_FOUND, "NOT_FOUND", "bank " + code + " has no announced window " + Body.abbreviate(ctx.pathParam("window"))));
    }

    private HttpResponse postBreaker(ServiceRequestContext ctx, byte[] bytes) {
        return withBank(ctx, code -> {
            String action = Body.parse(bytes, Set.of("action")).text("action");
            if (!List.of("reset", "open", "close").contains(action)) {
                throw new Body.Malformed("action: \"" + Body.abbreviate(action) + "\" (expected: reset, open or close)");
            }
            BankGateway.BankView view = gateway.breaker(code, action);
            return ok(Render.json(json -> Render.bank(json, view)));
        });
    }

    private HttpResponse records(ServiceRequestContext ctx) {
        return withBank(ctx, code -> {
            long date = Long.parseLong(Fields.matching("date", ctx.queryParam("date"), Fields.DATE));
            int limit = limit(ctx, MAX_LIMIT);
            String cursor = cursor(ctx.queryParam("cursor"), RECORD_CURSOR);
            LedgerCheck.Page page = gateway.decisions(code, date, cursor, limit);
            return ok(Render.json(json -> {
                json.writeStartObject();
                json.writeStringField("bank", code);
                json.writeStringField("date", Long.toString(date));
                json.writeStringField("asset", gateway.asset());
                json.writeNumberField("scale", gateway.assetScale());
                json.writeArrayFieldStart("records");
                for (LedgerCheck.Item item : page.items()) {
                    json.writeStartObject();
                    json.writeStringField("kind", item.kind() == 'W' ? "withdrawal" : "deposit");
                    json.writeStringField("bankTxNo", String.format("%012d", item.txNo()));
                    json.writeStringField("id", item.id());
                    json.writeStringField("status", item.status());
                    json.writeStringField("amount", Fields.amountText(item.amountMinor(), gateway.assetScale()));
                    json.writeStringField("bankAccount", item.account());
                    json.writeStringField("account", item.owner());
                    json.writeObjectFieldStart("ledger");
                    json.writeStringField("state", item.ledgerState());
                    json.writeStringField("amount", item.ledgerAmountMinor() == null ? null
                            : Fields.amountText(item.ledgerAmountMinor(), gateway.assetScale()));
                    json.writeEndObject();
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeStringField("next", page.next() == null ? null : encodeCursor(page.next()));
                json.writeEndObject();
            }));
        });
    }

    // ---- virtual accounts, deposits, suspense -----------------------------------------------

    private HttpResponse putVirtualAccount(ServiceRequestContext ctx, byte[] bytes) {
        String number = Fields.matching("number", ctx.pathParam("number"), Fields.BANK_ACCOUNT);
        String account = Fields.userAccount("account", Body.parse(bytes, Set.of("account")).text("account"));
        synchronized (this) {
            String owner = gateway.virtualAccountOwner(number);
            if (owner != null && !owner.equals(account)) {
                return error(HttpStatus.CONFLICT, "VIRTUAL_ACCOUNT_TAKEN", "virtual account " + number + " belongs to " + owner);
            }
            if (owner == null) {
                gateway.putVirtualAccount(number, account);
            }
            return json(owner == null ? HttpStatus.CREATED : HttpStatus.OK, virtualAccountBody(number, account));
        }
    }

    private HttpResponse getVirtualAccount(ServiceRequestContext ctx) {
        String number = Fields.matching("number", ctx.pathParam("number"), Fields.BANK_ACCOUNT);
        String owner = gateway.virtualAccountOwner(number);
        return owner == null ? error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no virtual account " + number)
                : ok(virtualAccountBody(number, owner));
    }

    private static byte[] virtualAccountBody(String number, String account) {
        return Render.json(json -> {
            json.writeStartObject();
            json.writeStringField("virtualAccount", number);
            json.writeStringField("account", account);
            json.writeEndObject();
        });
    }

    private HttpResponse getDeposit(ServiceRequestContext ctx) {
        return withBank(ctx, code -> {
            long txNo = Long.parseLong(Fields.matching("txNo", ctx.pathParam("txNo"), Fields.TX_NO));
            Deposit deposit = gateway.deposit(code, txNo);
            return deposit == null ? error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no deposit " + code + "." + txNo)
                    : ok(Render.json(json -> Render.deposit(json, deposit, gateway.assetScale())));
        });
    }

    private HttpResponse listSuspense(ServiceRequestContext ctx) {
        int limit = limit(ctx, 100);
        List<Deposit> deposits = gateway.suspense(limit);
        return ok(Render.json(json -> {
            json.writeStartObject();
            json.writeArrayFieldStart("deposits");
            for (Deposit deposit : deposits) {
                Render.deposit(json, deposit, gateway.assetScale());
            }
            json.writeEndArray();
            json.writeEndObject();
        }));
    }

    private HttpResponse resolve(ServiceRequestContext ctx, byte[] bytes) {
        return withBank(ctx, code -> {
            long txNo = Long.parseLong(Fields.matching("txNo", ctx.pathParam("txNo"), Fields.TX_NO));
            String account = Fields.userAccount("account", Body.parse(bytes, Set.of("account")).text("account"));
            return HttpResponse.of(gateway.resolveSuspense(code, txNo, account).handle((resolution, error) -> {
                if (error != null) {
                    return failure(error);
                }
                return switch (resolution) {
                    case DepositFlow.Resolution.Resolved r -> ok(Render.json(json -> Render.deposit(json, r.deposit(), gateway.assetScale())));
                    case DepositFlow.Resolution.NotFound n -> error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no deposit " + code + "." + txNo);
                    case DepositFlow.Resolution.Refused r -> error(HttpStatus.CONFLICT, "NOT_IN_SUSPENSE", r.message());
                };
            }));
        });
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private String bank(String field, String code) {
        Fields.matching(field, code, Fields.BANK);
        if (!gateway.hasBank(code)) {
            throw new Body.Malformed(field + ": " + code + " is not a bank of this gateway (expected one of " + gateway.bankCodes() + ")");
        }
        return code;
    }

    private HttpResponse withBank(ServiceRequestContext ctx, Function<String, HttpResponse> handler) {
        String code = ctx.pathParam("bank");
        if (code == null || !Fields.BANK.matcher(code).matches() || !gateway.hasBank(code)) {
            return error(HttpStatus.NOT_FOUND, "NOT_FOUND", "no bank " + Body.abbreviate(String.valueOf(code)) + " (this gateway has "
                    + gateway.bankCodes() + ")");
        }
        return handler.apply(code);
    }

    private static int limit(ServiceRequestContext ctx, int otherwise) {
        String text = ctx.queryParam("limit");
        if (text == null || text.isEmpty()) {
            return otherwise;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new Body.Malformed("limit: \"" + Body.abbreviate(text) + "\" (expected: an integer 1.." + MAX_LIMIT + ")");
    }

    static String encodeCursor(String raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static String cursor(String text, Pattern shape) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            if (shape.matcher(raw).matches()) {
                return raw;
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new Body.Malformed("cursor: \"" + Body.abbreviate(text) + "\" is not a cursor this server gave out");
    }

    /** Runs a handler off the event loop, mapping refusals to their answers. */
    private HttpResponse blocking(ServiceRequestContext ctx, java.util.function.Supplier<HttpResponse> handler) {
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> guarded(handler), ctx.blockingTaskExecutor()));
    }

    private HttpResponse withBody(ServiceRequestContext ctx, HttpRequest req, Function<byte[], HttpResponse> handler) {
        return HttpResponse.of(req.aggregate().thenApplyAsync((AggregatedHttpRequest aggregated) ->
                guarded(() -> handler.apply(aggregated.content().array())), ctx.blockingTaskExecutor()));
    }

    private static HttpResponse guarded(java.util.function.Supplier<HttpResponse> handler) {
        try {
            return handler.get();
        } catch (RuntimeException e) {
            return failure(e);
        }
    }

    private static HttpResponse failure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof Body.Malformed malformed) {
            return error(HttpStatus.BAD_REQUEST, "MALFORMED", malformed.getMessage());
        }
        if (cause instanceof GatewayBusyException || cause instanceof StoreException
                || cause instanceof jango.engine.port.LedgerUnavailableException) {
            return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.JSON_UTF_8)
                    .add(HttpHeaderNames.RETRY_AFTER, "1").build(), HttpData.wrap(Render.error("UNAVAILABLE", cause.getMessage())));
        }
        log.error("event=bank_request_failed", cause);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
    }

    private static HttpResponse ok(byte[] body) {
        return json(HttpStatus.OK, body);
    }

    private static HttpResponse json(HttpStatus status, byte[] body) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, body);
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return json(status, Render.error(code, message));
    }
}
