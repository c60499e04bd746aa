package jango.streams.webhook;

/**
 * One event on its way to one subscription. PENDING until a 2xx answer (then it is deleted), or
 * DEAD after {@code maxAttempts} failures or when the endpoint's queue was full; an admin replay
 * makes a DEAD one PENDING again.
 *
 * @param key               its key in the store (subscription, then log position)
 * @param nextAttemptMillis when the next attempt is due (wall clock)
 * @param lastError         what the last attempt got (status or error), null before any
 */
record Delivery(byte[] key, String subscriptionId, String eventId, State state, int attempts, long nextAttemptMillis,
                String lastError, byte[] body) {
    enum State { PENDING, DEAD }

    Delivery failed(String error, long nextMillis, boolean dead) {
        return new Delivery(key, subscriptionId, eventId, dead ? State.DEAD : State.PENDING, attempts + 1, nextMillis, error, body);
    }

    Delivery replayed(long nowMillis) {
        return new Delivery(key, subscriptionId, eventId, State.PENDING, 0, nowMillis, lastError, body);
    }
}
