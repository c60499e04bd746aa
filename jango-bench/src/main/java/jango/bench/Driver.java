package jango.bench;

import jango.engine.Command;

import java.util.List;

/** How the bench sends commands: HTTP/JSON batches ({@link HttpDriver}) or the Java client over gRPC ({@link GrpcDriver}). */
interface Driver extends AutoCloseable {
    /** One answered command: APPLIED or not, its seq, and the balances it listed. */
    record Answer(String id, boolean applied, long seq, int balances) {
    }

    /** Sends the commands together and returns their answers in order. */
    Answer[] batch(List<Command> commands) throws Exception;

    /** Sends one command and waits for its answer. */
    Answer single(Command command) throws Exception;

    @Override
    default void close() {
    }
}
