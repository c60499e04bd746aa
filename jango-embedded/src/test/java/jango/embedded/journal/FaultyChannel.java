package jango.embedded.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A real file channel that fails the next N writes, forces, truncates or opens on request, as a sick
 * disk does. Public (and in this module's test-jar) so the server's disk-failure test breaks the
 * same way; the counters are volatile because the journal's writer thread reads what a test sets.
 */
public final class FaultyChannel extends FileChannel {
    /** Faults armed for the next calls; shared by every channel one opener hands out. */
    public static final class Faults {
        public volatile int failWrites;
        /** Writes that put half their bytes on disk, then fail. */
        public volatile int partialWrites;
        public volatile int failForces;
        public volatile int failTruncates;
        public volatile int failOpens;

        /** Every write and force fails until {@link #clear()}: a disk that is gone. */
        public void breakDisk() {
            failWrites = Integer.MAX_VALUE;
            failForces = Integer.MAX_VALUE;
        }

        public void clear() {
            failWrites = 0;
            partialWrites = 0;
            failForces = 0;
            failTruncates = 0;
            failOpens = 0;
        }

        public ChannelOpener opener() {
            return path -> {
                if (failOpens > 0) {
                    failOpens--;
                    throw new IOException("injected open failure: " + path);
                }
                return new FaultyChannel(path, this);
            };
        }

        JournalConfig config(long segmentBytes) {
            return new JournalConfig(segmentBytes, opener());
        }
    }

    private final FileChannel delegate;
    private final Faults faults;

    private FaultyChannel(Path path, Faults faults) throws IOException {
        this.delegate = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        this.faults = faults;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (faults.failWrites > 0) {
            faults.failWrites--;
            throw new IOException("injected write failure");
        }
        if (faults.partialWrites > 0) {
            faults.partialWrites--;
            ByteBuffer half = src.slice(src.position(), src.remaining() / 2);
            delegate.write(half, position);
            src.position(src.position() + src.remaining() / 2);
            throw new IOException("injected write failure after " + half.position() + " bytes");
        }
        return delegate.write(src, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (faults.failWrites > 0 || faults.partialWrites > 0) {
            throw new UnsupportedOperationException("the journal writes at explicit positions");
        }
        return delegate.write(src);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (faults.failForces > 0) {
            faults.failForces--;
            throw new IOException("injected force failure");
        }
        delegate.force(metaData);
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (faults.failTruncates > 0) {
            faults.failTruncates--;
            throw new IOException("injected truncate failure");
        }
        delegate.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
