package jango.embedded;

import jango.engine.Engine;
import jango.engine.SnapshotCodec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot files {@code snapshot-<seq>.bin}: the engine state after log entry {@code seq}, followed
 * by a CRC32C of everything before it. Written to a temporary file, forced, renamed, and the
 * directory forced, so a crash leaves either the old set or the new one. Snapshots bound recovery
 * time; the journal is kept whole, so a bad snapshot only costs a longer replay.
 */
final class Snapshots {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);
    private static final int KEEP = 2;

    private final Path dir;

    Snapshots(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /**
     * Deletes what a crash left of snapshots being written ({@code snapshot-<seq>-<thread>.tmp}, never renamed,
     * so never read). Only the ledger that holds the journal's lock may call it: a temporary file
     * may be a running ledger's snapshot in progress.
     */
    void removeUnfinished() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().startsWith("snapshot-")
                    && p.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(file);
                log.info("event=snapshot_unfinished_removed file={}", file.getFileName());
            }
        }
    }

    /** Snapshot seqs present, newest first. */
    List<Long> seqs() throws IOException {
        List<Long> seqs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("snapshot-") && n.endsWith(".bin"))
                    .forEach(n -> seqs.add(Long.parseLong(n.substring(9, n.length() - 4))));
        }
        seqs.sort(Comparator.reverseOrder());
        return seqs;
    }

    /** The engine from snapshot {@code seq}, checked against its CRC, storing into {@code archive}. */
    Engine load(long seq, jango.engine.Archive archive) throws IOException {
        return load(seq, () -> archive);
    }

    /** As {@link #load(long, jango.engine.Archive)}, the archive asked for once the state is read. */
    Engine load(long seq, java.util.function.Supplier<? extends jango.engine.Archive> archive) throws IOException {
        Path file = file(seq);
        long size = Files.size(file);
        if (size < 8) {
            throw new IOException(file + ": too short to be a snapshot");
        }
        // The checksum first, then the decoding: a count damaged on disk would otherwise size an
        // array of billions (an OutOfMemoryError, which no caller expects), not fail as a bad
        // snapshot that recovery passes over. A second read of a file the first one cached.
        checkCrc(file, size);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            InputStream body = new BoundedInputStream(raw, size - 8);
            Engine engine = SnapshotCodec.read(body, archive, jango.engine.ShardMap.SINGLE);
            if (body.read() != -1) {
                throw new IOException(file + ": bytes after the snapshot body");
            }
            if (engine.lastSeq() != seq) {
                throw new IOException(file + ": holds seq " + engine.lastSeq() + ", name says " + seq);
            }
            return engine;
        }
    }

    private static void checkCrc(Path file, long size) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long left = size - 8;
            while (left > 0) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), left));
                int read = channel.read(buffer);
                if (read < 0) {
                    throw new IOException(file + ": ended before its size");
                }
                left -= read;
                crc.update(buffer.flip());
            }
            ByteBuffer stored = ByteBuffer.allocate(8);
            while (stored.hasRemaining()) {
                if (channel.read(stored) < 0) {
                    throw new IOException(file + ": ended before its checksum");
                }
            }
            long expected = stored.getLong(0);
            if (expected != crc.getValue()) {
                throw new IOException(file + ": CRC32C mismatch (stored " + expected + ", computed " + crc.getValue() + ")");
            }
        }
    }

    void write(Engine engine) throws IOException {
        long seq = engine.lastSeq();
        // Named per writer: the snapshotter and a closing ledger may write the same seq at once.
        // Removed when the write fails: a disk that keeps failing would otherwise collect one
        // filter-sized file per interval and take the space the journal needs.
        Path tmp = dir.resolve("snapshot-" + seq + "-" + Thread.currentThread().threadId() + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                CRC32C crc = new CRC32C();
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                SnapshotCodec.write(engine, new CheckedOutputStream(nonClosing(out), crc));
                new DataOutputStream(out).writeLong(crc.getValue());
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, file(seq), StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    log.warn("event=snapshot_tmp_not_removed file={} error=\"{}\"", tmp.getFileName(), e.toString());
                }
            }
        }
        Fsync.directory(dir);
        List<Long> seqs = seqs();
        for (int i = KEEP; i < seqs.size(); i++) {
            Files.deleteIfExists(file(seqs.get(i)));
        }
        log.info("event=snapshot_written seq={} file={}", seq, file(seq).getFileName());
    }

    private Path file(long seq) {
        return dir.resolve(String.format("snapshot-%020d.bin", seq));
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    /** Reads at most {@code limit} bytes, so the trailing CRC stays unread by the codec. */
    private static final class BoundedInputStream extends java.io.FilterInputStream {
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // the outer stream is closed by its owner
        }
    }
}
