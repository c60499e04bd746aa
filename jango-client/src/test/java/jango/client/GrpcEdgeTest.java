package jango.client;

import com.google.protobuf.UnknownFieldSet;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import jango.api.v1.Deposit;
import jango.api.v1.JangoGrpc;
import jango.api.v1.Leg;
import jango.api.v1.PlaceHold;
import jango.api.v1.Release;
import jango.api.v1.SubmitBatchRequest;
import jango.api.v1.Transfer;
import jango.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the typed client would never send, sent as raw gRPC: malformed commands (each
 * INVALID_ARGUMENT / MALFORMED naming the field, the state hash unchanged), unknown fields,
 * bytes that are not UTF-8, and the batch limits. Then many threads through the client: every
 * call answered once, in few batches, as the server's metrics show.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcEdgeTest {
    private static final Metadata.Key<String> ERROR_CODE = Metadata.Key.of("jango-error", Metadata.ASCII_STRING_MARSHALLER);
    private TestServer server;
    private ManagedChannel channel;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        server = TestServer.start(dir);
        server.asset("BTC", 8);
        server.asset("KRW", 0);
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static jango.api.v1.Command deposit(String id, String account, String amount) {
        return jango.api.v1.Command.newBuilder().setId(id)
                .setDeposit(Deposit.newBuilder().setAccount(account).setAsset("BTC").setAmount(amount)).build();
    }

    private static jango.api.v1.Command transfer(Leg.Builder... legs) {
        Transfer.Builder transfer = Transfer.newBuilder();
        for (Leg.Builder leg : legs) {
            transfer.addLegs(leg);
        }
        return jango.api.v1.Command.newBuilder().setId("m1").setTransfer(transfer).build();
    }

    private static Leg.Builder leg(String amount) {
        return Leg.newBuilder().setFrom("a").setTo("b").setAsset("BTC").setAmount(amount);
    }

    @Test
    void everyMalformedCommandIsInvalidArgumentNamingTheFieldAndChangesNothing() {
        String before = server.stateHash();
        Object[][] cases = {
                {jango.api.v1.Command.newBuilder().setId("m1").build(), "type"},
                {deposit("", "u1", "1"), "id"},
                {deposit("has space", "u1", "1"), "id"},
                {deposit("x".repeat(65), "u1", "1"), "id"},
                {deposit("m1", "", "1"), "deposit.account"},
                {deposit("m1", "u 1", "1"), "deposit.account"},
                {deposit("m1", "@@x", "1"), "deposit.account"},
                {deposit("m1", "u1", ""), "deposit.amount"},
                {deposit("m1", "u1", "1e5"), "deposit.amount"},
                {deposit("m1", "u1", "-1"), "deposit.amount"},
                {deposit("m1", "u1", "+1"), "deposit.amount"},
                {deposit("m1", "u1", "0"), "deposit.amount"},
                {deposit("m1", "u1", "0.000"), "deposit.amount"},
                {deposit("m1", "u1", ".5"), "deposit.amount"},
                {deposit("m1", "u1", " 1"), "deposit.amount"},
                {deposit("m1", "u1", "1".repeat(101)), "deposit.amount"},
                {jango.api.v1.Command.newBuilder().setId("m1").setDeposit(Deposit.newBuilder().setAccount("u1").setAsset("btc").setAmount("1")).build(),
                        "deposit.asset"},
                {jango.api.v1.Command.newBuilder().setId("m1").setHold(PlaceHold.newBuilder().setAccount("u1").setAsset("BTC").setAmount("1")).build(),
                        "hold.hold"},
                {jango.api.v1.Command.newBuilder().setId("m1").setHold(PlaceHold.newBuilder().setAccount("u1").setAsset("BTC").setAmount("1")
                        .setHold("h1").setExpiresAtMicros(-5)).build(), "hold.expires_at_micros"},
                {jango.api.v1.Command.newBuilder().setId("m1").setRelease(Release.newBuilder()).build(), "release.hold"},
                {jango.api.v1.Command.newBuilder().setId("m1").setRelease(Release.newBuilder().setHold("h1").setAmount("0")).build(), "release.amount"},
                {transfer(), "transfer.legs"},
                {transfer(leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"), leg("1"),
                        leg("1"), leg("1"), leg("1"), leg("1"), leg("1")), "transfer.legs"},
                {transfer(leg("1"), leg("1.5.1")), "transfer.legs[1].amount"},
                {transfer(leg("1").clearTo()), "transfer.legs[0].to"},
                {transfer(leg("1").setHold("")), "transfer.legs[0].hold"},
                {jango.api.v1.Command.newBuilder().setId("m1").setAdjust(jango.api.v1.Adjust.newBuilder().setAccount("u1").setAsset("BTC")
                        .setAmount("1")).build(), "adjust.reason"},
                {jango.api.v1.Command.newBuilder().setId("m1").setAdjust(jango.api.v1.Adjust.newBuilder().setAccount("u1").setAsset("BTC")
                        .setAmount("-0").setReason("r")).build(), "adjust.amount"},
                {jango.api.v1.Command.newBuilder().setId("m1").setAdjust(jango.api.v1.Adjust.newBuilder().setAccount("u1").setAsset("BTC")
                        .setAmount("1").setReason(" ")).build(), "adjust.reason"},
                {deposit("m1", "u1", "1").toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build(), "field 99"},
        };
        for (int i = 0; i < cases.length; i++) {
            Object[] bad = cases[i];
            jango.api.v1.Command command = (jango.api.v1.Command) bad[0];
            assertRefused(() -> call(JangoGrpc.getSubmitMethod(), command), Status.Code.INVALID_ARGUMENT, "MALFORMED", (String) bad[1]);
            SubmitBatchRequest batch = SubmitBatchRequest.newBuilder().addCommands(deposit("ok-" + i, "u1", "1")).addCommands(command).build();
            assertRefused(() -> call(JangoGrpc.getSubmitBatchMethod(), batch), Status.Code.INVALID_ARGUMENT, "MALFORMED",
                    "commands[1]." + bad[1]);
        }
        assertThat(server.get("/v1/commands/m1").status()).isEqualTo(404);
        assertThat(server.stateHash()).isEqualTo(before);
    }

    /** Protobuf strings are UTF-8: bytes that are not (a lone surrogate written as if it were a character) never reach the ledger. */
    @Test
    void textThatIsNotUtf8IsRefused() {
        String before = server.stateHash();
        byte[] valid = deposit("u8", "u1", "1").toByteArray();
        // The id "u8" is at offset 2 (after its tag and length): make it U+D800 written as if it were a character.
        byte[] request = new byte[valid.length + 1];
        request[0] = valid[0];
        request[1] = 3;
        request[2] = (byte) 0xED;
        request[3] = (byte) 0xA0;
        request[4] = (byte) 0x80;
        System.arraycopy(valid, 4, request, 5, valid.length - 4);
        assertRefused(() -> rawCall(JangoGrpc.getSubmitMethod().getFullMethodName(), request), Status.Code.INVALID_ARGUMENT, "MALFORMED",
                "invalid UTF-8");
        assertThat(server.stateHash()).isEqualTo(before);
        // The same bytes but valid are applied: the refusal was about the text, not the framing.
        assertThat(rawCall(JangoGrpc.getSubmitMethod().getFullMethodName(), valid)).isNotEmpty();
    }

    @Test
    void batchLimits() {
        assertRefused(() -> call(JangoGrpc.getSubmitBatchMethod(), SubmitBatchRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT,
                "MALFORMED", "commands: is empty");
        SubmitBatchRequest.Builder tooMany = SubmitBatchRequest.newBuilder();
        for (int i = 0; i <= 10_000; i++) {
            tooMany.addCommands(deposit("b" + i, "u", "1"));
        }
        assertThat(tooMany.build().getSerializedSize()).isLessThan(1 << 20);
        assertRefused(() -> call(JangoGrpc.getSubmitBatchMethod(), tooMany.build()), Status.Code.RESOURCE_EXHAUSTED, "TOO_LARGE", "10001");
        jango.api.v1.Command huge = deposit("huge", "u", "1").toBuilder().setId("x".repeat(1 << 20)).build();
        assertThatThrownBy(() -> call(JangoGrpc.getSubmitMethod(), huge)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(server.get("/v1/commands/b0").status()).isEqualTo(404);
    }

    /** 64 threads, single commands each: every call answered once, and the server saw batches, not 64 x N requests. */
    @Test
    void manyThreadsAreBatchedAndEveryCallIsAnsweredOnce() throws Exception {
        int threads = 64;
        int perThread = 100;
        try (JangoClient client = JangoClient.builder().endpoints("127.0.0.1:" + server.port()).build()) {
            List<Thread> callers = new ArrayList<>();
            List<CommandResult> results = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                int thread = t;
                callers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        results.add(client.submit(new Command.Deposit("many-" + thread + "-" + i, "many-" + thread, "KRW", BigDecimal.ONE)));
                    }
                }));
            }
            for (Thread caller : callers) {
                caller.join();
            }
            assertThat(results).hasSize(threads * perThread).allSatisfy(r -> assertThat(r.applied()).isTrue());
            assertThat(results.stream().map(CommandResult::id).distinct()).hasSize(threads * perThread);
            for (int t = 0; t < threads; t++) {
                assertThat(client.balances("many-" + t, "KRW").get(0).available()).isEqualByComparingTo(Integer.toString(perThread));
            }
            JangoClient.Stats stats = client.stats();
            assertThat(stats.commands()).isEqualTo(threads * perThread);
            assertThat(stats.batches()).isLessThan(stats.commands() / 2);
            String metrics = server.get("/metrics").body();
            double requests = metric(metrics, "jango_request_commands_count{protocol=\"grpc\"}");
            double commands = metric(metrics, "jango_request_commands_sum{protocol=\"grpc\"}");
            assertThat(commands).isGreaterThanOrEqualTo(threads * perThread);
            assertThat(commands / requests).as("commands per gRPC request").isGreaterThan(2.0);
        }
    }

    private static double metric(String scrape, String name) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in\n" + scrape);
    }

    private <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
        return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
    }

    private byte[] rawCall(String fullMethodName, byte[] request) {
        MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullMethodName).setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        return call(raw, request);
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static void assertRefused(Runnable call, Status.Code status, String code, String messagePart) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(status);
            assertThat(e.getTrailers().get(ERROR_CODE)).as(e.toString()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).as(e.toString()).contains(messagePart);
        });
    }
}
