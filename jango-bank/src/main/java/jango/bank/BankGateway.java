package jango.bank;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import jango.bank.link.BankLink;
import jango.bank.store.BankSettings;
import jango.bank.store.GatewayStore;
import jango.bank.telegram.MessageType;
import jango.bank.telegram.Telegram;
import jango.engine.Command;
import jango.engine.Outcome;
import jango.engine.port.Ledger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Money in and out through banks, on top of the {@link Ledger} port only (so embedded and
 * distributed mode alike): withdrawals as a durable state machine ({@link WithdrawalFlow}), each
 * bank behind its own line and flow control ({@link BankChannel}), deposits by virtual account
 * ({@link DepositFlow}), and what an operator needs (limits, windows, breaker, suspense). Its
 * own state is in a {@link GatewayStore} under the data directory.
 */
public final class BankGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BankGateway.class);

    private final GatewayConfig config;
    private final Ledger ledger;
    private final GatewayStore store;
    private final Lanes lanes;
    private final Map<String, BankChannel> channels = new LinkedHashMap<>();
    private final BankMetrics metrics;
    private final WithdrawalFlow withdrawals;
    private final DepositFlow deposits;
    private final Semaphore accepts;

    private BankGateway(GatewayConfig config, Ledger ledger, GatewayStore store, MeterRegistry registry) {
        this.config = config;
        this.ledger = ledger;
        this.store = store;
        this.metrics = new BankMetrics(registry);
        int capacity = config.banks().stream().mapToInt(BankConfig::queueCapacity).sum();
        // Every open withdrawal has at most one step waiting, so a lane never holds more than all of them.
        this.lanes = new Lanes(config.lanes(), capacity + config.maxAcceptsInFlight() + 20_000);
        this.accepts = new Semaphore(config.maxAcceptsInFlight());
        GatewayParts parts = new GatewayParts(config, ledger, store, lanes, channels, metrics);
        this.withdrawals = new WithdrawalFlow(parts);
        this.deposits = new DepositFlow(parts);
    }

    /**
     * Opens the store, makes sure the ledger has the asset, sets each bank up (with the operator's
     * saved settings), picks up every open withdrawal where it was, and connects to the banks.
     */
    public static BankGateway open(GatewayConfig config, Ledger ledger, Path storeDir, MeterRegistry registry) throws IOException {
        ensureAsset(config, ledger);
        GatewayStore store = GatewayStore.open(storeDir);
        BankGateway gateway = new BankGateway(config, ledger, store, registry);
        try {
            gateway.start();
        } catch (RuntimeException e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    private static void ensureAsset(GatewayConfig config, Ledger ledger) throws IOException {
        Integer scale = ledger.assets().get(config.asset());
        if (scale == null) {
            try {
                Outcome outcome = ledger.submit(List.of(new Command.RegisterAsset(config.asset(), config.assetScale())))
                        .get(30, TimeUnit.SECONDS).get(0);
                scale = outcome.kind() == Outcome.Kind.ASSET_CONFLICT ? outcome.assetScale() : config.assetScale();
            } catch (Exception e) {
                throw new IOException("bank gateway: cannot register asset " + config.asset() + " in the ledger: " + e.getMessage(), e);
            }
        }
        if (scale != config.assetScale()) {
            throw new IOException("bank gateway: asset " + config.asset() + " has scale " + scale + " in the ledger, not " + config.assetScale());
        }
    }

    private void start() {
        for (BankConfig bank : config.banks()) {
            BankSettings saved = store.settings(bank.code());
            BankConfig effective = saved == null ? bank : applySaved(bank, saved);
            BankChannel channel = new BankChannel(effective, config.clock(), store.lastTxNo(bank.code()), config.link(), new BankLink.Listener() {
                @Override
                public void up() {
                }

                @Override
                public void down(String reason) {
                }

                @Override
                public void request(Telegram telegram) {
                    if (telegram.type() == MessageType.DEPOSIT_NOTICE) {
                        deposits.notice(bank.code(), telegram);
                    }
                }
            }, metrics);
            channels.put(bank.code(), channel);
            metrics.bind(channel);
        }
        List<Withdrawal> recovered = store.openWithdrawals();
        for (Withdrawal withdrawal : recovered) {
            BankChannel channel = channels.get(withdrawal.bank());
            if (channel == null) {
                throw new IllegalStateException("withdrawal " + withdrawal.id() + " is open at bank " + withdrawal.bank()
                        + ", which is no longer configured: add it back to finish it");
            }
            channel.recovered();
            withdrawals.open.put(withdrawal.id(), withdrawal);
        }
        channels.values().forEach(channel -> channel.start(withdrawals));
        for (Withdrawal withdrawal : recovered) {
            lanes.run(withdrawal.account(), () -> withdrawals.resume(withdrawal));
        }
        log.info("event=bank_gateway_started banks={} open_withdrawals={}", channels.keySet(), recovered.size());
    }

    private static BankConfig applySaved(BankConfig bank, BankSettings saved) {
        BankConfig limited = bank.withLimits(saved.tps() != null ? saved.tps() : bank.tps(),
                saved.concurrency() != null ? saved.concurrency() : bank.concurrency(),
                saved.queueCapacity() != null ? saved.queueCapacity() : bank.queueCapacity());
        return limited.withCalendar(bank.calendar().withAnnounced(announced(saved)));
    }

    private static List<MaintenanceCalendar.Announced> announced(BankSettings settings) {
        return settings.announced().stream().map(w -> new MaintenanceCalendar.Announced(w.id(), Instant.parse(w.from()),
                Instant.parse(w.to()), w.reason())).toList();
    }

    // ---- withdrawals ------------------------------------------------------------------------

    public String asset() {
        return config.asset();
    }

    public int assetScale() {
        return config.assetScale();
    }

    public boolean hasBank(String code) {
        return channels.containsKey(code);
    }

    public List<String> bankCodes() {
        return List.copyOf(channels.keySet());
    }

    /**
     * Records the withdrawal (fsynced) and places its hold; completes with its state after the
     * hold step. The same request again is a replay; the id with another request a conflict; a
     * full bank queue refuses before anything is recorded or held.
     *
     * @throws GatewayBusyException when too many accepts are already in progress (nothing recorded)
     */
    public CompletableFuture<AcceptResult> accept(WithdrawalRequest request) {
        if (!accepts.tryAcquire()) {
            throw new GatewayBusyException("too many withdrawals being accepted at once; retry with the same id");
        }
        CompletableFuture<AcceptResult> result;
        try {
            result = lanes.call(request.account(), () -> acceptOnLane(request));
        } catch (RuntimeException e) {
            accepts.release();
            throw new GatewayBusyException("the gateway's queues are full; retry with the same id");
        }
        return result.whenComplete((r, e) -> accepts.release());
    }

    private CompletableFuture<AcceptResult> acceptOnLane(WithdrawalRequest request) {
        Withdrawal existing = find(request.id());
        long now = config.clock().millis();
        BankChannel channel = channels.get(request.bank());
        Withdrawal fresh = new Withdrawal(request.id(), request.account(), config.asset(), request.amountMinor(), request.bank(),
                request.bankAccount(), request.recipientName(), 0, WithdrawalStatus.REQUESTED, null, null, 0, now, now, 0, 0, 0);
        if (existing != null) {
            return CompletableFuture.completedFuture(existing.sameRequest(fresh) ? new AcceptResult.Accepted(existing, true)
                    : new AcceptResult.Conflict(existing));
        }
        if (!channel.reserve()) {
            return CompletableFuture.completedFuture(new AcceptResult.QueueFull(request.bank(), channel.config().queueCapacity()));
        }
        Withdrawal requested = new Withdrawal(fresh.id(), fresh.account(), fresh.asset(), fresh.amountMinor(), fresh.bank(),
                fresh.bankAccount(), fresh.recipientName(), channel.nextTxNo(), WithdrawalStatus.REQUESTED, null, null, 0, now, now, 0, 0, 0);
        // The same id on two lanes at once (two accounts): the first to claim it records it.
        Withdrawal racing = withdrawals.open.putIfAbsent(requested.id(), requested);
        Withdrawal stored = racing == null ? store.withdrawal(requested.id()) : racing;
        if (stored != null) {
            if (racing == null) {
                withdrawals.open.remove(requested.id(), requested);
            }
            channel.release();
            return CompletableFuture.completedFuture(stored.sameRequest(fresh) ? new AcceptResult.Accepted(stored, true)
                    : new AcceptResult.Conflict(stored));
        }
        try {
            withdrawals.record(null, requested, true);
        } catch (RuntimeException e) {
            withdrawals.open.remove(requested.id(), requested);
            channel.release();
            throw e;
        }
        withdrawals.accepted(requested);
        return withdrawals.hold(requested).thenApply(after -> new AcceptResult.Accepted(after, false));
    }

    /** The withdrawal as recorded now, or null. */
    public Withdrawal find(String id) {
        Withdrawal open = withdrawals.open.get(id);
        return open != null ? open : store.withdrawal(id);
    }

    public GatewayStore.Page<Withdrawal> withdrawalsOf(String account, int limit, String cursor) {
        return store.withdrawalsOf(account, limit, cursor);
    }

    // ---- banks (admin) ----------------------------------------------------------------------

    /** A bank as an operator sees it. */
    public record BankView(BankConfig config, String breakerState, float failureRate, int open, int ready, int inFlight,
                           int timerEntries, boolean lineUp, long reconnects) {
    }

    public BankView bank(String code) {
        BankChannel channel = channels.get(code);
        if (channel == null) {
            return null;
        }
        CircuitBreaker breaker = channel.breaker();
        return new BankView(channel.config(), breaker.getState().name(), breaker.getMetrics().getFailureRate(), channel.open(),
                channel.readyCount(), channel.inFlight(), channel.timer().size(), channel.link().up(), channel.link().reconnects());
    }

    public List<BankView> banks() {
        return channels.keySet().stream().map(this::bank).toList();
    }

    /** Changes a bank's limits (null keeps one) and keeps them in the store; they win over the configuration file. */
    public synchronized BankView setLimits(String code, Integer tps, Integer concurrency, Integer queueCapacity) {
        BankChannel channel = channels.get(code);
        BankConfig now = channel.config();
        int newTps = tps != null ? tps : now.tps();
        int newConcurrency = concurrency != null ? concurrency : now.concurrency();
        int newQueue = queueCapacity != null ? queueCapacity : now.queueCapacity();
        BankConfig.checkLimits(newTps, newConcurrency, newQueue);
        BankSettings saved = settings(code);
        store.putSettings(code, new BankSettings(newTps, newConcurrency, newQueue, saved.announced()));
        channel.applyLimits(newTps, newConcurrency, newQueue);
        log.info("event=bank_limits_changed bank={} tps={} concurrency={} queue={}", code, newTps, newConcurrency, newQueue);
        return bank(code);
    }

    /** Announces a maintenance window; withdrawals that meet it wait for its end. */
    public synchronized MaintenanceCalendar.Announced announceWindow(String code, Instant from, Instant to, String reason) {
        BankChannel channel = channels.get(code);
        MaintenanceCalendar.Announced window = new MaintenanceCalendar.Announced(UUID.randomUUID().toString(), from, to, reason);
        BankSettings saved = settings(code);
        List<BankSettings.Window> windows = new ArrayList<>(saved.announced());
        windows.add(new BankSettings.Window(window.id(), from.toString(), to.toString(), reason));
        store.putSettings(code, new BankSettings(saved.tps(), saved.concurrency(), saved.queueCapacity(), windows));
        List<MaintenanceCalendar.Announced> all = new ArrayList<>(channel.config().calendar().announced());
        all.add(window);
        channel.applyCalendar(channel.config().calendar().withAnnounced(all));
        log.info("event=bank_window_announced bank={} from={} to={}", code, from, to);
        return window;
    }

    /** Cancels an announced window; false when there is none with that id. */
    public synchronized boolean cancelWindow(String code, String windowId) {
        BankChannel channel = channels.get(code);
        BankSettings saved = settings(code);
        List<BankSettings.Window> windows = saved.announced().stream().filter(w -> !w.id().equals(windowId)).toList();
        if (windows.size() == saved.announced().size()) {
            return false;
        }
        store.putSettings(code, new BankSettings(saved.tps(), saved.concurrency(), saved.queueCapacity(), windows));
        channel.applyCalendar(channel.config().calendar().withAnnounced(
                channel.config().calendar().announced().stream().filter(w -> !w.id().equals(windowId)).toList()));
        return true;
    }

    private BankSettings settings(String code) {
        BankSettings saved = store.settings(code);
        return saved == null ? BankSettings.NONE : saved;
    }

    /** "reset" (closed, statistics cleared), "open" (forced open: nothing is sent) or "close". */
    public BankView breaker(String code, String action) {
        CircuitBreaker breaker = channels.get(code).breaker();
        switch (action) {
            case "reset" -> breaker.reset();
            case "open" -> breaker.transitionToForcedOpenState();
            case "close" -> breaker.transitionToClosedState();
            default -> throw new IllegalArgumentException("action: \"" + action + "\" (expected: reset, open or close)");
        }
        channels.get(code).signal();
        log.info("event=bank_breaker_changed bank={} action={}", code, action);
        return bank(code);
    }

    // ---- deposits and virtual accounts ------------------------------------------------------

    public void putVirtualAccount(String number, String owner) {
        store.putVirtualAccount(number, owner);
    }

    public String virtualAccountOwner(String number) {
        return store.virtualAccountOwner(number);
    }

    public Deposit deposit(String bank, long txNo) {
        return store.deposit(bank, txNo);
    }

    public List<Deposit> suspense(int limit) {
        return store.suspense(limit);
    }

    /** See {@link DepositFlow#resolve}. */
    public CompletableFuture<DepositFlow.Resolution> resolveSuspense(String bank, long txNo, String account) {
        return deposits.resolve(bank, txNo, account);
    }

    // ---- reconciliation ---------------------------------------------------------------------

    /** The gateway's records of the bank's decisions on {@code date}, each beside what the ledger shows. */
    public LedgerCheck.Page decisions(String bank, long date, String cursor, int limit) {
        return new LedgerCheck(ledger, store).page(bank, date, cursor, limit);
    }

    @Override
    public void close() {
        channels.values().forEach(BankChannel::close);
        lanes.close();
        store.close();
    }
}
