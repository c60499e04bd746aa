package jango.kafka;

import jango.engine.Applied;
import jango.engine.Command;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.port.ShardStore;
import jango.writer.CommandLog;
import jango.writer.LogBatch;
import jango.writer.ShardStoreState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;

/**
 * Distributed mode's log for one shard: the records of its partition of the commands topic, which
 * the broker already made durable. The driver polls the consumer and {@link #offer}s each
 * partition's records here; {@link #next} hands them over in offset order, never with a gap (a gap
 * or an unreadable record halts the shard), after fetching what the batch's ids already have in
 * the store. Answers go out through the outbox, in the same transaction as the state: one event
 * record per batch for the callers waiting on each other instance (callers on this one are answered
 * in memory after the commit),
 * and the records of the protocol by which a transfer between shards reserves, then
 * takes (docs/distributed.md), for the logs of the other shards.
 * Ticks (hold expiries) are records too, produced to the partition, so the log alone rebuilds the
 * shard.
 */
final class PartitionLog implements CommandLog {
    /** Most entries one batch applies (one PostgreSQL transaction), give or take the last record's pack. */
    private static final int MAX_BATCH = 10_000;
    private static final long TICK_AGAIN_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);
    private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(2);
    private static final String NOT_THIS_LOG = "this is not the log the state was built from (the topic was deleted"
            + " and made again, or the bootstrap names another cluster); nothing is applied until an operator restores"
            + " the topic or points the service at the right cluster";

    private final int shard;
    private final TopicPartition partition;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final String commandsTopic;
    private final ShardStoreState state;
    private final OutboxRelay relay;
    private final LongSupplier nanoClock;

    private final ArrayDeque<ConsumerRecord<String, byte[]>> records = new ArrayDeque<>();
    private long nextOffset = -1;
    /** Whether the partition was seen to hold {@link #nextOffset} since the last rewind ({@link #checkHolds}). */
    private boolean positionChecked;
    /** The last check could not read the partition's offsets (logged once until it can). */
    private boolean offsetsUnknown;
    private long takenUpTo;
    private int taken;
    private String[] replyTo = new String[64];
    private long[] correlation = new long[64];
    private final TransferCallers callers = new TransferCallers();
    /** This instance's id, and where its own callers' answers go once their batch is committed. */
    private final String instanceId;
    private final ObjLongConsumer<Outcome> localAnswers;
    /** The answers of this batch for callers waiting on this instance (until the commit). */
    private final List<LocalAnswer> localOutcomes = new ArrayList<>();
    /** The answers of this batch for callers waiting on other instances, by instance (until {@link #batchApplied}). */
    private final Map<String, Wire.EventPack> remoteAnswers = new LinkedHashMap<>();
    /** The records of the protocol between shards this batch sends, by destination shard (until {@link #batchApplied}). */
    private final Map<Integer, Wire.Pack> protocolSends = new LinkedHashMap<>();
    /** The time of the last entry of the batch that sent a protocol record. */
    private long protocolSendsAt;
    private long tickProducedNanos;
    private volatile boolean loaded;

    /**
     * @param localAnswers gets, once their batch is committed, the answers for callers that wait on
     *                     this instance ({@code instanceId}): in memory, without the round trip through
     *                     the outbox, the relay and the events topic, where they are not published
     */
    PartitionLog(int shard, TopicPartition partition, KafkaConsumer<String, byte[]> consumer,
                 KafkaProducer<String, byte[]> producer, String commandsTopic, ShardStoreState state, OutboxRelay relay,
                 LongSupplier nanoClock, String instanceId, ObjLongConsumer<Outcome> localAnswers) {
        this.instanceId = instanceId;
        this.localAnswers = localAnswers;
        this.shard = shard;
        this.partition = partition;
        this.consumer = consumer;
        this.producer = producer;
        this.commandsTopic = commandsTopic;
        this.state = state;
        this.relay = relay;
        this.nanoClock = nanoClock;
    }

    /** Records the driver polled for this partition (only once the shard is loaded and reading). */
    void offer(List<ConsumerRecord<String, byte[]>> polled) {
        if (loaded) {
            records.addAll(polled);
        }
    }

    int buffered() {
        return records.size();
    }

    boolean loaded() {
        return loaded;
    }

    @Override
    public void next(LogBatch batch, long timeoutMs) throws IOException {
        batch.clear();
        localOutcomes.clear();
        remoteAnswers.clear();
        protocolSends.clear();
        taken = 0;
        if (!positionChecked) {
            positionChecked = checkHolds(nextOffset);
            if (!positionChecked) {
                return; // the broker did not answer: nothing is handed over until it does
            }
        }
        Set<String> commandIds = new LinkedHashSet<>();
        Set<String> holdIds = new LinkedHashSet<>();
        long offset = nextOffset;
        for (ConsumerRecord<String, byte[]> record : records) {
            if (batch.size() >= MAX_BATCH) {
                break; // a record is taken whole (a pack may go past the bound): the position stays an offset
            }
            taken++;
            if (record.offset() < offset) {
                // A seek discards what was fetched before it, so this comes only from the consumer
                // resetting itself to the partition's start: the partition no longer has the offset
                // the store reached (the topic was deleted and made again while the shard ran).
                throw new Corrupt("the commands topic's partition " + partition + " went back to offset " + record.offset()
                        + " but the store has applied it up to " + offset + ": " + NOT_THIS_LOG);
            }
            if (record.offset() > offset) {
                throw new Corrupt("log gap on shard " + shard + ": expected offset " + offset + ", got " + record.offset());
            }
            List<Wire.CommandRecord> entries;
            try {
                entries = Wire.readCommands(record.value(), record.timestamp());
            } catch (RuntimeException e) {
                throw new Corrupt("unreadable record at offset " + record.offset() + " of shard " + shard + ": " + e.getMessage());
            }
            for (Wire.CommandRecord read : entries) {
                add(batch, read);
                namedIds(read.command(), commandIds, holdIds);
            }
            offset = record.offset() + 1;
        }
        if (batch.isEmpty()) {
            dropTaken();
            return;
        }
        state.archive().prefetch(commandIds, holdIds);
        batch.endPosition(offset);
        takenUpTo = offset;
    }

    private void add(LogBatch batch, Wire.CommandRecord read) {
        int i = batch.size();
        if (i == replyTo.length) {
            replyTo = Arrays.copyOf(replyTo, i * 2);
            correlation = Arrays.copyOf(correlation, i * 2);
        }
        replyTo[i] = read.replyTo();
        correlation[i] = read.correlation();
        batch.add(read.command(), read.atMicros(), read.value(), read.offset(), read.length());
    }

    /** The command ids and hold ids an entry names: what the store is asked about before its batch (the audit asks the same). */
    static void namedIds(Command command, Set<String> commandIds, Set<String> holdIds) {
        if (command.id() != null) {
            commandIds.add(command.id());
        }
        switch (command) {
            case Command.PlaceHold h -> holdIds.add(h.holdId());
            case Command.Release r -> holdIds.add(r.holdId());
            case Command.Transfer t -> legHolds(t.legs(), holdIds);
            case Command.Prepare p -> {
                // A tombstone of this attempt's abort refuses the prepare; its legs may name holds of any shard.
                commandIds.add(Names.protocolId(p.transferId(), p.attempt(), Names.ABORT, p.shard()));
                legHolds(p.legs(), holdIds);
            }
            // A vote for an attempt that ended is answered from the transfer's result; a Done may end it.
            case Command.Vote v -> commandIds.add(v.transferId());
            case Command.Done d -> commandIds.add(d.transferId());
            default -> {
            }
        }
    }

    private static void legHolds(List<Leg> legs, Set<String> holdIds) {
        for (Leg leg : legs) {
            if (leg.holdId() != null) {
                holdIds.add(leg.holdId());
            }
        }
    }

    @Override
    public void applied(LogBatch batch, int index, Applied applied) {
        Outcome.Kind kind = applied.kind();
        if (kind == Outcome.Kind.TICK) {
            tickProducedNanos = 0;
        }
        if (!replyTo[index].isEmpty()) {
            answerCaller(applied, kind, replyTo[index], correlation[index]);
        }
        // A transfer between shards: the records this entry sends go out with the batch's commit, in order per shard.
        for (int i = 0; i < applied.sendCount(); i++) {
            Applied.Send send = applied.send(i);
            Wire.Pack pack = protocolSends.get(send.shard());
            if (pack != null && pack.full()) {
                publish(send.shard(), pack);
                pack = null;
            }
            if (pack == null) {
                pack = new Wire.Pack("", applied.atMicros());
                protocolSends.put(send.shard(), pack);
            }
            pack.add(0, send.command());
            protocolSendsAt = applied.atMicros();
        }
        for (int i = 0; i < applied.finishedCount(); i++) {
            Applied.Finished finished = applied.finished(i);
            for (TransferCallers.Answer answer : callers.finished(finished.transferId(), finished.outcome())) {
                routeAnswer(answer.replyTo(), answer.correlation(), answer.outcome());
            }
        }
    }

    /**
     * A caller's answer, with the entry's commit. A transfer between shards answers later, when it
     * ended on every shard: its caller waits (and a retry of it joins), at most
     * {@link TransferCallers#MAX_CALLERS} per transfer.
     */
    private void answerCaller(Applied applied, Outcome.Kind kind, String replyTo, long correlation) {
        Outcome outcome = switch (kind) {
            case PENDING, JOINED -> callers.wait(applied.commandId(), replyTo, correlation, kind == Outcome.Kind.JOINED);
            default -> applied.outcome();
        };
        if (outcome != null) {
            routeAnswer(replyTo, correlation, outcome);
        }
    }

    /**
     * A caller on this instance is answered in memory once the batch is committed, and on no topic:
     * it waits in this process, so an answer published for it could only ever reach it here too,
     * and if the process dies before the commit's answer is handed over, the caller's connection
     * dies with it (its retry with the same id is answered from the stored result). If the commit
     * fails instead (the shard moved), the entries are applied again by whichever instance owns the
     * shard then, which publishes the answer for this instance on the events topic: the outbox row,
     * the relay's read and delete, a record on the broker and every instance's read of it are spent
     * only on callers elsewhere.
     */
    private void routeAnswer(String replyTo, long correlation, Outcome outcome) {
        if (replyTo.equals(instanceId)) {
            localOutcomes.add(new LocalAnswer(outcome, correlation));
            return;
        }
        Wire.EventPack pack = remoteAnswers.computeIfAbsent(replyTo, Wire.EventPack::new);
        pack.add(correlation, outcome);
        if (pack.full()) {
            publish(pack);
            remoteAnswers.remove(replyTo);
        }
    }

    /**
     * What the batch sends goes out with its commit, one outbox row (one record) per destination:
     * the answers for each other instance's callers, and the protocol's records for each other
     * shard, stamped with the time of the last entry that sent one (a record is never stamped
     * before what sent it; the receiving shard applies it at that time or its own last, whichever
     * is later).
     */
    @Override
    public void batchApplied(LogBatch batch) {
        remoteAnswers.values().forEach(this::publish);
        remoteAnswers.clear();
        for (Map.Entry<Integer, Wire.Pack> sends : protocolSends.entrySet()) {
            publish(sends.getKey(), sends.getValue());
        }
        protocolSends.clear();
    }

    private void publish(Wire.EventPack pack) {
        state.publish(new ShardStore.OutboxMessage(0, shard, "events", -1, pack.replyTo(), pack.toByteArray()));
    }

    private void publish(int toShard, Wire.Pack pack) {
        pack.stamp(protocolSendsAt);
        state.publish(new ShardStore.OutboxMessage(0, shard, "commands", toShard, "", pack.toByteArray()));
    }

    private record LocalAnswer(Outcome outcome, long correlation) {
    }

    @Override
    public void answer(LogBatch batch) {
        nextOffset = takenUpTo;
        dropTaken();
        callers.committed();
        relay.wake(shard);
        answerLocalCallers();
    }

    private void answerLocalCallers() {
        for (LocalAnswer local : localOutcomes) {
            localAnswers.accept(local.outcome(), local.correlation());
        }
        localOutcomes.clear();
    }

    private void dropTaken() {
        for (int i = 0; i < taken; i++) {
            records.pollFirst();
        }
        taken = 0;
    }

    /** One tick record at a time: another only once it was applied, or after a while (it may have been lost). */
    @Override
    public void tick(long atMicros) {
        long now = nanoClock.getAsLong();
        if (tickProducedNanos != 0 && now - tickProducedNanos < TICK_AGAIN_NANOS) {
            return;
        }
        tickProducedNanos = now;
        try {
            producer.send(new ProducerRecord<>(commandsTopic, shard, "", Wire.command("", 0, atMicros, new Command.Tick())));
        } catch (KafkaException e) {
            tickProducedNanos = 0; // the next turn asks again
        }
    }

    /** The state was (re)loaded at {@code position}: read on from there. */
    @Override
    public void rewind(long position) {
        positionChecked = false; // checked before the first batch from here (next): this thread turns every shard, and must not wait on the broker here
        records.clear();
        if (position >= takenUpTo) {
            // The store holds the whole batch: its commit went through though the driver reported a
            // failure (the connection broke as it committed). The entries do not come again, and their
            // answers are in no outbox: hand them over now. (Had another owner applied them meanwhile,
            // from the same state and log, its answers would be these same ones.)
            answerLocalCallers();
        }
        localOutcomes.clear(); // not committed: the entries come again and answer again
        remoteAnswers.clear();
        protocolSends.clear();
        taken = 0;
        callers.uncommitted(); // the entries after the position come again, and wait again
        nextOffset = position;
        consumer.seek(partition, position);
        consumer.resume(List.of(partition));
        loaded = true;
    }

    /**
     * The partition must still have {@code position}, where the store's state ends: a topic deleted
     * and made again, another cluster, or an unclean leader election with one replica gives a
     * partition that ends before it, and the consumer would quietly start again from offset 0 (its
     * reset policy), passing over every new command below the stored offset. Records deleted before
     * it (retention) were never applied. Either way the log cannot rebuild this state: halt.
     *
     * @return false when the broker did not tell (asked again on the next turn; not a failure that
     *         counts toward a halt, since nothing can be read from it meanwhile either)
     */
    private boolean checkHolds(long position) {
        List<TopicPartition> one = List.of(partition);
        long begin;
        long end;
        try {
            begin = consumer.beginningOffsets(one, OFFSETS_TIMEOUT).getOrDefault(partition, 0L);
            end = consumer.endOffsets(one, OFFSETS_TIMEOUT).getOrDefault(partition, 0L);
        } catch (KafkaException e) {
            // A timeout, or the wakeup of a stop (then the driver ends its loop): never a halt, which
            // would be recorded in the store and outlive this run.
            if (!offsetsUnknown) {
                log.warn("event=partition_offsets_unknown shard={} partition={} error=\"{}\"", shard, partition, e.toString());
            }
            offsetsUnknown = true;
            return false;
        }
        offsetsUnknown = false;
        if (position > end) {
            throw new Corrupt("the commands topic's partition " + partition + " ends at offset " + end
                    + " but the store has applied it up to offset " + position + ": " + NOT_THIS_LOG);
        }
        if (position < begin) {
            throw new Corrupt("the commands topic's partition " + partition + " starts at offset " + begin
                    + " but the store has applied it only up to offset " + position
                    + ": the records in between were deleted before they were applied (check the topic's retention)");
        }
        return true;
    }

    @Override
    public void halted(String reason) {
        consumer.pause(List.of(partition));
        records.clear();
        localOutcomes.clear();
        remoteAnswers.clear();
        protocolSends.clear();
        taken = 0;
        loaded = false;
    }

    @Override
    public boolean hasWaitingWork() {
        return !records.isEmpty();
    }
}
