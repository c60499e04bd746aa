package jango.kafka;

/** A backoff sleep for the background threads: an interrupt ends it and stays set for the loop to see. */
final class Pause {
    private Pause() {
    }

    static void millis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
