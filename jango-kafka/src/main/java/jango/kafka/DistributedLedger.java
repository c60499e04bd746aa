package jango.kafka;

import jango.engine.StoredResult;
import jango.engine.BalanceView;
import jango.engine.Command;
import jango.engine.Engine;
import jango.engine.HoldView;
import jango.engine.Outcome;
import jango.engine.Result;
import jango.engine.port.HistoryPage;
import jango.engine.port.Ledger;
import jango.engine.port.LedgerObserver;
import jango.engine.port.LedgerUnavailableException;
import jango.engine.port.LedgerUnavailableException.Code;
import jango.engine.port.ShardStatus;
import jango.engine.port.ShardStore;
import jango.engine.port.StateSummary;
import jango.engine.port.TransfersInFlight;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Distributed mode behind the same {@link Ledger} port as embedded mode: commands go to the
 * commands topic keyed (and partitioned) by owner; whichever instance owns that shard applies them
 * and commits to the store; its outbox relay publishes the outcome to the events topic, where the
 * instance that took the request picks its own answers out by reply-to and correlation (or takes
 * them in memory from its own writer after the commit, when it owns the shard). Reads go to the
 * store, which holds only committed state, and a caller is answered only after the commit. A
 * batch's commands are sent in the order {@link BatchOrder} gives, so a batch applies in order.
 */
public final class DistributedLedger implements Ledger {
    private static final Logger log = LoggerFactory.getLogger(DistributedLedger.class);

    private final DistributedConfig config;
    private final ShardStore store;
    /** The store for the API's reads: their own connections, never a writer's (ShardStore.forReads). */
    private final ShardStore reads;
    private final Shards shards;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> replies;
    private final ShardWriters writer;
    private final LongSupplier clockMicros;
    private final OutboxRelay relay;
    private final Thread writerThread;
    private final Thread relayThread;
    private final Thread replyThread;
    private final Map<Long, CompletableFuture<Outcome>> pending = new ConcurrentHashMap<>();
    /**
     * Numbers the callers waiting for an answer. It starts at random: answers are routed by instance
     * id and this number, and a restarted instance with the same id would otherwise count from 1
     * again and take a late answer meant for its previous run as its own caller's.
     */
    private final AtomicLong correlations = new AtomicLong(new java.security.SecureRandom().nextLong() >>> 1);
    /**
     * Sends of batch commands that wait for earlier ones ({@link BatchOrder}): never on the
     * producer's or the reply reader's thread, which complete what they wait for.
     */
    private final ExecutorService deferredSends = Executors.newVirtualThreadPerTaskExecutor();
    /**
     * Answers this instance's writers hand over after their commit: completed here, not on the writer's
     * thread (what waits on an answer, such as rendering a batch's response, runs where it completes).
     */
    private final ExecutorService localAnswers = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "jango-local-answers");
        thread.setDaemon(true);
        return thread;
    });
    private final LiveAssets assets;
    private final ChangeTail changeTail;
    private volatile boolean closing;

    private DistributedLedger(DistributedConfig config, ShardStore store, int shardCount, LongSupplier clockMicros,
                              LedgerObserver observer) {
        this.config = config;
        this.store = store;
        this.reads = store.forReads();
        this.shards = new Shards(shardCount);
        this.assets = new LiveAssets(store);
        this.producer = new KafkaProducer<>(producerProperties(config));
        this.replies = new KafkaConsumer<>(replyProperties(config));
        // Answers are read from the end as it is now, before any command of ours can be produced.
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : replies.partitionsFor(config.eventsTopic(), Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        replies.assign(partitions);
        replies.seekToEnd(partitions);
        partitions.forEach(p -> replies.position(p, Duration.ofSeconds(30)));
        this.relay = new OutboxRelay(config, store, producer);
        this.clockMicros = clockMicros;
        this.writer = new ShardWriters(config, store, new KafkaConsumer<>(writerProperties(config)), producer, relay,
                clockMicros, observer, (outcome, correlation) -> localAnswers.execute(() -> answer(outcome, correlation)));
        this.writerThread = new Thread(writer, "jango-shard-writer");
        this.relayThread = new Thread(relay, "jango-outbox-relay");
        this.replyThread = new Thread(this::readReplies, "jango-replies");
        this.changeTail = new ChangeTail(config);
    }

    /**
     * Connects to the broker and the store (which must have been initialised: {@code jango init}),
     * checks the topics, and starts taking shards.
     */
    public static DistributedLedger open(DistributedConfig config, ShardStore store, LedgerObserver observer) {
        return open(config, store, () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()), observer);
    }

    /**
     * As {@link #open(DistributedConfig, ShardStore, LedgerObserver)}, with the clock commands and
     * ticks are stamped with before they go into the log (the engines read time only from there).
     */
    public static DistributedLedger open(DistributedConfig config, ShardStore store, LongSupplier clockMicros,
                                         LedgerObserver observer) {
        int count = store.shardCount();
        if (count == 0) {
            throw new IllegalStateException("the store has no shards yet: run `jango init --partitions N` first");
        }
        Topics.ensure(config, count, (short) 1);
        DistributedLedger ledger = new DistributedLedger(config, store, count, clockMicros, observer);
        ledger.replyThread.start();
        ledger.relayThread.start();
        ledger.writerThread.start();
        log.info("event=distributed_started instance={} shards={} bootstrap={}", config.instanceId(), count, config.bootstrap());
        return ledger;
    }

    public String instanceId() {
        return config.instanceId();
    }

    public Shards shardMap() {
        return shards;
    }

    /** The shards this instance owns now and has loaded (tests and operations). */
    public Set<Integer> ownedShards() {
        return writer.loadedShards();
    }

    /**
     * The shards this instance owns and has halted (tests and operations). /health reports a halt
     * recorded in the store before the instance taking the shard has loaded it; only from this point
     * are its commands refused with SHARD_HALTED without being sent.
     */
    public Set<Integer> haltedShards() {
        return writer.haltedShards();
    }

    // ---- writes -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<List<Outcome>> submit(List<Command> commands) {
        if (closing) {
            return CompletableFuture.failedFuture(new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1));
        }
        BatchOrder order = new BatchOrder(shards, commands);
        List<CompletableFuture<Sent>> sent = new ArrayList<>(commands.size());
        List<CompletableFuture<Outcome>> answers = new ArrayList<>(commands.size());
        // The commands sent right away, one record per shard; -1: sent alone or not yet.
        int[] packedOn = new int[commands.size()];
        Arrays.fill(packedOn, -1);
        Map<Integer, Pack> packs = new HashMap<>();
        try {
            for (int i = 0; i < commands.size(); i++) {
                Command command = commands.get(i);
                if (command instanceof Command.RegisterAsset register) {
                    Outcome outcome = register(register);
                    sent.add(CompletableFuture.completedFuture(new Sent(CompletableFuture.completedFuture(outcome),
                            CompletableFuture.completedFuture(null))));
                    answers.add(CompletableFuture.completedFuture(outcome));
                    continue;
                }
                // What it waits for (BatchOrder): the earlier command handed to the producer, answered, or acknowledged.
                int[] dependsOn = order.dependsOn(i);
                CompletableFuture<?>[] before = new CompletableFuture<?>[dependsOn.length];
                boolean ready = true;
                for (int w = 0; w < dependsOn.length; w++) {
                    int earlier = dependsOn[w];
                    before[w] = order.handOffSuffices(earlier, i) ? sent.get(earlier)
                            : order.crosses(earlier) ? answers.get(earlier)
                            : sent.get(earlier).thenCompose(Sent::acknowledged);
                    // Handed to the producer, or about to be in a record that this command can join after it.
                    ready &= before[w].isDone() || order.handOffSuffices(earlier, i) && packedOn[earlier] >= 0;
                }
                String releaseOwner = order.releaseOwner(i);
                CompletableFuture<Sent> handed = null;
                if (ready) {
                    Route route = route(command, releaseOwner);
                    if (joinsAfter(dependsOn, before, packedOn, route.shard())) {
                        Pack pack = packs.computeIfAbsent(route.shard(), shard -> new Pack(route));
                        if (pack.full()) {
                            pack.send();
                            pack = new Pack(route);
                            packs.put(route.shard(), pack);
                        }
                        handed = pack.add(command);
                        packedOn[i] = route.shard();
                    }
                }
                if (handed == null) {
                    // Whatever became of them (applied, refused, 503): the command is applied on its own, as in embedded mode.
                    handed = CompletableFuture.allOf(before).handleAsync((ignored, error) -> send(command, releaseOwner), deferredSends);
                }
                sent.add(handed);
                answers.add(handed.thenCompose(Sent::answer));
            }
            for (Pack pack : packs.values()) {
                pack.send();
            }
        } catch (LedgerUnavailableException e) {
            packs.values().forEach(pack -> pack.abandon(e));
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> answers.stream().map(CompletableFuture::join).toList());
    }

    /** Whether every earlier command this one waits for was handed over, or waits in the record for {@code shard} it would join. */
    private static boolean joinsAfter(int[] dependsOn, CompletableFuture<?>[] before, int[] packedOn, int shard) {
        for (int w = 0; w < dependsOn.length; w++) {
            if (!before[w].isDone() && packedOn[dependsOn[w]] != shard) {
                return false;
            }
        }
        return true;
    }

    /** A command handed to the producer: its answer, and the broker's acknowledgement of it. */
    private record Sent(CompletableFuture<Outcome> answer, CompletableFuture<Void> acknowledged) {
    }

    /** Where a command goes: its shard's partition, keyed by the owner that placed it there. */
    private record Route(int shard, String owner) {
    }

    /**
     * Assets are global: the store decides a code's scale once for all shards, then the registration
     * goes into every shard's log (acknowledged by the broker before the answer), so each shard's
     * engine knows the asset from that entry on, and a command sent after this answer comes after it
     * in every partition. A replay of any partition finds the registration where the shard met it.
     */
    private Outcome register(Command.RegisterAsset register) {
        ShardStore.AssetRegistration registration;
        try {
            registration = store.registerAsset(register.code(), register.scale());
        } catch (ShardStore.Unavailable e) {
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "the database is unavailable: " + e.getMessage(), 2);
        }
        assets.put(register.code(), registration.scale());
        byte[] record = Wire.command("", 0, clockMicros.getAsLong(), new Command.RegisterAsset(register.code(), registration.scale()));
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>(shards.count());
        try {
            for (int shard = 0; shard < shards.count(); shard++) {
                sent.add(producer.send(new ProducerRecord<>(config.commandsTopic(), shard, "", record)));
            }
            for (java.util.concurrent.Future<?> each : sent) {
                each.get(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (KafkaException | java.util.concurrent.ExecutionException | TimeoutException e) {
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "the broker did not take the asset registration "
                    + "(retry: registering the same asset again is harmless): " + e, 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "interrupted", 1);
        }
        if (registration.created()) {
            return new Outcome(Outcome.Kind.ASSET_CREATED, null, null, -1);
        }
        return registration.scale() == register.scale() ? new Outcome(Outcome.Kind.ASSET_EXISTS, null, null, -1)
                : new Outcome(Outcome.Kind.ASSET_CONFLICT, null, "asset " + register.code() + " exists with scale "
                + registration.scale(), registration.scale());
    }

    /** A command that waited for earlier ones of its batch goes alone, in a record of its own. */
    private Sent send(Command command, String releaseOwner) {
        Pack pack = new Pack(route(command, releaseOwner));
        CompletableFuture<Sent> handed = pack.add(command);
        pack.send();
        return handed.join();
    }

    /**
     * @param releaseOwner for a release, its hold's account when an earlier command of the batch
     *                     named the hold (it may not be stored yet); null: looked up
     */
    private Route route(Command command, String releaseOwner) {
        String owner = Shards.keyOwner(command);
        if (owner == null && releaseOwner != null) {
            owner = releaseOwner;
        } else if (owner == null) {
            // A release names only its hold: route it to the hold's shard. An unknown hold goes to the
            // shard of its id, which records UNKNOWN_HOLD; a later retry elsewhere finds that result.
            String holdId = ((Command.Release) command).holdId();
            HoldView hold = readStore(() -> reads.hold(holdId));
            owner = hold == null ? holdId : hold.account();
        }
        int shard = shards.of(owner);
        String halt = writer.haltReason(shard);
        if (halt != null) {
            throw new LedgerUnavailableException(Code.SHARD_HALTED, "shard " + shard + " halted: " + halt, 5);
        }
        return new Route(shard, owner);
    }

    /**
     * Commands of one batch for one shard, sent as one record ({@link Wire.Pack}): each waits for
     * its own answer under its own correlation; the broker acknowledges them together. Handed to the
     * producer once the batch was gone through (or when the record is full), so the commands of a
     * batch that wait for nothing cross the producer, the broker and the shard's poll once per shard.
     */
    private final class Pack {
        private final Route route;
        private final Wire.Pack record;
        /** Each command's correlation, in the record's order. */
        private final List<Long> numbers = new ArrayList<>();
        private final List<CompletableFuture<Outcome>> answers = new ArrayList<>();
        private final List<CompletableFuture<Sent>> handed = new ArrayList<>();
        private boolean sent;

        Pack(Route route) {
            this.route = route;
            this.record = new Wire.Pack(config.instanceId(), clockMicros.getAsLong());
        }

        boolean full() {
            return record.full();
        }

        /** Completes once the record is handed to the producer. */
        CompletableFuture<Sent> add(Command command) {
            long correlation = correlations.incrementAndGet();
            record.add(correlation, command);
            CompletableFuture<Outcome> answer = new CompletableFuture<>();
            pending.put(correlation, answer);
            numbers.add(correlation);
            answers.add(answer);
            CompletableFuture<Sent> sent = new CompletableFuture<>();
            handed.add(sent);
            return sent;
        }

        void send() {
            if (sent) {
                return;
            }
            CompletableFuture<Void> acknowledged = new CompletableFuture<>();
            try {
                producer.send(new ProducerRecord<>(config.commandsTopic(), route.shard(), route.owner(), record.toByteArray()),
                        (metadata, error) -> {
                            if (error == null) {
                                acknowledged.complete(null);
                                return;
                            }
                            acknowledged.completeExceptionally(error);
                            for (long correlation : numbers) {
                                CompletableFuture<Outcome> waiting = pending.remove(correlation);
                                if (waiting != null) {
                                    waiting.completeExceptionally(new LedgerUnavailableException(Code.UNAVAILABLE,
                                            "the broker did not take the command (it may still be applied; retry with the same id): " + error, 1));
                                }
                            }
                        });
            } catch (KafkaException e) {
                // No broker metadata within max.block.ms, or the producer is closing: nothing was sent.
                LedgerUnavailableException unavailable = new LedgerUnavailableException(Code.UNAVAILABLE,
                        "the broker is unavailable: " + e.getMessage(), 1);
                abandon(unavailable);
                throw unavailable;
            }
            sent = true;
            for (int i = 0; i < handed.size(); i++) {
                handed.get(i).complete(new Sent(withTimeout(answers.get(i), numbers.get(i), route.shard()), acknowledged));
            }
        }

        /** Not sent (when it was, its answers still come): nothing waits for them, and what waits for the hand-over learns why. */
        void abandon(LedgerUnavailableException why) {
            if (sent) {
                return;
            }
            numbers.forEach(pending::remove);
            handed.forEach(sent -> sent.completeExceptionally(why));
        }
    }

    private CompletableFuture<Outcome> withTimeout(CompletableFuture<Outcome> answer, long correlation, int shard) {
        return answer.orTimeout(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS).exceptionally(error -> {
            pending.remove(correlation);
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof TimeoutException) {
                throw new LedgerUnavailableException(Code.UNAVAILABLE, "no answer from shard " + shard + " within "
                        + config.answerTimeout().toSeconds() + " s; it may still be applied: retry with the same id", 1);
            }
            throw cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
        });
    }

    /**
     * A caller's answer, from the events topic or, when this instance owns the shard that answered,
     * from its writer right after the commit (then it is not published). A second copy (the relay
     * publishes at least once) finds nothing waiting.
     */
    private void answer(Outcome outcome, long correlation) {
        CompletableFuture<Outcome> waiting = pending.remove(correlation);
        if (waiting != null && outcome.kind() == Outcome.Kind.UNAVAILABLE) {
            // Nothing was applied or stored (a transfer between shards gave up, or too many are in flight).
            waiting.completeExceptionally(new LedgerUnavailableException(Code.UNAVAILABLE, outcome.message(), 1));
        } else if (waiting != null) {
            waiting.complete(outcome);
        }
    }

    private void readReplies() {
        while (!closing) {
            try {
                for (ConsumerRecord<String, byte[]> record : replies.poll(Duration.ofMillis(100))) {
                    try {
                        if (!config.instanceId().equals(Wire.replyTo(record.value()))) {
                            continue;
                        }
                        for (Wire.Event event : Wire.readEvents(record.value())) {
                            answer(event.outcome(), event.correlation());
                        }
                    } catch (RuntimeException e) {
                        // One answer this code cannot read (another version's) must not end the thread
                        // that answers every caller, nor drop the rest of the poll: its caller times out.
                        log.error("event=reply_unreadable instance={} offset={} error=\"{}\"", config.instanceId(), record.offset(), e.toString());
                    }
                }
            } catch (WakeupException e) {
                break;
            } catch (KafkaException | IllegalArgumentException e) {
                log.warn("event=replies_failed instance={} error=\"{}\"", config.instanceId(), e.toString());
                Pause.millis(config.firstBackoff().toMillis());
            }
        }
    }

    // ---- reads --------------------------------------------------------------------------------

    @Override
    public Map<String, Integer> assets() {
        return assets;
    }

    @Override
    public Result result(String commandId) {
        StoredResult stored = readStore(() -> reads.result(commandId));
        return stored == null ? null : stored.result();
    }

    /**
     * One query for all the ids (the lookup API takes up to a page of them): a transaction per id
     * (begin, select, commit) was the largest part of an instance's CPU while a client checked its
     * acknowledged results after a run.
     */
    @Override
    public List<Result> results(List<String> commandIds) {
        Map<String, StoredResult> stored = readStore(() -> reads.results(commandIds));
        List<Result> results = new ArrayList<>(commandIds.size());
        for (String id : commandIds) {
            StoredResult found = stored.get(id);
            results.add(found == null || found.pending() ? null : found.result());
        }
        return results;
    }

    @Override
    public StoredResult knownResult(String commandId) {
        return readStore(() -> reads.result(commandId));
    }

    @Override
    public List<BalanceView> balances(String owner, String asset) {
        return readStore(() -> reads.balances(owner, asset));
    }

    @Override
    public HoldView hold(String holdId) {
        return readStore(() -> reads.hold(holdId));
    }

    @Override
    public HistoryPage history(String owner, String asset, int limit, String cursor) {
        return readStore(() -> reads.history(owner, asset, limit, cursor));
    }

    @Override
    public List<ShardStatus> shards() {
        List<ShardStore.ShardRow> rows;
        try {
            rows = store.shardRows();
        } catch (ShardStore.Unavailable e) {
            List<ShardStatus> down = new ArrayList<>();
            for (int i = 0; i < shards.count(); i++) {
                String halt = writer.haltReason(i);
                down.add(new ShardStatus(i, false, halt != null ? halt
                        : "the database is unreachable from " + config.instanceId() + ": " + e.getMessage(), -1));
            }
            return down;
        }
        List<ShardStatus> statuses = new ArrayList<>(rows.size());
        for (ShardStore.ShardRow row : rows) {
            ShardStatus here = writer.status(row.shard());
            if (here != null && !here.up()) {
                statuses.add(here); // owned here: halted, or stalled with work waiting
                continue;
            }
            String reason = row.haltedReason();
            statuses.add(new ShardStatus(row.shard(), reason == null, reason, row.lastSeq()));
        }
        return statuses;
    }

    @Override
    public TransfersInFlight transfersInFlight() {
        return writer.transfersInFlight();
    }

    @Override
    public StateSummary stateSummary() {
        return readStore(store::stateSummary);
    }

    @Override
    public boolean readsBlock() {
        return true;
    }

    @Override
    public String placementError(Command command, String path) {
        return shards.placementError(command, path);
    }

    @Override
    public void resume(int shard) {
        if (shard < 0 || shard >= shards.count()) {
            throw new IllegalArgumentException("shard " + shard + " does not exist (0.." + (shards.count() - 1) + ")");
        }
        readStore(() -> {
            store.setHalted(shard, null);
            return null;
        });
    }

    // ---- change events (ChangeTail) -------------------------------------------------------------

    /** Every balance change applied from now on, read from the change-events topic (see {@link ChangeTail}). */
    @Override
    public AutoCloseable subscribe(jango.engine.port.ChangeSubscriber subscriber) {
        return changeTail.subscribe(subscriber);
    }

    /** A system owner has an account, and revisions, on every shard; its balance is their sum. */
    @Override
    public boolean followsRevisions(String owner) {
        return shards.count() == 1 || !jango.engine.Names.isSystem(owner);
    }

    @Override
    public List<String> userOwners(String after, int limit) {
        return readStore(() -> reads.userOwners(after, limit));
    }

    private static <T> T readStore(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (ShardStore.Unavailable e) {
            throw new LedgerUnavailableException(Code.UNAVAILABLE, "the database is unavailable: " + e.getMessage(), 2);
        }
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        changeTail.close();
        writer.stop();
        relay.stop();
        replies.wakeup();
        join(writerThread);
        join(relayThread);
        join(replyThread);
        replies.close(Duration.ofSeconds(2));
        deferredSends.shutdown();
        localAnswers.shutdown();
        producer.close(Duration.ofSeconds(5));
        pending.values().forEach(f -> f.completeExceptionally(
                new LedgerUnavailableException(Code.UNAVAILABLE, "the service is stopping", 1)));
        store.close();
    }

    private static void join(Thread thread) {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- Kafka clients --------------------------------------------------------------------------

    private static Properties producerProperties(DistributedConfig config) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.instanceId() + "-producer");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        // A request never waits on a missing broker longer than it would wait for its answer.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.answerTimeout().toMillis());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private static Properties writerProperties(DistributedConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.instanceId() + "-writer");
        // Offsets live in the store, committed with the state they produced; Kafka's are never used.
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxBatch());
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.sessionTimeout().toMillis());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, config.sessionTimeout().toMillis() / 4));
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        // How long the broker holds a fetch while there is nothing to read (it answers as soon as a record
        // comes: fetch.min.bytes is 1). At 5 ms the idle consumers of two instances kept a third of a core
        // busy in the broker; at 100 ms single commands got faster (p50 24 -> 18 ms), throughput the same.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    private static Properties replyProperties(DistributedConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.instanceId() + "-replies");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * The asset table as the server reads it: a cache that asks the store on a miss, so an asset
     * registered through another instance is known here from its first use.
     */
    private static final class LiveAssets extends AbstractMap<String, Integer> {
        private final ShardStore store;
        private final Map<String, Integer> cache = new ConcurrentHashMap<>();

        LiveAssets(ShardStore store) {
            this.store = store;
        }

        @Override
        public Integer get(Object code) {
            Integer scale = cache.get(code);
            if (scale == null) {
                refresh();
                scale = cache.get(code);
            }
            return scale;
        }

        @Override
        public boolean containsKey(Object code) {
            return get(code) != null;
        }

        @Override
        public Integer put(String code, Integer scale) {
            return cache.put(code, scale);
        }

        @Override
        public Set<Entry<String, Integer>> entrySet() {
            refresh();
            return new java.util.TreeMap<>(cache).entrySet();
        }

        private void refresh() {
            cache.putAll(readStore(store::assets));
        }
    }
}
