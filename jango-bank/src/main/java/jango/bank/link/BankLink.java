package jango.bank.link;

import jango.bank.telegram.MessageType;
import jango.bank.telegram.Telegram;
import jango.bank.telegram.TelegramException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The gateway's persistent TCP line to one bank. One thread connects, reads and, when the line
 * breaks, reconnects with a doubling backoff (bounded). Requests are matched to answers by
 * (answer type, transaction number). A request whose connection dies, or whose answer does not
 * come in time, fails with {@link LinkException} or {@link TimeoutException}: the caller then asks
 * the bank with an inquiry, never a resend. Idle lines are checked with an echo; a missing echo
 * answer breaks the line so it reconnects. Only this bank's threads ever wait on this line.
 */
public final class BankLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BankLink.class);

    /** What the gateway does with the line's events; called on the line's reader thread, so it must not block. */
    public interface Listener {
        void up();

        void down(String reason);

        /** A request from the bank (a deposit notice); answer it with {@link #send}. */
        void request(Telegram telegram);
    }

    public record Settings(long connectTimeoutMs, long minBackoffMs, long maxBackoffMs, long echoIntervalMs, long echoTimeoutMs) {
        public static final Settings DEFAULTS = new Settings(2_000, 100, 5_000, 5_000, 3_000);
    }

    private final String bank;
    private final InetSocketAddress address;
    private final Listener listener;
    private final Settings settings;
    private final Supplier<Telegram> echoRequest;
    private final Thread thread;
    private final AtomicLong reconnects = new AtomicLong();
    private volatile Connection current;
    private volatile boolean closed;

    /** One TCP connection and the requests written on it. */
    private static final class Connection {
        final SocketChannel channel;
        final Map<String, CompletableFuture<Telegram>> pending = new ConcurrentHashMap<>();
        final Object writeLock = new Object();
        volatile long lastReadNanos = System.nanoTime();

        Connection(SocketChannel channel) {
            this.channel = channel;
        }
    }

    /**
     * @param echoRequest makes an echo request (with this bank's header fields and a fresh number)
     */
    public BankLink(String bank, InetSocketAddress address, Listener listener, Settings settings, Supplier<Telegram> echoRequest) {
        this.bank = bank;
        this.address = address;
        this.listener = listener;
        this.settings = settings;
        this.echoRequest = echoRequest;
        this.thread = Thread.ofPlatform().daemon().name("bank-link-" + bank).unstarted(this::run);
    }

    public BankLink start() {
        thread.start();
        return this;
    }

    public boolean up() {
        return current != null;
    }

    public long reconnects() {
        return reconnects.get();
    }

    public InetSocketAddress address() {
        return address;
    }

    /**
     * Writes {@code telegram} and completes with its answer, or exceptionally: {@link LinkException}
     * (no connection, or it broke before the answer) or {@link TimeoutException}.
     */
    public CompletableFuture<Telegram> request(Telegram telegram, long timeoutMs) {
        Connection connection = current;
        if (connection == null) {
            return CompletableFuture.failedFuture(new LinkException("bank " + bank + ": the line is down", false));
        }
        String key = key(telegram.type().answer(), telegram.txNo());
        CompletableFuture<Telegram> answer = new CompletableFuture<>();
        if (connection.pending.putIfAbsent(key, answer) != null) {
            return CompletableFuture.failedFuture(new LinkException("bank " + bank + ": " + key + " is already waiting for its answer", false));
        }
        answer.whenComplete((t, e) -> connection.pending.remove(key, answer));
        try {
            write(connection, telegram);
        } catch (IOException e) {
            answer.completeExceptionally(new LinkException("bank " + bank + ": write failed: " + e.getMessage(), true));
            breakLine(connection, "write failed: " + e.getMessage());
            return answer;
        }
        return answer.orTimeout(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** Writes a telegram that expects no answer (an answer to the bank's request); false when the line is down. */
    public boolean send(Telegram telegram) {
        Connection connection = current;
        if (connection == null) {
            return false;
        }
        try {
            write(connection, telegram);
            return true;
        } catch (IOException e) {
            breakLine(connection, "write failed: " + e.getMessage());
            return false;
        }
    }

    private static void write(Connection connection, Telegram telegram) throws IOException {
        synchronized (connection.writeLock) {
            FrameIO.write(connection.channel, telegram);
        }
    }

    private static String key(MessageType answerType, long txNo) {
        return answerType.code() + "/" + txNo;
    }

    // ---- the line's thread ------------------------------------------------------------------

    private void run() {
        long backoffMs = settings.minBackoffMs();
        while (!closed) {
            Connection connection;
            try {
                connection = connect();
            } catch (IOException e) {
                log.debug("event=bank_connect_failed bank={} address={} reason={}", bank, address, e.getMessage());
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
                backoffMs = Math.min(settings.maxBackoffMs(), backoffMs * 2);
                continue;
            }
            backoffMs = settings.minBackoffMs();
            current = connection;
            log.info("event=bank_link_up bank={} address={}:{}", bank, address.getHostString(), address.getPort());
            listener.up();
            String reason = readUntilBroken(connection);
            if (!closed) {
                reconnects.incrementAndGet();
                log.warn("event=bank_link_down bank={} reason=\"{}\"", bank, reason);
            }
            listener.down(reason);
        }
    }

    private Connection connect() throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.socket().setTcpNoDelay(true);
            channel.socket().setKeepAlive(true);
            // Resolved on every attempt: a bank's address may move behind its name.
            channel.socket().connect(new InetSocketAddress(address.getHostString(), address.getPort()), (int) settings.connectTimeoutMs());
            return new Connection(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private String readUntilBroken(Connection connection) {
        Thread echo = Thread.ofPlatform().daemon().name("bank-echo-" + bank).start(() -> echoWhileAlive(connection));
        String reason;
        try {
            while (true) {
                Telegram telegram = FrameIO.read(connection.channel);
                connection.lastReadNanos = System.nanoTime();
                dispatch(connection, telegram);
            }
        } catch (IOException e) {
            reason = closed ? "closed" : "read failed: " + e.getMessage();
        } catch (TelegramException e) {
            // A frame we cannot read leaves the stream out of step: only a new connection resynchronises it.
            reason = "unreadable telegram: " + e.getMessage();
        }
        breakLine(connection, reason);
        echo.interrupt();
        return reason;
    }

    private void dispatch(Connection connection, Telegram telegram) {
        if (telegram.type().isAnswer()) {
            CompletableFuture<Telegram> waiting = connection.pending.get(key(telegram.type(), telegram.txNo()));
            if (waiting == null) {
                // A late or duplicate answer: its request already timed out (an inquiry settles it) or was answered.
                log.info("event=bank_answer_unmatched bank={} type={} tx_no={} code={}", bank, telegram.type(), telegram.txNo(), telegram.code());
                return;
            }
            waiting.complete(telegram);
        } else if (telegram.type() == MessageType.ECHO_REQUEST) {
            send(Telegram.of(MessageType.ECHO_ANSWER).with("bank", telegram.bank()).with("txNo", telegram.txNo())
                    .with("businessDate", telegram.number("businessDate")).with("code", "0000"));
        } else {
            listener.request(telegram);
        }
    }

    /** Sends an echo whenever the line has been quiet for the echo interval; no answer in time breaks the line. */
    private void echoWhileAlive(Connection connection) {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(settings.echoIntervalMs());
        while (current == connection && !closed) {
            long quietNanos = System.nanoTime() - connection.lastReadNanos;
            if (quietNanos < intervalNanos) {
                LockSupport.parkNanos(intervalNanos - quietNanos);
                if (Thread.interrupted()) {
                    return;
                }
                continue;
            }
            try {
                request(echoRequest.get(), settings.echoTimeoutMs()).get();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                breakLine(connection, "no echo answer within " + settings.echoTimeoutMs() + " ms");
                return;
            }
        }
    }

    /** Closes the connection (once) and fails every request still waiting on it. */
    private void breakLine(Connection connection, String reason) {
        if (current == connection) {
            current = null;
        }
        try {
            connection.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (CompletableFuture<Telegram> waiting : connection.pending.values()) {
            waiting.completeExceptionally(new LinkException("bank " + bank + ": the line broke: " + reason, true));
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection connection = current;
        if (connection != null) {
            breakLine(connection, "closed");
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
