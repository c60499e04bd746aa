package jango.streams;

import io.netty.channel.ChannelOption;
import jango.server.TestServer;
import jango.streams.live.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Subscribers that connect and then never read again (a vanished app behind a live socket): each is
 * closed, the one that reads gets everything, and the server's heap stays bounded while thousands
 * of changes are sent to the hot account they all follow.
 */
class SlowSubscriberTest {
    private static final int STALLED_SSE = 200;
    private static final int STALLED_SOCKETS = 50;
    private static final int BUFFER = 256;

    @TempDir
    Path dir;
    StreamsFixture jango;
    final List<Socket> stalled = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : stalled) {
            socket.close();
        }
        if (jango != null) {
            jango.close();
        }
    }

    @Test
    void subscribersThatStopReadingAreClosedWhenTheirBufferFillsAndTheHeapStaysBounded() throws Exception {
        // The stall timeout is out of reach here: only the bounded buffer can close the stalled subscribers.
        start(BUFFER, 600_000);
        StreamsFixture.SseClient healthy = jango.sse("/v1/accounts/hot/stream", null);
        TestServer.await("the healthy subscriber's snapshot", 5_000, () -> !healthy.events("snapshot").isEmpty());

        for (int i = 0; i < STALLED_SSE; i++) {
            stalled.add(stalledSse());
        }
        for (int i = 0; i < STALLED_SOCKETS; i++) {
            stalled.add(stalledSocket());
        }

        TestServer.await("every stalled subscriber listening", 10_000,
                () -> jango.streams.hub().listeners() == 1 + STALLED_SSE + STALLED_SOCKETS);
        long heapBefore = usedHeapAfterGc();

        int sent = 0;
        int batches = 0;
        while (jango.streams.metrics().closedCount(CloseReason.SLOW_CONSUMER) < STALLED_SSE + STALLED_SOCKETS || sent < 3_000) {
            assertThat(batches++).as("batches sent before every stalled subscriber was closed").isLessThan(200);
            StringBuilder batch = new StringBuilder("{\"commands\":[");
            for (int c = 0; c < 100; c++) {
                batch.append(c == 0 ? "" : ",").append(deposit("b" + batches + "-" + c, 1));
            }
            assertThat(jango.http.post("/v1/commands/batch", batch.append("]}").toString()).status()).isEqualTo(200);
            sent += 100;
            int expected = sent;
            // In step with the reader that keeps up, so it never falls a buffer behind.
            TestServer.await("the healthy subscriber keeps up", 10_000, () -> healthy.events("balance").size() == expected);
        }
        long heapDuring = usedHeapAfterGc();

        assertThat(healthy.ended()).isFalse();
        assertThat(healthy.data("balance")).extracting(c -> c.get("revision").asLong()).doesNotHaveDuplicates().hasSize(sent);
        TestServer.await("stalled subscribers let go of the hub", 10_000, () -> jango.streams.hub().listeners() == 1);
        // An unbounded buffer would hold every change for every stalled subscriber: sent x 250 x ~400 bytes.
        long unboundedBytes = (long) sent * (STALLED_SSE + STALLED_SOCKETS) * 400;
        assertThat(heapDuring - heapBefore).as("heap growth (unbounded buffers would be about %d MB)", unboundedBytes >> 20)
                .isLessThan(unboundedBytes / 8);
        System.out.printf("slow subscribers: %d changes sent; heap %d MB -> %d MB; closed SLOW_CONSUMER=%.0f STALLED=%.0f%n", sent,
                heapBefore >> 20, heapDuring >> 20, jango.streams.metrics().closedCount(CloseReason.SLOW_CONSUMER),
                jango.streams.metrics().closedCount(CloseReason.STALLED));
    }

    @Test
    void aSubscriberThatTakesNothingForTheStallTimeoutIsClosedEvenWithRoomInItsBuffer() throws Exception {
        start(100_000, 500);
        openStalled(10, 10, 0);
        StringBuilder batch = new StringBuilder("{\"commands\":[");
        for (int c = 0; c < 1_000; c++) {
            batch.append(c == 0 ? "" : ",").append(deposit("s" + c, 1));
        }
        assertThat(jango.http.post("/v1/commands/batch", batch.append("]}").toString()).status()).isEqualTo(200);
        TestServer.await("stalled subscribers closed", 30_000, () -> jango.streams.metrics().closedCount(CloseReason.STALLED) == 20);
        assertThat(jango.streams.metrics().closedCount(CloseReason.SLOW_CONSUMER)).isZero();
        TestServer.await("stalled subscribers let go of the hub", 10_000, () -> jango.streams.hub().listeners() == 0);
    }

    private void start(int buffer, long stallTimeoutMs) {
        // Small socket buffers so that a client that reads nothing backs up after a few dozen events, not megabytes.
        jango = StreamsFixture.start(dir, c -> c.withBuffer(buffer).withTimes(50, stallTimeoutMs, 600_000, 200),
                server -> server.childChannelOption(ChannelOption.SO_SNDBUF, 8 * 1024));
        jango.http.asset("BTC", 8);
        jango.command(deposit("seed", 1));
    }

    private void openStalled(int sse, int sockets, int alreadyListening) throws IOException {
        for (int i = 0; i < sse; i++) {
            stalled.add(stalledSse());
        }
        for (int i = 0; i < sockets; i++) {
            stalled.add(stalledSocket());
        }
        TestServer.await("every stalled subscriber listening", 10_000,
                () -> jango.streams.hub().listeners() == alreadyListening + sse + sockets);
    }

    private static String deposit(String id, int amount) {
        return "{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"hot\",\"asset\":\"BTC\",\"amount\":\"" + amount + "\"}";
    }

    /** A raw socket that asks for the stream and never reads a byte. */
    private Socket stalledSse() throws IOException {
        Socket socket = smallSocket();
        write(socket, "GET /v1/accounts/hot/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
        return socket;
    }

    /** A raw WebSocket that subscribes to the hot account and never reads a byte. */
    private Socket stalledSocket() throws IOException {
        Socket socket = smallSocket();
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        write(socket, "GET /v1/streams HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        byte[] payload = "{\"type\":\"subscribe\",\"account\":\"hot\"}".getBytes(StandardCharsets.UTF_8);
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) 0x81; // FIN, text
        frame[1] = (byte) (0x80 | payload.length); // masked, as every client frame must be
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        socket.getOutputStream().write(frame);
        socket.getOutputStream().flush();
        return socket;
    }

    private Socket smallSocket() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", jango.http.port()), 5_000);
        return socket;
    }

    private static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
