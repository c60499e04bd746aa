package jango.streams;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.Server;
import jango.streams.webhook.Signature;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A webhook receiver on a real port: it checks each signature and answers as its behaviour says. */
final class TestReceiver implements AutoCloseable {
    enum Answer { OK, FAIL, HANG }

    /** How to answer the n-th attempt (1-based) at an event. */
    @FunctionalInterface
    interface Behaviour {
        Answer answer(String eventId, int attempt);
    }

    record Received(String eventId, int attempt, boolean signatureOk, String body, Answer answer) {
    }

    private final String secret;
    private final Server server;
    private final List<Received> received = new ArrayList<>();
    private final Map<String, Integer> attempts = new HashMap<>();
    volatile Behaviour behaviour;

    TestReceiver(String secret, Behaviour behaviour) {
        this.secret = secret;
        this.behaviour = behaviour;
        this.server = Server.builder().http(0).requestTimeout(Duration.ZERO)
                .service("/hook", (ctx, req) -> HttpResponse.of(req.aggregate().thenCompose(this::answer)))
                .build();
        server.start().join();
    }

    private CompletableFuture<HttpResponse> answer(AggregatedHttpRequest request) {
        String eventId = request.headers().get("jango-event-id");
        String timestamp = request.headers().get("jango-timestamp");
        byte[] body = request.content().array();
        boolean signed = timestamp != null && Signature.verify(secret, Long.parseLong(timestamp), body, request.headers().get("jango-signature"));
        Answer answer;
        synchronized (this) {
            int attempt = attempts.merge(eventId, 1, Integer::sum);
            answer = behaviour.answer(eventId, attempt);
            received.add(new Received(eventId, attempt, signed, new String(body, StandardCharsets.UTF_8), answer));
        }
        return switch (answer) {
            case OK -> CompletableFuture.completedFuture(HttpResponse.of(HttpStatus.NO_CONTENT));
            case FAIL -> CompletableFuture.completedFuture(HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR));
            case HANG -> new CompletableFuture<>(); // never answers; the sender's timeout ends it
        };
    }

    String url() {
        return "http://127.0.0.1:" + server.activeLocalPort() + "/hook";
    }

    synchronized List<Received> received() {
        return new ArrayList<>(received);
    }

    /** Event ids answered with a 2xx. */
    synchronized java.util.Set<String> delivered() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Received r : received) {
            if (r.answer() == Answer.OK) {
                ids.add(r.eventId());
            }
        }
        return ids;
    }

    @Override
    public void close() {
        server.stop().join();
    }
}
