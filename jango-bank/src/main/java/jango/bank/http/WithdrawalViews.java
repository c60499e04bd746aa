package jango.bank.http;

import com.fasterxml.jackson.core.type.TypeReference;
import jango.bank.BankGateway;
import jango.bank.Withdrawal;
import jango.bank.store.GatewayStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Withdrawals as plain maps, for a query layer that is not HTTP (the GraphQL endpoint): each is
 * rendered by the same code as {@code GET /v1/withdrawals/{id}} and read back, so both show the same
 * fields, amounts and times; pages take and give the same cursors as
 * {@code GET /v1/accounts/{a}/withdrawals}. Bad input throws {@link IllegalArgumentException} with
 * the message the HTTP routes give.
 */
public final class WithdrawalViews {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    /** Most withdrawals on one page here (the HTTP route allows 1,000): a GraphQL query's cost grows with it. */
    public static final int MAX_LIMIT = 100;

    private final BankGateway gateway;

    public WithdrawalViews(BankGateway gateway) {
        this.gateway = gateway;
    }

    /** The withdrawal, or null when there is none. */
    public Map<String, Object> withdrawal(String id) {
        Withdrawal withdrawal = gateway.find(checked(() -> Fields.matching("id", id, Fields.WITHDRAWAL_ID)));
        return withdrawal == null ? null : view(withdrawal);
    }

    /** {@code {"withdrawals": [...], "next": cursor or null}}, newest first; limit 1..{@value #MAX_LIMIT}. */
    public Map<String, Object> page(String account, int limit, String cursor) {
        String owner = checked(() -> Fields.userAccount("account", account));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_LIMIT + ")");
        }
        String raw = checked(() -> BankRoutes.cursor(cursor, BankRoutes.CURSOR));
        GatewayStore.Page<Withdrawal> page = gateway.withdrawalsOf(owner, limit, raw);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("withdrawals", page.items().stream().map(this::view).toList());
        view.put("next", page.next() == null ? null : BankRoutes.encodeCursor(page.next()));
        return view;
    }

    private Map<String, Object> view(Withdrawal withdrawal) {
        byte[] json = Render.json(out -> Render.withdrawal(out, withdrawal, gateway.assetScale()));
        try {
            return Body.MAPPER.readValue(json, MAP);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String checked(java.util.function.Supplier<String> field) {
        try {
            return field.get();
        } catch (Body.Malformed e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
