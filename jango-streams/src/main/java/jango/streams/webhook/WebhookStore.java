package jango.streams.webhook;

import jango.engine.ByteReader;
import jango.engine.ByteWriter;
import jango.streams.StreamsDb;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Webhook subscriptions and deliveries in the streams store, so that delivery is at least once
 * across a restart: the deliveries an ingest step creates and the feed position after it are one
 * atomic write, and a delivery is deleted only after its 2xx.
 *
 * <pre>
 * 'w' id                                  a subscription
 * 'd' idLength:u8 id seq:u64 index:u32 [shard:u32]    a PENDING or DEAD delivery (in log order per subscription;
 *                                         the shard with several, where a seq is one shard's)
 * 'm' "webhookCursor"                     the feed position ingested up to
 * </pre>
 */
final class WebhookStore {
    private static final byte SUBSCRIPTION = 'w';
    private static final byte DELIVERY = 'd';
    private static final byte[] CURSOR = "mwebhookCursor".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;

    private final StreamsDb db;

    WebhookStore(StreamsDb db) {
        this.db = db;
    }

    String cursor() {
        byte[] value = db.get(CURSOR);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    List<Subscription> subscriptions() {
        List<Subscription> all = new ArrayList<>();
        db.scan(new byte[]{SUBSCRIPTION}, new byte[]{SUBSCRIPTION}, (key, value) -> all.add(decodeSubscription(value)));
        return all;
    }

    void putSubscription(Subscription subscription) {
        write(batch -> batch.put(subscriptionKey(subscription.id()), encode(subscription)), true);
    }

    /** Deletes the subscription and every delivery it has. */
    void deleteSubscription(String id) {
        byte[] prefix = deliveryPrefix(id);
        db.deleteRange(prefix, StreamsDb.upperBound(prefix));
        write(batch -> batch.delete(subscriptionKey(id)), true);
    }

    /** One ingest step: new deliveries and the feed position after them, together. */
    void ingest(List<Delivery> deliveries, String cursor) {
        write(batch -> {
            for (Delivery delivery : deliveries) {
                batch.put(delivery.key(), encode(delivery));
            }
            batch.put(CURSOR, cursor.getBytes(StandardCharsets.UTF_8));
        }, false);
    }

    void put(Delivery delivery) {
        db.put(delivery.key(), encode(delivery));
    }

    void delete(byte[] key) {
        write(batch -> batch.delete(key), false);
    }

    Delivery get(byte[] key) {
        byte[] value = db.get(key);
        return value == null ? null : decodeDelivery(key, value);
    }

    /** Deliveries of {@code subscriptionId} from {@code fromKey} (null: the first) that pass {@code wanted}, at most {@code limit}. */
    List<Delivery> deliveries(String subscriptionId, byte[] fromKey, int limit, Predicate<Delivery> wanted) {
        byte[] prefix = deliveryPrefix(subscriptionId);
        List<Delivery> found = new ArrayList<>();
        db.scan(prefix, fromKey == null ? prefix : fromKey, (key, value) -> {
            Delivery delivery = decodeDelivery(key, value);
            if (wanted.test(delivery)) {
                found.add(delivery);
            }
            return found.size() < limit;
        });
        return found;
    }

    /** Every delivery of every subscription (at start-up), without bodies. */
    void forEachDelivery(java.util.function.Consumer<Delivery> visitor) {
        db.scan(new byte[]{DELIVERY}, new byte[]{DELIVERY}, (key, value) -> {
            visitor.accept(decodeDelivery(key, value));
            return true;
        });
    }

    /** {@code shard} -1 for a feed of one shard (the key of a delivery made before there were several). */
    static byte[] deliveryKey(String subscriptionId, int shard, long seq, int index) {
        byte[] prefix = deliveryPrefix(subscriptionId);
        ByteBuffer key = ByteBuffer.allocate(prefix.length + 12 + (shard < 0 ? 0 : 4)).put(prefix).putLong(seq).putInt(index);
        if (shard >= 0) {
            key.putInt(shard);
        }
        return key.array();
    }

    private static byte[] deliveryPrefix(String subscriptionId) {
        byte[] id = subscriptionId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + id.length).put(DELIVERY).put((byte) id.length).put(id).array();
    }

    private static byte[] subscriptionKey(String id) {
        byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + utf8.length).put(SUBSCRIPTION).put(utf8).array();
    }

    private interface BatchWork {
        void fill(WriteBatch batch) throws RocksDBException;
    }

    private void write(BatchWork work, boolean synced) {
        try (WriteBatch batch = new WriteBatch()) {
            work.fill(batch);
            if (synced) {
                db.writeSynced(batch);
            } else {
                db.write(batch);
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("webhook store write failed: " + e.getMessage(), e);
        }
    }

    private static byte[] encode(Subscription s) {
        ByteWriter out = new ByteWriter(256);
        out.writeByte(FORMAT);
        out.writeString(s.id());
        out.writeString(s.url());
        out.writeString(s.secret());
        writeSet(out, s.filter().accounts());
        writeSet(out, s.filter().assets());
        writeSet(out, s.filter().types());
        out.writeLong(s.createdAtMillis());
        return out.toByteArray();
    }

    private static Subscription decodeSubscription(byte[] bytes) {
        ByteReader in = new ByteReader(bytes);
        checkFormat(in.readByte());
        return new Subscription(in.readString(), in.readString(), in.readString(),
                new Subscription.Filter(readSet(in), readSet(in), readSet(in)), in.readLong());
    }

    private static byte[] encode(Delivery d) {
        ByteWriter out = new ByteWriter(256 + d.body().length);
        out.writeByte(FORMAT);
        out.writeString(d.subscriptionId());
        out.writeString(d.eventId());
        out.writeByte(d.state().ordinal());
        out.writeInt(d.attempts());
        out.writeLong(d.nextAttemptMillis());
        out.writeString(d.lastError());
        out.writeInt(d.body().length);
        out.writeBytes(d.body(), 0, d.body().length);
        return out.toByteArray();
    }

    private static Delivery decodeDelivery(byte[] key, byte[] bytes) {
        ByteReader in = new ByteReader(bytes);
        checkFormat(in.readByte());
        String subscriptionId = in.readString();
        String eventId = in.readString();
        Delivery.State state = Delivery.State.values()[in.readByte()];
        int attempts = in.readInt();
        long next = in.readLong();
        String lastError = in.readString();
        byte[] body = in.readBytes(in.readInt());
        return new Delivery(key, subscriptionId, eventId, state, attempts, next, lastError, body);
    }

    private static void writeSet(ByteWriter out, Set<String> values) {
        out.writeInt(values.size());
        for (String value : values) {
            out.writeString(value);
        }
    }

    private static Set<String> readSet(ByteReader in) {
        int size = in.readInt();
        Set<String> values = new HashSet<>(size);
        for (int i = 0; i < size; i++) {
            values.add(in.readString());
        }
        return values;
    }

    private static void checkFormat(int format) {
        if (format != FORMAT) {
            throw new IllegalStateException("webhook record format " + format + " (expected: " + FORMAT + ")");
        }
    }
}
