package jango.bench.jmh;

import jango.embedded.journal.Journal;
import jango.embedded.journal.JournalConfig;
import jango.engine.ByteWriter;
import jango.engine.CommandCodec;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The journal alone: {@link Journal#append} of one record of {@code entriesPerRecord} encoded transfers
 * (about 100 bytes each), which is one write and one {@code fdatasync}, as the writer thread does once
 * per batch. The journal lives in a fresh directory under {@code java.io.tmpdir} for each iteration and
 * is deleted after it; to measure another disk, pass {@code -jvmArgsAppend -Djava.io.tmpdir=/that/disk}.
 *
 * <p>Scores: the primary score counts records per second, which is forces ({@code fdatasync}) per
 * second; the secondary {@code entries} counter counts log entries (commands) per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class JournalBench {
    private static final long SEED = 20261126L;
    private static final int USERS = 10_000;

    @Param({"1", "10", "100", "1000", "10000"})
    public int entriesPerRecord;

    /** A batch as the sequencer encodes it: {@code [atMicros][count][commands...]}. */
    private byte[] payload;
    private int payloadBytes;
    private Path directory;
    private Journal journal;
    private long nextSeq;
    private long atMicros;

    /** Entries per second, reported next to the primary (records, that is forces, per second) score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long entries;

        @Setup(Level.Iteration)
        public void reset() {
            entries = 0;
        }
    }

    @Setup(Level.Trial)
    public void encodeBatch() {
        Workload workload = new Workload(SEED, USERS);
        ByteWriter out = new ByteWriter(64 + 128 * entriesPerRecord);
        // The layout of jango.embedded.BatchCodec (package-private there): the journal only frames and checksums it.
        out.writeLong(0);
        out.writeInt(entriesPerRecord);
        for (int i = 0; i < entriesPerRecord; i++) {
            CommandCodec.encode(workload.nextTransfer(), out);
        }
        payload = out.toByteArray();
        payloadBytes = out.size();
        if (payloadBytes > Journal.MAX_PAYLOAD_BYTES) {
            throw new IllegalStateException("a record of " + entriesPerRecord + " entries is " + payloadBytes
                    + " bytes, more than " + Journal.MAX_PAYLOAD_BYTES);
        }
    }

    @Setup(Level.Iteration)
    public void openJournal() throws IOException {
        directory = Files.createTempDirectory("jango-jmh-journal");
        journal = Journal.open(directory, JournalConfig.defaults());
        nextSeq = journal.nextSeq();
    }

    @Benchmark
    public long append(Counters counters) throws IOException {
        stampTime(++atMicros);
        journal.append(nextSeq, entriesPerRecord, payload, 0, payloadBytes);
        nextSeq += entriesPerRecord;
        counters.entries += entriesPerRecord;
        return nextSeq;
    }

    /** Each record gets its own timestamp, as each batch does, so no two records are alike. */
    private void stampTime(long micros) {
        for (int i = 0; i < Long.BYTES; i++) {
            payload[i] = (byte) (micros >>> (56 - 8 * i));
        }
    }

    @TearDown(Level.Iteration)
    public void deleteJournal() throws IOException {
        journal.close();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(JournalBench::delete);
        }
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + path, e);
        }
    }
}
