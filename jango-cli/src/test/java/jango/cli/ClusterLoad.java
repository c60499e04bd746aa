package jango.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients of a cluster as an exchange's would be: each command is sent to some live instance and
 * retried with the same id and body (to any instance) until it gets a definite answer, through
 * kills, pauses and restarts. Records every acknowledged answer for the checks afterwards.
 */
final class ClusterLoad {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** One acknowledged command: what was sent and the answer's JSON. */
    record Ack(String id, String body, JsonNode answer) {
        boolean applied() {
            return answer.get("status").asText().equals("APPLIED");
        }
    }

    final List<String> urls = new CopyOnWriteArrayList<>();
    final Map<String, Ack> acks = new ConcurrentHashMap<>();
    final AtomicInteger retries = new AtomicInteger();
    final AtomicReference<String> lastFailure = new AtomicReference<>();
    /** Every hold the trades placed (the checks afterwards find none of them locked). */
    final List<String> holds = new CopyOnWriteArrayList<>();

    ClusterLoad(List<String> urls) {
        this.urls.addAll(urls);
    }

    static String deposit(String id, String user, long amount) {
        return "{\"id\":\"" + id + "\",\"type\":\"deposit\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"" + amount + "\"}";
    }

    static String transfer(String id, String from, String to, long amount) {
        return "{\"id\":\"" + id + "\",\"type\":\"transfer\",\"legs\":[{\"from\":\"" + from + "\",\"to\":\"" + to
                + "\",\"asset\":\"BTC\",\"amount\":\"" + amount + "\"}]}";
    }

    static String hold(String id, String user, String holdId, long amount) {
        return "{\"id\":\"" + id + "\",\"type\":\"hold\",\"account\":\"" + user + "\",\"asset\":\"BTC\",\"amount\":\"" + amount
                + "\",\"hold\":\"" + holdId + "\"}";
    }

    static String release(String id, String holdId) {
        return "{\"id\":\"" + id + "\",\"type\":\"release\",\"hold\":\"" + holdId + "\"}";
    }

    /**
     * A trade as an exchange settles it: the buyer's hold pays the seller and a fee, the seller's
     * hold pays the buyer. Buyer and seller are mostly on different shards, so both debits are.
     */
    static String trade(String id, String buyer, String bid, long pay, String seller, String ask, long give) {
        return "{\"id\":\"" + id + "\",\"type\":\"transfer\",\"legs\":["
                + "{\"from\":\"" + buyer + "\",\"to\":\"" + seller + "\",\"asset\":\"BTC\",\"amount\":\"" + pay + "\",\"hold\":\"" + bid + "\"},"
                + "{\"from\":\"" + buyer + "\",\"to\":\"@fees\",\"asset\":\"BTC\",\"amount\":\"1\",\"hold\":\"" + bid + "\"},"
                + "{\"from\":\"" + seller + "\",\"to\":\"" + buyer + "\",\"asset\":\"BTC\",\"amount\":\"" + give + "\",\"hold\":\"" + ask + "\"}]}";
    }

    /** Sends until answered 200 (APPLIED or REJECTED), or fails after {@code timeoutMs}. */
    Ack send(String id, String body, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        int attempt = 0;
        while (true) {
            List<String> live = List.copyOf(urls);
            String url = live.get(Math.floorMod(id.hashCode() + attempt, live.size()));
            attempt++;
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/commands"))
                        .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    Ack ack = new Ack(id, body, JSON.readTree(response.body()));
                    Ack earlier = acks.putIfAbsent(id, ack);
                    if (earlier != null && !earlier.answer().equals(ack.answer())) {
                        throw new AssertionError("two different answers for " + id + ": " + earlier.answer() + " and " + ack.answer());
                    }
                    return ack;
                }
                if (response.statusCode() != 503) {
                    throw new AssertionError(id + " got " + response.statusCode() + " " + response.body());
                }
                lastFailure.set(response.body());
            } catch (IOException e) {
                lastFailure.set(e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            retries.incrementAndGet();
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " got no answer within " + timeoutMs + " ms; last failure: " + lastFailure.get());
            }
            LockSupport.parkNanos(100_000_000);
        }
    }

    /**
     * {@code threads} clients, each sending {@code perThread} commands: first a deposit to each of
     * its users, then transfers between random users of all clients (mostly on other shards), and
     * one step in four a trade: two holds, the transfer that settles from both (debits on two
     * shards, mostly), and the releases of what is left.
     */
    void run(String prefix, List<String> users, int threads, int perThread, long seed) throws InterruptedException {
        List<Thread> clients = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int client = t;
            clients.add(Thread.ofPlatform().name("client-" + t).start(() -> {
                try {
                    Random random = new Random(seed + client);
                    for (int i = client; i < users.size(); i += threads) {
                        send(prefix + "-d-" + i, deposit(prefix + "-d-" + i, users.get(i), 1_000), 180_000);
                    }
                    for (int i = 0; i < perThread; i++) {
                        String id = prefix + "-t" + client + "-" + i;
                        String from = users.get(random.nextInt(users.size()));
                        String to = users.get(random.nextInt(users.size()));
                        if (from.equals(to)) {
                            send(id, deposit(id, from, 1 + random.nextInt(50)), 180_000);
                        } else if (random.nextInt(4) == 0) {
                            trade(id, from, to, random);
                        } else {
                            send(id, transfer(id, from, to, 1 + random.nextInt(400)), 180_000);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a client failed", failure.get());
        }
    }

    private void trade(String id, String buyer, String seller, Random random) {
        String bid = id + "-bid";
        String ask = id + "-ask";
        holds.add(bid);
        holds.add(ask);
        long bidAmount = 2 + random.nextInt(300);
        long askAmount = 1 + random.nextInt(300);
        send(id + "-hb", hold(id + "-hb", buyer, bid, bidAmount), 180_000);
        send(id + "-ha", hold(id + "-ha", seller, ask, askAmount), 180_000);
        // Mostly within both holds; now and then more than the ask holds, refused as a whole.
        long give = random.nextInt(8) == 0 ? askAmount + 1 : 1 + random.nextInt((int) askAmount);
        send(id, trade(id, buyer, bid, 1 + random.nextInt((int) bidAmount - 1), seller, ask, give), 180_000);
        send(id + "-rb", release(id + "-rb", bid), 180_000);
        send(id + "-ra", release(id + "-ra", ask), 180_000);
    }

    /** Each user's BTC as the acknowledged APPLIED commands add up (in minor units, scale 0 here). */
    Map<String, BigInteger> expectedBalances() {
        Map<String, BigInteger> expected = new ConcurrentHashMap<>();
        for (Ack ack : acks.values()) {
            if (!ack.applied()) {
                continue;
            }
            JsonNode sent = read(ack.body());
            String type = sent.get("type").asText();
            if (type.equals("hold") || type.equals("release")) {
                continue; // available <-> held: the total stays
            }
            if (type.equals("deposit")) {
                expected.merge(sent.get("account").asText(), new BigInteger(sent.get("amount").asText()), BigInteger::add);
            } else {
                for (JsonNode leg : sent.get("legs")) {
                    BigInteger amount = new BigInteger(leg.get("amount").asText());
                    expected.merge(leg.get("from").asText(), amount.negate(), BigInteger::add);
                    expected.merge(leg.get("to").asText(), amount, BigInteger::add);
                }
            }
        }
        return expected;
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }

    static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static HttpResponse<String> post(String url, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("POST " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs {@code load} on its own thread so a test can break things meanwhile. */
    static Thread background(String name, ThrowingRunnable load, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                load.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
