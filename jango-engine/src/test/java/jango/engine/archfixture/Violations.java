package jango.engine.archfixture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test-only classes inside {@code jango.engine..} that each break exactly one engine architecture
 * rule (and {@link Allowed}, which breaks none), so EngineArchitectureTest can show that every
 * rule fails when it should. Nothing uses them; they are never on the main classpath.
 */
@SuppressWarnings("unused")
public final class Violations {
    private Violations() {
    }

    public static final class UsesFile {
        Object file() {
            return new java.io.File("journal");
        }
    }

    public static final class UsesFileInputStream {
        Object stream() throws IOException {
            return new java.io.FileInputStream("journal");
        }
    }

    public static final class UsesRandomAccessFile {
        Object file() throws IOException {
            return new java.io.RandomAccessFile("journal", "r");
        }
    }

    public static final class UsesPath {
        Object path() {
            return java.nio.file.Path.of("journal");
        }
    }

    public static final class UsesChannel {
        Object channel() throws IOException {
            return java.nio.channels.Pipe.open();
        }
    }

    public static final class UsesSocket {
        Object socket() {
            return new java.net.Socket();
        }
    }

    public static final class UsesThread {
        void work() {
            Thread.yield();
        }
    }

    public static final class UsesExecutor {
        Object executor() {
            return java.util.concurrent.Executors.newSingleThreadExecutor();
        }
    }

    public static final class UsesLock {
        Object lock() {
            return new java.util.concurrent.locks.ReentrantLock();
        }
    }

    public static final class UsesClock {
        Object clock() {
            return java.time.Clock.systemUTC();
        }
    }

    public static final class CallsCurrentTimeMillis {
        long now() {
            return System.currentTimeMillis();
        }
    }

    public static final class CallsNanoTime {
        long now() {
            return System.nanoTime();
        }
    }

    public static final class CallsInstantNow {
        Object now() {
            return java.time.Instant.now();
        }
    }

    public static final class CallsLocalDateTimeNow {
        Object now() {
            return java.time.LocalDateTime.now();
        }
    }

    public static final class UsesRandom {
        int roll(java.util.Random random) {
            return random.nextInt(6);
        }
    }

    public static final class HasDoubleField {
        double priceUsd;
    }

    public static final class HasBoxedFloatField {
        Float rate;
    }

    public static final class TakesFloat {
        long toMinor(float amount) {
            return 0;
        }
    }

    public static final class ReturnsDoubleArray {
        double[] amounts() {
            return new double[0];
        }
    }

    public static final class ConstructorTakesDouble {
        ConstructorTakesDouble(Double amount) {
        }
    }

    public static final class UsesAFramework {
        Object framework() {
            return org.assertj.core.api.Assertions.class;
        }
    }

    public static final class UsesAgronaBeyondItsCollections {
        Object buffer() {
            return org.agrona.DirectBuffer.class;
        }
    }

    /** What the engine may use: concurrent maps, Agrona's primitive maps, futures, streams it is given, message digests. */
    public static final class Allowed {
        final ConcurrentHashMap<String, Long> results = new ConcurrentHashMap<>();
        final org.agrona.collections.Object2IntHashMap<String> slots = new org.agrona.collections.Object2IntHashMap<>(-1);

        CompletableFuture<Long> submit() {
            return CompletableFuture.completedFuture(1L);
        }

        void write(OutputStream out) throws IOException {
            out.write(new ByteArrayOutputStream().toByteArray());
        }

        byte[] hash() throws NoSuchAlgorithmException {
            return MessageDigest.getInstance("SHA-256").digest();
        }

        long ratio(long a, int b) {
            return a / b;
        }
    }
}
