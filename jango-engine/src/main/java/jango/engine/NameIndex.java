package jango.engine;

/**
 * A name to an int, open addressing with linear probing over one {@code long[]}: owner names to
 * owner ids ({@link AccountTable}), open hold ids to their slots ({@link HoldTable}). Each entry is
 * the name's {@link String#hashCode} in the high half and the id plus one in the low half (0 is an
 * empty entry); the names themselves stay in the caller's array, indexed by id, which a match is
 * checked against.
 *
 * <p>Why our own and not Agrona's {@code Object2IntHashMap}, which the engine used before: the
 * look-ahead reads the entries of the next commands' owners and holds in a loop of its own before
 * it looks them up (docs/performance.md, "Lookups in stages"), so that their misses overlap; a
 * library map does not say where a key's entry is. An entry carries the hash, so a probe compares
 * names only when the hashes are equal, and a found entry gives the id from the same cache line.
 *
 * <p>At most half full; it doubles when more. Removal (a failed command's new owners, every hold
 * that closes) is backward-shift deletion, so no tombstones build up in a table that churns.
 */
final class NameIndex {
    static final int NONE = -1;

    private long[] entries;
    private int mask;
    private int shift;
    private int size;

    NameIndex() {
        this(new long[64]);
    }

    private NameIndex(long[] entries) {
        this.entries = entries;
        this.mask = entries.length - 1;
        this.shift = Integer.numberOfLeadingZeros(mask);
    }

    NameIndex copy() {
        NameIndex copy = new NameIndex(entries.clone());
        copy.size = size;
        return copy;
    }

    /** Where a name of this hash starts its probe: the top bits of a Fibonacci hash, so that similar names spread. */
    int home(int hash) {
        return (hash * 0x9e3779b9) >>> shift & mask;
    }

    /** The id of {@code name} (whose hash is {@code hash}), or {@link #NONE}; {@code names[id]} is each id's name. */
    int find(String name, int hash, String[] names) {
        for (int i = home(hash); ; i = (i + 1) & mask) {
            long entry = entries[i];
            if (entry == 0) {
                return NONE;
            }
            if ((int) (entry >>> 32) == hash) {
                int id = (int) entry - 1;
                String found = names[id];
                if (found == name || found.equals(name)) {
                    return id;
                }
            }
        }
    }

    /**
     * Reads the entry where a name of this hash starts its probe, and when its hash is this one, the
     * name's bytes it would be compared with: for {@link LookAhead}, which reads ahead so that the
     * misses overlap. Returns something of what it read.
     */
    int touch(int hash, String[] names) {
        long entry = entries[home(hash)];
        if (entry != 0 && (int) (entry >>> 32) == hash) {
            return names[(int) entry - 1].length();
        }
        return (int) entry;
    }

    /** Adds a name the caller found absent. */
    void add(int hash, int id) {
        if (2 * (size + 1) > entries.length) {
            grow();
        }
        insert(hash, id);
        size++;
    }

    private void insert(int hash, int id) {
        int i = home(hash);
        while (entries[i] != 0) {
            i = (i + 1) & mask;
        }
        entries[i] = ((long) hash << 32) | (id + 1L);
    }

    private void grow() {
        long[] old = entries;
        entries = new long[old.length * 2];
        mask = entries.length - 1;
        shift = Integer.numberOfLeadingZeros(mask);
        for (long entry : old) {
            if (entry != 0) {
                insert((int) (entry >>> 32), (int) entry - 1);
            }
        }
    }

    /** Removes the name of this hash and id; the entries after it in its run move back over the gap. */
    void remove(int hash, int id) {
        long wanted = ((long) hash << 32) | (id + 1L);
        int gap = home(hash);
        while (entries[gap] != wanted) {
            if (entries[gap] == 0) {
                throw new IllegalStateException("id " + id + " is not in the index");
            }
            gap = (gap + 1) & mask;
        }
        entries[gap] = 0;
        size--;
        for (int i = (gap + 1) & mask; entries[i] != 0; i = (i + 1) & mask) {
            int home = home((int) (entries[i] >>> 32));
            boolean staysPut = gap <= i ? gap < home && home <= i : gap < home || home <= i;
            if (!staysPut) {
                entries[gap] = entries[i];
                entries[i] = 0;
                gap = i;
            }
        }
    }

    int size() {
        return size;
    }
}
