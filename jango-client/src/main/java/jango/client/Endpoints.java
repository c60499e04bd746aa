package jango.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One gRPC channel per server instance; calls go to the current one, and a failure that says the
 * instance cannot serve moves every caller on to the next (failover, round robin).
 */
final class Endpoints implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** Answers to a batch of 10,000 commands with their balances run to a few MiB. */
    private static final int MAX_INBOUND_BYTES = 64 << 20;

    private final List<String> addresses;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger current = new AtomicInteger();

    Endpoints(List<String> addresses, ChannelCredentials credentials, String apiKey) {
        this.addresses = List.copyOf(addresses);
        for (String address : addresses) {
            int colon = address.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("endpoint: " + address + " (expected: host:port)");
            }
            String host = address.substring(0, colon);
            int port = Integer.parseInt(address.substring(colon + 1));
            var builder = Grpc.newChannelBuilderForAddress(host, port, credentials).maxInboundMessageSize(MAX_INBOUND_BYTES);
            if (apiKey != null) {
                builder.intercept(bearer(apiKey));
            }
            channels.add(builder.build());
        }
    }

    /** The endpoint calls go to now. */
    int current() {
        return current.get();
    }

    Channel channel(int endpoint) {
        return channels.get(endpoint);
    }

    String address(int endpoint) {
        return addresses.get(endpoint);
    }

    /** Moves on from {@code failed} unless another caller already did; true when this call moved it. */
    boolean failOver(int failed) {
        return channels.size() > 1 && current.compareAndSet(failed, (failed + 1) % channels.size());
    }

    private static ClientInterceptor bearer(String apiKey) {
        String value = "Bearer " + apiKey;
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(AUTHORIZATION, value);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdown);
        for (ManagedChannel channel : channels) {
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
