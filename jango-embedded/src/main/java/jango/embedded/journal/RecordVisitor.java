package jango.embedded.journal;

import java.io.IOException;

/** Receives journal records in seq order during {@link Journal#replay}. */
@FunctionalInterface
public interface RecordVisitor {
    /**
     * One record holding entries {@code [firstSeq, firstSeq + count)}. The payload is
     * {@code payload[offset, offset + length)} in a buffer the journal reuses: copy what must outlive the call.
     */
    void record(long firstSeq, int count, byte[] payload, int offset, int length) throws IOException;
}
