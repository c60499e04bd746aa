package jango.kafka;

import jango.engine.Applied;
import jango.engine.Command;
import jango.engine.Leg;
import jango.engine.Names;
import jango.engine.Outcome;
import jango.engine.Status;
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

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Distributed mode's log for one shard: the records of its partition of the commands topic, which
 * the broker already made durable. The driver polls the consumer and {@link #offer}s each
 * partition's records here; {@link #next} hands them over in offset order, never with a gap (a gap
 * or an unreadable record halts the shard), after fetching what the batch's ids already have in
 * the store. Answers go out through the outbox, in the same transaction as the state: an event for
 * whoever waits, and the credits a transfer sends to other shards through {@code @clearing}.
 * Ticks (hold expiries) are records too, produced to the partition, so the log alone rebuilds the
 * shard.
 */
final class PartitionLog implements CommandLog {
    /** Most records one batch applies (one PostgreSQL transaction). */
    private static final int MAX_BATCH = 10_000;
    private static final long TICK_AGAIN_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final int shard;
    private final TopicPartition partition;
    private final Shards shards;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final String commandsTopic;
    private final ShardStoreState state;
    private final OutboxRelay relay;
    private final LongSupplier nanoClock;

    private final ArrayDeque<ConsumerRecord<String, byte[]>> records = new ArrayDeque<>();
    private long nextOffset = -1;
    private long takenUpTo;
    private int taken;
    private String[] replyTo = new String[64];
    private long[] correlation = new long[64];
    /** The transfer as sent, where the engine applies one with remote credits redirected to {@code @clearing}. */
    private Command.Transfer[] crossShard = new Command.Transfer[64];
    private long tickProducedNanos;
    private volatile boolean loaded;

    PartitionLog(int shard, TopicPartition partition, Shards shards, KafkaConsumer<String, byte[]> consumer,
                 KafkaProducer<String, byte[]> producer, String commandsTopic, ShardStoreState state, OutboxRelay relay,
                 LongSupplier nanoClock) {
        this.shard = shard;
        this.partition = partition;
        this.shards = shards;
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
        taken = 0;
        Set<String> commandIds = new LinkedHashSet<>();
        Set<String> holdIds = new LinkedHashSet<>();
        long offset = nextOffset;
        for (ConsumerRecord<String, byte[]> record : records) {
            if (batch.size() == MAX_BATCH) {
                break;
            }
            taken++;
            if (record.offset() < offset) {
                continue; // read again after a seek: applied and committed already
            }
            if (record.offset() > offset) {
                throw new Corrupt("log gap on shard " + shard + ": expected offset " + offset + ", got " + record.offset());
            }
            Wire.CommandRecord read;
            try {
                read = Wire.readCommand(record.value(), record.timestamp());
            } catch (RuntimeException e) {
                throw new Corrupt("unreadable record at offset " + record.offset() + " of shard " + shard + ": " + e.getMessage());
            }
            add(batch, read);
            namedIds(read.command(), commandIds, holdIds);
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
            crossShard = Arrays.copyOf(crossShard, i * 2);
        }
        replyTo[i] = read.replyTo();
        correlation[i] = read.correlation();
        Command command = read.command();
        crossShard[i] = null;
        if (command instanceof Command.Transfer transfer) {
            Command.Transfer local = shards.withRemoteCreditsToClearing(transfer, shard);
            if (local != transfer) {
                crossShard[i] = transfer;
                command = local;
            }
        }
        // The fingerprint is the command as sent, whatever the shard applies for it.
        batch.add(command, read.atMicros(), read.value(), read.offset(), read.length());
    }

    /** The command ids and hold ids an entry names: what the store is asked about before its batch (the audit asks the same). */
    static void namedIds(Command command, Set<String> commandIds, Set<String> holdIds) {
        if (command.id() != null) {
            commandIds.add(command.id());
        }
        switch (command) {
            case Command.PlaceHold h -> holdIds.add(h.holdId());
            case Command.Release r -> holdIds.add(r.holdId());
            case Command.Transfer t -> t.legs().forEach(leg -> {
                if (leg.holdId() != null) {
                    holdIds.add(leg.holdId());
                }
            });
            default -> {
            }
        }
    }

    @Override
    public void applied(LogBatch batch, int index, Applied applied) {
        if (applied.kind() == Outcome.Kind.TICK) {
            tickProducedNanos = 0;
        }
        if (!replyTo[index].isEmpty()) {
            state.publish(new ShardStore.OutboxMessage(0, shard, "events", -1, applied.commandId(),
                    Wire.event(replyTo[index], correlation[index], applied.outcome())));
        }
        Command.Transfer sent = crossShard[index];
        if (sent != null && applied.kind() == Outcome.Kind.NEW && applied.status() == Status.APPLIED) {
            // Step one of a transfer between shards is done here: each remote credit leaves as its own
            // command (an id no client can use), applied exactly once by the shard that owns the user.
            for (int leg = 0; leg < sent.legs().size(); leg++) {
                Leg original = sent.legs().get(leg);
                if (!Names.isSystem(original.to()) && shards.of(original.to()) != shard) {
                    Command credit = new Command.Transfer(Names.clearingCreditId(sent.id(), leg),
                            List.of(new Leg(Names.CLEARING, original.to(), original.asset(), original.amount(), null)));
                    state.publish(new ShardStore.OutboxMessage(0, shard, "commands", shards.of(original.to()), original.to(),
                            Wire.command("", 0, applied.atMicros(), credit)));
                }
            }
        }
    }

    @Override
    public void answer(LogBatch batch) {
        nextOffset = takenUpTo;
        dropTaken();
        Arrays.fill(crossShard, 0, batch.size(), null);
        relay.wake();
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
        records.clear();
        taken = 0;
        nextOffset = position;
        consumer.seek(partition, position);
        consumer.resume(List.of(partition));
        loaded = true;
    }

    @Override
    public void halted(String reason) {
        consumer.pause(List.of(partition));
        records.clear();
        taken = 0;
        loaded = false;
    }

    @Override
    public boolean hasWaitingWork() {
        return !records.isEmpty();
    }
}
