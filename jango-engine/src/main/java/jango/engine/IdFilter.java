package jango.engine;

/**
 * Which command ids and hold ids may have been used before, in a fixed amount of memory: a split
 * block Bloom filter (one 256-bit block per key, one bit in each of its eight words, as Parquet's),
 * so a probe reads one cache line. "No" is certain, so a new id (nearly every command) costs one
 * probe and no I/O; "maybe" sends the engine to its {@link Archive}, which answers exactly.
 *
 * <p>The size is fixed when the engine is made: memory never grows with the number of commands.
 * As ids accumulate the false positive rate rises (about 1% at 10 bits per id, 5% at 6), and
 * each false positive costs one archive lookup, never a wrong answer. Size 0 means "always
 * maybe": every id is looked up (distributed mode fetches a batch's ids in one query instead).
 */
final class IdFilter {
    private static final int WORDS_PER_BLOCK = 8;
    private static final int[] SALT = {0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b,
            0x9efc4947, 0x5c6bfb31};
    static final long COMMAND_SEED = 0x636f6d6d616e64L;
    static final long HOLD_SEED = 0x686f6c64L;

    /** Replaced only by {@link #reset}, when a recovery gives the filter another size. */
    private int[] words;
    private int blockMask;

    /** @param bytes 0 (always maybe) or a power of two from 32 */
    IdFilter(int bytes) {
        reset(bytes);
    }

    /**
     * Empties the filter and gives it another size; the caller puts every used id back before the
     * engine runs again (a recovery, from the archive's keys).
     */
    void reset(int bytes) {
        if (bytes != 0 && (bytes < 32 || Integer.bitCount(bytes) != 1)) {
            throw new IllegalArgumentException("id filter bytes: " + bytes + " (expected: 0 or a power of two >= 32)");
        }
        this.words = bytes == 0 ? null : new int[bytes / Integer.BYTES];
        this.blockMask = bytes == 0 ? 0 : words.length / WORDS_PER_BLOCK - 1;
    }

    private IdFilter(int[] words) {
        this.words = words;
        this.blockMask = words == null ? 0 : words.length / WORDS_PER_BLOCK - 1;
    }

    static IdFilter of(int[] words) {
        return new IdFilter(words);
    }

    int bytes() {
        return words == null ? 0 : words.length * Integer.BYTES;
    }

    int[] words() {
        return words;
    }

    IdFilter copy() {
        return new IdFilter(words == null ? null : words.clone());
    }

    boolean mightContain(String id, long seed) {
        return words == null || mightContain(hash(id, seed));
    }

    /**
     * The id's hash for {@link #mightContain(long)} and {@link #put(long)}, so that a caller that
     * probes and then puts an id hashes it once; 0, unused, when there is no filter (size 0).
     */
    long hashOf(String id, long seed) {
        return words == null ? 0 : hash(id, seed);
    }

    /** As {@link #mightContain(String, long)}, for a hash from {@link #hashOf}. */
    boolean mightContain(long hash) {
        if (words == null) {
            return true;
        }
        int base = block(hash);
        int h = (int) hash;
        for (int i = 0; i < WORDS_PER_BLOCK; i++) {
            if ((words[base + i] & (1 << ((h * SALT[i]) >>> 27))) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether there is a filter at all (size 0 answers "maybe" to everything). */
    boolean present() {
        return words != null;
    }

    /**
     * Reads the hash's block, its first and last words, and returns something of them: for
     * {@link LookAhead}, which reads ahead so that the misses overlap. Both ends, because a block is
     * 32 bytes and the array's elements start 16 bytes into it, so every other block crosses into a
     * second cache line: a probe mostly stops in the first word, but {@link #put(long)} writes all
     * eight, and with only the first line read ahead, the put of every other new id was a miss
     * (15% of the engine's time for transfers at 10,000 accounts, thirteenth session).
     */
    int touch(long hash) {
        int base = block(hash);
        return words[base] + words[base + WORDS_PER_BLOCK - 1];
    }

    void put(String id, long seed) {
        if (words != null) {
            put(hash(id, seed));
        }
    }

    /** As {@link #put(String, long)}, for a hash from {@link #hashOf}. */
    void put(long hash) {
        if (words == null) {
            return;
        }
        int base = block(hash);
        int h = (int) hash;
        for (int i = 0; i < WORDS_PER_BLOCK; i++) {
            words[base + i] |= 1 << ((h * SALT[i]) >>> 27);
        }
    }

    /** Blocks read to measure the false-positive rate: all of a small filter, evenly spaced ones of a large. */
    private static final int RATE_SAMPLE_BLOCKS = 1 << 16;

    /**
     * The chance that an id never put is answered "maybe", in parts per million, from this filter's
     * bits: a probe lands in a uniformly random block and needs its one bit set in each of the
     * block's eight words, so the rate is the mean over blocks of the product of the words' set bits,
     * over 32^8 = 2^40. In integers (the engine has no floating point): a block's product is at most
     * 2^40, their sum over the sample at most 2^56. Over at most 65,536 evenly spaced blocks (the
     * whole 64 MiB filter took 170 ms of a start with a cold JIT; blocks fill alike, so the sample's
     * error is far below the rate's own changes). A million without a filter.
     */
    long falsePositivesPerMillion() {
        if (words == null) {
            return 1_000_000;
        }
        int blocks = words.length / WORDS_PER_BLOCK;
        int step = Math.max(1, blocks / RATE_SAMPLE_BLOCKS);
        long sum = 0;
        long sampled = 0;
        for (int block = 0; block < blocks; block += step) {
            int base = block * WORDS_PER_BLOCK;
            long product = 1;
            for (int i = 0; i < WORDS_PER_BLOCK; i++) {
                product *= Integer.bitCount(words[base + i]);
            }
            sum += product;
            sampled++;
        }
        return (sum / sampled) * 1_000_000 >>> 40; // a mean of at most 2^40, times 10^6 < 2^60
    }

    private int block(long hash) {
        return ((int) (hash >>> 32) & blockMask) * WORDS_PER_BLOCK;
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    /** Ids are at most 64 characters (Names.ID; a clearing credit id a few more): their bytes are copied here to be read 8 at a time. */
    private final byte[] scratch = new byte[256];

    /**
     * 64 bits from the id's characters, read eight at a time (ids are ASCII, so their low bytes are
     * the whole of them), each word mixed in with a multiply, then MurmurHash3's finaliser.
     */
    @SuppressWarnings("deprecation")
    long hash(String id, long seed) {
        int length = id.length();
        if (length > scratch.length - 8) {
            return slowHash(id, seed);
        }
        id.getBytes(0, length, scratch, 0);
        java.util.Arrays.fill(scratch, length, (length + 7) & ~7, (byte) 0);
        long h = seed ^ (length * 0x9e3779b97f4a7c15L);
        for (int i = 0; i < length; i += 8) {
            h = (h ^ (long) LONGS.get(scratch, i)) * 0xff51afd7ed558ccdL;
            h ^= h >>> 29;
        }
        return finish(h);
    }

    /** FNV-1a over every character, for the rare id too long for the scratch buffer. */
    private static long slowHash(String id, long seed) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        return finish(h);
    }

    private static long finish(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }
}
