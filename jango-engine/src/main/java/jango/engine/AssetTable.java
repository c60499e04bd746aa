package jango.engine;

import org.agrona.collections.Object2IntHashMap;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered assets, interned to dense ids (an account is the pair owner id, asset id). Assets are
 * few and only ever added, through the log. The writer looks them up without boxing; other threads
 * read {@link #scalesView()}.
 */
final class AssetTable {
    static final int NONE = -1;
    /** Asset ids fit 20 bits of an account key; far more assets than any exchange lists. */
    static final int MAX_ASSETS = 1 << 20;
    private static final int LINEAR_SCAN = 8;

    private final Object2IntHashMap<String> ids;
    private final Map<String, Integer> scalesByCode;
    private String[] codes;
    private int[] scales;
    private int count;

    AssetTable() {
        ids = new Object2IntHashMap<>(16, 0.65f, NONE);
        scalesByCode = new ConcurrentHashMap<>();
        codes = new String[16];
        scales = new int[16];
    }

    private AssetTable(AssetTable from) {
        ids = new Object2IntHashMap<>(from.ids);
        scalesByCode = new ConcurrentHashMap<>(from.scalesByCode);
        codes = from.codes.clone();
        scales = from.scales.clone();
        count = from.count;
    }

    AssetTable copy() {
        return new AssetTable(this);
    }

    int id(String code) {
        // An exchange lists a few dozen assets: comparing the few codes beats hashing into a map.
        if (count <= LINEAR_SCAN) {
            for (int i = 0; i < count; i++) {
                if (codes[i].equals(code)) {
                    return i;
                }
            }
            return NONE;
        }
        return ids.getValue(code);
    }

    /** Registers a new asset; the caller checked it is not there. */
    int add(String code, int scale) {
        if (count == MAX_ASSETS) {
            throw new InvariantViolation("more than " + MAX_ASSETS + " assets");
        }
        if (count == codes.length) {
            codes = java.util.Arrays.copyOf(codes, count * 2);
            scales = java.util.Arrays.copyOf(scales, count * 2);
        }
        int id = count++;
        codes[id] = code;
        scales[id] = scale;
        ids.put(code, id);
        scalesByCode.put(code, scale);
        return id;
    }

    String code(int id) {
        return codes[id];
    }

    int scale(int id) {
        return scales[id];
    }

    int count() {
        return count;
    }

    /** Code -> scale, safe to read from any thread. */
    Map<String, Integer> scalesView() {
        return Collections.unmodifiableMap(scalesByCode);
    }
}
