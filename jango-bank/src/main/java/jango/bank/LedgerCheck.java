package jango.bank;

import jango.bank.store.GatewayStore;
import jango.engine.HoldState;
import jango.engine.HoldView;
import jango.engine.Result;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's records of one bank's business date, each with what the ledger shows for it: for
 * a withdrawal its hold (state, and how much was taken into {@code @external}); for a deposit the
 * command's result and the amount it credited (from the account's history, newest first, down to
 * the command's position). What {@code jango reconcile} compares with the bank's statement.
 */
public final class LedgerCheck {
    /** Most history pages read per account for one page of records. */
    private static final int MAX_HISTORY_PAGES = 200;

    /**
     * One record: {@code kind} 'W' or 'D'; {@code account} is the receiving bank account or the
     * virtual account; {@code owner} the user (or {@code @suspense}); {@code ledgerState} is the
     * hold's state (OPEN, SETTLED, RELEASED, EXPIRED) or the deposit command's (APPLIED, REJECTED),
     * NONE when the ledger has nothing; {@code ledgerAmountMinor} is null when it could not be read.
     */
    public record Item(char kind, long txNo, String id, String status, long amountMinor, String account, String owner,
                       String ledgerState, Long ledgerAmountMinor) {
    }

    public record Page(List<Item> items, String next) {
    }

    private final Ledger ledger;
    private final GatewayStore store;

    LedgerCheck(Ledger ledger, GatewayStore store) {
        this.ledger = ledger;
        this.store = store;
    }

    Page page(String bank, long date, String cursor, int limit) {
        List<GatewayStore.DecisionKey> keys = store.decisions(bank, date, cursor, limit);
        List<Item> items = new ArrayList<>();
        Map<String, List<Integer>> depositsByOwner = new HashMap<>();
        Map<Integer, String> commandOf = new HashMap<>();
        for (GatewayStore.DecisionKey key : keys) {
            if (key.kind() == 'W') {
                items.add(withdrawal(store.withdrawal(key.withdrawalId())));
            } else {
                Deposit deposit = store.deposit(bank, key.txNo());
                String owner = deposit.owner() != null ? deposit.owner() : DepositFlow.SUSPENSE;
                Result result = ledger.result(deposit.commandId());
                String state = result == null ? "NONE" : result.status().name();
                items.add(new Item('D', deposit.txNo(), deposit.id(), deposit.status().name(), deposit.amountMinor(),
                        deposit.virtualAccount(), owner, state, null));
                if (result != null && result.applied()) {
                    depositsByOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(items.size() - 1);
                    commandOf.put(items.size() - 1, deposit.commandId());
                }
            }
        }
        for (Map.Entry<String, List<Integer>> owner : depositsByOwner.entrySet()) {
            Set<String> wanted = new HashSet<>();
            owner.getValue().forEach(i -> wanted.add(commandOf.get(i)));
            Map<String, Long> credited = credits(owner.getKey(), wanted);
            for (int i : owner.getValue()) {
                Item item = items.get(i);
                items.set(i, new Item(item.kind(), item.txNo(), item.id(), item.status(), item.amountMinor(), item.account(), item.owner(),
                        item.ledgerState(), credited.get(commandOf.get(i))));
            }
        }
        String next = keys.size() == limit ? GatewayStore.decisionCursor(keys.get(keys.size() - 1)) : null;
        return new Page(items, next);
    }

    private Item withdrawal(Withdrawal withdrawal) {
        HoldView hold = ledger.hold(withdrawal.holdId());
        String state = hold == null ? "NONE" : hold.state().name();
        Long taken = null;
        if (hold != null) {
            taken = hold.state() == HoldState.SETTLED ? hold.amount().subtract(hold.remaining()).toBigInteger().longValueExact() : 0L;
        }
        return new Item('W', withdrawal.txNo(), withdrawal.id(), withdrawal.status().name(), withdrawal.amountMinor(),
                withdrawal.bankAccount(), withdrawal.account(), state, taken);
    }

    /** Command id -> amount credited to {@code owner}, for the wanted ids found in its history. */
    private Map<String, Long> credits(String owner, Set<String> wanted) {
        Map<String, Long> found = new HashMap<>();
        String cursor = null;
        for (int page = 0; page < MAX_HISTORY_PAGES && found.size() < wanted.size(); page++) {
            HistoryPage history = ledger.history(owner, null, 1_000, cursor);
            for (HistoryEntry entry : history.entries()) {
                if (entry.commandId() != null && wanted.contains(entry.commandId())) {
                    found.put(entry.commandId(), entry.availableDelta().toBigInteger().longValueExact());
                }
            }
            cursor = history.next();
            if (cursor == null) {
                break;
            }
        }
        return found;
    }
}
