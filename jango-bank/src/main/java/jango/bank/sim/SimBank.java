package jango.bank.sim;

import jango.bank.link.FrameIO;
import jango.bank.recon.Statement;
import jango.bank.telegram.AnswerCode;
import jango.bank.telegram.MessageType;
import jango.bank.telegram.Telegram;
import jango.bank.telegram.TelegramException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated bank: it listens for the gateway's line, speaks the same telegrams, keeps its own
 * books (every transfer it processed, by transaction number, and every deposit it notified) and
 * misbehaves as its {@link FaultPlan} and its operator's commands say.
 *
 * <p>Telegrams are processed one at a time, in arrival order, on one thread, like a bank's host:
 * a stall holds everything behind it, and a telegram whose connection closed before its turn is
 * discarded unprocessed. A transaction number is processed at most once: a second telegram with it
 * is answered DUPLICATE, so nobody can be paid twice by a resend. Business rules: a receiving
 * account starting with 999 is closed, one starting with 000 does not exist, and the recipient
 * name "MISMATCH" never matches.
 */
public final class SimBank implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SimBank.class);
    private static final ZoneId SEOUL = ZoneId.of("Asia/Seoul");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(SEOUL);
    private static final int MAX_WAITING_TELEGRAMS = 10_000;
    private static final long NOTICE_RESEND_MS = 1_000;

    public record Transfer(long txNo, String toAccount, long amount, String recipientName, String reference, String code,
                           long businessDate, long processedAt) {
    }

    public record DepositEntry(long txNo, String virtualAccount, long amount, String depositorName, long businessDate,
                               long processedAt, boolean acked) {
    }

    private record Work(Connection connection, Telegram telegram) {
    }

    private final class Connection {
        final SocketChannel channel;
        final Object writeLock = new Object();
        volatile boolean closed;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void send(Telegram telegram) {
            if (closed) {
                return;
            }
            try {
                synchronized (writeLock) {
                    FrameIO.write(channel, telegram);
                }
            } catch (IOException e) {
                close();
            }
        }

        void close() {
            closed = true;
            connections.remove(this);
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private final String code;
    private final String companyAccount;
    private final ServerSocketChannel server;
    private final Random random;
    private final Path statementDir;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Work> work = new ArrayBlockingQueue<>(MAX_WAITING_TELEGRAMS);
    private final ScheduledExecutorService scheduler;
    private final Thread acceptor;
    private final Thread processor;
    private volatile boolean closed;

    // The books: guarded by `this`.
    private final Map<Long, Transfer> transfers = new TreeMap<>();
    private final Map<Long, DepositEntry> deposits = new TreeMap<>();
    private final Map<String, Integer> paidByReference = new HashMap<>();
    private long businessDate;
    private long balance;
    private long nextDepositTxNo = 1;
    private long duplicates;
    private long answersDropped;
    private long refused;
    private long maintenanceAnswers;

    // Faults: guarded by `this`.
    private FaultPlan plan;
    private long stalledUntilMillis;
    private long maintenanceUntilMillis;
    private final Map<String, Integer> commanded = new HashMap<>();

    private final RequestMeter meter = new RequestMeter();
    private final AtomicLong connectionsAccepted = new AtomicLong();

    public SimBank(String code, int port, String companyAccount, long openingBalance, FaultPlan plan, long seed, Path statementDir)
            throws IOException {
        this.code = code;
        this.companyAccount = companyAccount;
        this.balance = openingBalance;
        this.plan = plan;
        this.random = new Random(seed);
        this.statementDir = statementDir;
        this.businessDate = Long.parseLong(LocalDate.now(SEOUL).format(DateTimeFormatter.BASIC_ISO_DATE));
        this.server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sim-" + code + "-timer").factory());
        this.acceptor = Thread.ofPlatform().daemon().name("sim-" + code + "-accept").unstarted(this::accept);
        this.processor = Thread.ofPlatform().daemon().name("sim-" + code + "-host").unstarted(this::process);
    }

    public SimBank start() {
        acceptor.start();
        processor.start();
        scheduler.scheduleWithFixedDelay(this::resendNotices, NOTICE_RESEND_MS, NOTICE_RESEND_MS / 2, TimeUnit.MILLISECONDS);
        scheduleFaults();
        return this;
    }

    public String code() {
        return code;
    }

    public int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    // ---- the line ---------------------------------------------------------------------------

    private void accept() {
        while (!closed) {
            try {
                SocketChannel channel = server.accept();
                channel.socket().setTcpNoDelay(true);
                Connection connection = new Connection(channel);
                connections.add(connection);
                connectionsAccepted.incrementAndGet();
                Thread.ofPlatform().daemon().name("sim-" + code + "-reader").start(() -> read(connection));
            } catch (IOException e) {
                if (!closed) {
                    log.warn("event=sim_accept_failed bank={} reason={}", code, e.getMessage());
                }
            }
        }
    }

    private void read(Connection connection) {
        try {
            while (!connection.closed) {
                Telegram telegram = FrameIO.read(connection.channel);
                if (telegram.type() == MessageType.TRANSFER_REQUEST || telegram.type() == MessageType.INQUIRY_REQUEST) {
                    meter.record(System.currentTimeMillis()); // on arrival: what the line carries, stalls or not
                }
                work.put(new Work(connection, telegram));
            }
        } catch (IOException | TelegramException e) {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void process() {
        while (!closed) {
            Work next;
            try {
                next = work.take();
                waitWhileStalled();
            } catch (InterruptedException e) {
                return;
            }
            if (next.connection.closed) {
                continue; // the line went away before this telegram's turn: never processed
            }
            try {
                handle(next.connection, next.telegram);
            } catch (RuntimeException e) {
                log.error("event=sim_handle_failed bank={} telegram={}", code, next.telegram, e);
            }
        }
    }

    private void waitWhileStalled() throws InterruptedException {
        while (true) {
            long waitMs;
            synchronized (this) {
                waitMs = stalledUntilMillis - System.currentTimeMillis();
            }
            if (waitMs <= 0) {
                return;
            }
            Thread.sleep(Math.min(waitMs, 50));
        }
    }

    private void handle(Connection connection, Telegram telegram) {
        switch (telegram.type()) {
            case TRANSFER_REQUEST -> transfer(connection, telegram);
            case INQUIRY_REQUEST -> inquiry(connection, telegram);
            case DEPOSIT_ACK -> depositAcked(telegram);
            case ECHO_REQUEST -> connection.send(answer(telegram, "0000"));
            default -> log.debug("event=sim_ignored bank={} type={}", code, telegram.type());
        }
    }

    // ---- transfers --------------------------------------------------------------------------

    private void transfer(Connection connection, Telegram request) {
        String fault;
        Telegram reply;
        synchronized (this) {
            if (answeredMaintenance(connection, request)) {
                return;
            }
            fault = drawTransferFault();
            if (fault.equals("refuse")) {
                refused++;
                reply = answer(request, AnswerCode.BUSY.code());
            } else {
                Transfer existing = transfers.get(request.txNo());
                if (existing != null) {
                    duplicates++;
                    connection.send(answer(request, AnswerCode.DUPLICATE.code()));
                    return;
                }
                Transfer done = book(request);
                reply = answer(request, done.code()).with("toAccount", done.toAccount()).with("amount", done.amount())
                        .with("recipientName", done.recipientName()).with("processedAt", done.processedAt());
            }
        }
        deliver(connection, reply, fault);
    }

    /** Applies the business rules and writes the transfer into the books. Caller holds the monitor. */
    private Transfer book(Telegram request) {
        String toAccount = request.text("toAccount");
        long amount = request.number("amount");
        String name = request.text("recipientName");
        String result;
        if (toAccount.startsWith("999")) {
            result = AnswerCode.CLOSED_ACCOUNT.code();
        } else if (toAccount.startsWith("000")) {
            result = AnswerCode.NO_SUCH_ACCOUNT.code();
        } else if (name.equals("MISMATCH")) {
            result = AnswerCode.NAME_MISMATCH.code();
        } else if (amount <= 0) {
            result = AnswerCode.INVALID_AMOUNT.code();
        } else if (amount > balance) {
            result = AnswerCode.LIMIT_EXCEEDED.code();
        } else {
            result = AnswerCode.OK.code();
            balance -= amount;
            paidByReference.merge(request.text("reference"), 1, Integer::sum);
        }
        Transfer transfer = new Transfer(request.txNo(), toAccount, amount, name, request.text("reference"), result, businessDate, now());
        transfers.put(transfer.txNo(), transfer);
        return transfer;
    }

    private void deliver(Connection connection, Telegram reply, String fault) {
        switch (fault) {
            case "drop" -> countDropped();
            case "duplicate" -> {
                connection.send(reply);
                connection.send(reply);
            }
            case "disconnect" -> connection.close();
            case "delay" -> {
                long delayMs;
                synchronized (this) {
                    delayMs = plan.delayMs();
                }
                scheduler.schedule(() -> connection.send(reply), delayMs, TimeUnit.MILLISECONDS);
            }
            default -> connection.send(reply);
        }
    }

    private synchronized void countDropped() {
        answersDropped++;
    }

    /** The fault for this transfer: a commanded one first, else one drawn from the plan ("" = none). Caller holds the monitor. */
    private String drawTransferFault() {
        for (String fault : List.of("refuse", "drop", "duplicate", "disconnect", "delay")) {
            Integer left = commanded.get(fault);
            if (left != null && left > 0) {
                commanded.put(fault, left - 1);
                return fault;
            }
        }
        double roll = random.nextDouble();
        double[] rates = {plan.refuse(), plan.drop(), plan.duplicate(), plan.disconnect(), plan.delay()};
        String[] names = {"refuse", "drop", "duplicate", "disconnect", "delay"};
        for (int i = 0; i < rates.length; i++) {
            if (roll < rates[i]) {
                return names[i];
            }
            roll -= rates[i];
        }
        return "";
    }

    private void inquiry(Connection connection, Telegram request) {
        Telegram reply;
        synchronized (this) {
            if (answeredMaintenance(connection, request)) {
                return;
            }
            if (random.nextDouble() < plan.inquiryDrop()) {
                answersDropped++;
                return;
            }
            long original = request.number("originalTxNo");
            Transfer transfer = transfers.get(original);
            reply = answer(request, "0000").with("originalTxNo", original);
            if (transfer == null) {
                reply = reply.with("originalCode", AnswerCode.NOT_FOUND.code());
            } else {
                reply = reply.with("originalCode", transfer.code()).with("amount", transfer.amount())
                        .with("originalDate", transfer.businessDate()).with("processedAt", transfer.processedAt());
            }
        }
        connection.send(reply);
    }

    /** In maintenance, every transfer and inquiry is answered MAINTENANCE, unprocessed. Caller holds the monitor. */
    private boolean answeredMaintenance(Connection connection, Telegram request) {
        if (maintenanceUntilMillis <= System.currentTimeMillis()) {
            return false;
        }
        maintenanceAnswers++;
        connection.send(answer(request, AnswerCode.MAINTENANCE.code()));
        return true;
    }

    private Telegram answer(Telegram request, String answerCode) {
        long date;
        synchronized (this) {
            date = businessDate;
        }
        return Telegram.of(request.type().answer()).with("bank", request.bank()).with("txNo", request.txNo())
                .with("businessDate", date).with("sentAt", now()).with("code", answerCode);
    }

    // ---- deposits ---------------------------------------------------------------------------

    /** A customer paid {@code amount} into virtual account {@code virtualAccount}: the bank books it and notifies the gateway until it acknowledges. */
    public long deposit(String virtualAccount, long amount, String depositorName) {
        DepositEntry entry;
        synchronized (this) {
            entry = new DepositEntry(nextDepositTxNo++, virtualAccount, amount, depositorName, businessDate, now(), false);
            deposits.put(entry.txNo(), entry);
            balance = Math.addExact(balance, amount);
        }
        notify(entry);
        return entry.txNo();
    }

    private void notify(DepositEntry entry) {
        Telegram notice = Telegram.of(MessageType.DEPOSIT_NOTICE).with("bank", Long.parseLong(code)).with("txNo", entry.txNo())
                .with("businessDate", entry.businessDate()).with("sentAt", now()).with("code", "")
                .with("virtualAccount", entry.virtualAccount()).with("amount", entry.amount())
                .with("depositorName", entry.depositorName()).with("processedAt", entry.processedAt());
        Connection line = newestConnection();
        if (line == null) {
            return; // resent when a line is up
        }
        boolean twice;
        synchronized (this) {
            twice = random.nextDouble() < plan.duplicateNotice();
        }
        line.send(notice);
        if (twice) {
            line.send(notice);
        }
    }

    private void resendNotices() {
        List<DepositEntry> unacked = new ArrayList<>();
        synchronized (this) {
            for (DepositEntry entry : deposits.values()) {
                if (!entry.acked()) {
                    unacked.add(entry);
                }
            }
        }
        // Bounded per round, so a gateway that is down for long does not get a flood in one burst.
        unacked.stream().limit(1_000).forEach(this::notify);
    }

    private synchronized void depositAcked(Telegram ack) {
        DepositEntry entry = deposits.get(ack.txNo());
        if (entry != null && !entry.acked()) {
            deposits.put(entry.txNo(), new DepositEntry(entry.txNo(), entry.virtualAccount(), entry.amount(), entry.depositorName(),
                    entry.businessDate(), entry.processedAt(), true));
        }
    }

    private Connection newestConnection() {
        Connection newest = null;
        for (Connection connection : connections) {
            if (!connection.closed) {
                newest = connection;
            }
        }
        return newest;
    }

    // ---- faults -----------------------------------------------------------------------------

    public synchronized void setPlan(FaultPlan newPlan) {
        plan = newPlan;
    }

    public synchronized FaultPlan plan() {
        return plan;
    }

    /** The next {@code count} transfers get {@code fault} (refuse, drop, duplicate, disconnect, delay). */
    public synchronized void command(String fault, int count) {
        if (!List.of("refuse", "drop", "duplicate", "disconnect", "delay").contains(fault)) {
            throw new IllegalArgumentException("fault: " + fault + " (expected: refuse, drop, duplicate, disconnect, delay, stall, maintenance, hangup)");
        }
        commanded.merge(fault, count, Integer::sum);
    }

    /** Stops processing for {@code ms} from now (0 ends a stall): nothing is answered, not even an echo; then everything waiting is processed in order. */
    public synchronized void stall(long ms) {
        stalledUntilMillis = System.currentTimeMillis() + ms;
    }

    /** Answers MAINTENANCE to every transfer and inquiry for {@code ms} from now (0 ends a maintenance). */
    public synchronized void maintenance(long ms) {
        maintenanceUntilMillis = System.currentTimeMillis() + ms;
    }

    /** Closes every connection now. */
    public void hangUp() {
        for (Connection connection : connections) {
            connection.close();
        }
    }

    private void scheduleFaults() {
        scheduler.schedule(this::scheduledFault, nextFaultDelay(), TimeUnit.MILLISECONDS);
    }

    /** Every so often (jittered by the seeded random), a stall or a maintenance window as the plan says. */
    private void scheduledFault() {
        synchronized (this) {
            long now = System.currentTimeMillis();
            if (plan.stallEveryMs() > 0 && random.nextDouble() < 0.5) {
                stalledUntilMillis = Math.max(stalledUntilMillis, now + plan.stallMs());
                log.info("event=sim_stall bank={} ms={}", code, plan.stallMs());
            } else if (plan.maintenanceEveryMs() > 0) {
                maintenanceUntilMillis = Math.max(maintenanceUntilMillis, now + plan.maintenanceMs());
                log.info("event=sim_maintenance bank={} ms={}", code, plan.maintenanceMs());
            }
        }
        if (!closed) {
            scheduleFaults();
        }
    }

    private synchronized long nextFaultDelay() {
        long every = plan.stallEveryMs() > 0 && plan.maintenanceEveryMs() > 0 ? Math.min(plan.stallEveryMs(), plan.maintenanceEveryMs())
                : Math.max(plan.stallEveryMs(), plan.maintenanceEveryMs());
        if (every == 0) {
            return 1_000; // look again later: the plan may change
        }
        return every / 2 + (long) (random.nextDouble() * every);
    }

    // ---- books and statements ---------------------------------------------------------------

    public record Books(String bank, long businessDate, long balance, List<Transfer> transfers, List<DepositEntry> deposits,
                        long duplicates, long answersDropped, long refused, long maintenanceAnswers, long requests,
                        int maxRequestsPerSecond, long connections, List<String> paidTwice) {
    }

    public synchronized Books books() {
        List<String> paidTwice = paidByReference.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();
        return new Books(code, businessDate, balance, List.copyOf(transfers.values()), List.copyOf(deposits.values()), duplicates,
                answersDropped, refused, maintenanceAnswers, meter.total(), meter.maxPerSecond(), connectionsAccepted.get(), paidTwice);
    }

    /** Writes the statement of the current business date (paid transfers and deposits) and opens the next date. */
    public Path endOfDay() throws IOException {
        Statement statement;
        synchronized (this) {
            long date = businessDate;
            List<Statement.Entry> entries = new ArrayList<>();
            transfers.values().stream().filter(t -> t.businessDate() == date && t.code().equals(AnswerCode.OK.code()))
                    .forEach(t -> entries.add(new Statement.Entry('W', t.txNo(), t.toAccount(), t.amount(), t.recipientName(),
                            t.processedAt(), t.reference())));
            deposits.values().stream().filter(d -> d.businessDate() == date)
                    .forEach(d -> entries.add(new Statement.Entry('D', d.txNo(), d.virtualAccount(), d.amount(), d.depositorName(),
                            d.processedAt(), "")));
            entries.sort(Comparator.comparing(Statement.Entry::kind).thenComparing(Statement.Entry::txNo));
            statement = new Statement(code, date, companyAccount, now(), entries);
            businessDate = Long.parseLong(LocalDate.parse(Long.toString(date), DateTimeFormatter.BASIC_ISO_DATE).plusDays(1)
                    .format(DateTimeFormatter.BASIC_ISO_DATE));
        }
        Path file = statementDir.resolve("statement-" + code + "-" + statement.businessDate() + ".txt");
        java.nio.file.Files.createDirectories(statementDir);
        statement.write(file);
        log.info("event=sim_end_of_day bank={} business_date={} entries={} file={}", code, statement.businessDate(),
                statement.entries().size(), file);
        return file;
    }

    private static long now() {
        return Long.parseLong(STAMP.format(Instant.now()));
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        hangUp();
        processor.interrupt();
        scheduler.shutdownNow();
    }

    /** Requests (transfers and inquiries) per sliding second, as the bank's side of a TPS agreement sees them. */
    static final class RequestMeter {
        private final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
        private long total;
        private int max;

        synchronized void record(long nowMillis) {
            total++;
            lastSecond.addLast(nowMillis);
            while (!lastSecond.isEmpty() && lastSecond.peekFirst() <= nowMillis - 1_000) {
                lastSecond.removeFirst();
            }
            max = Math.max(max, lastSecond.size());
        }

        synchronized long total() {
            return total;
        }

        synchronized int maxPerSecond() {
            return max;
        }
    }
}
