package jango.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link NameIndex} answers as a {@code HashMap} would through adds, growth and removals, of the
 * newest names (what {@link AccountTable#truncate} does to owners) and of any name with its id
 * reused (what {@link HoldTable} does with the slots of closed holds), with names whose hashes
 * collide (every string of "Aa" and "BB" pieces of one length has the same {@link String#hashCode}),
 * so probes run long, wrap around the table's end and removals shift entries back.
 */
class NameIndexTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void answersAsAMapThroughAddsGrowthAndRemovalsOfTheNewest(long seed) {
        Random random = new Random(seed);
        NameIndex index = new NameIndex();
        List<String> names = new ArrayList<>();
        Map<String, Integer> truth = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            if (!names.isEmpty() && random.nextInt(4) == 0) {
                int removals = 1 + random.nextInt(Math.min(5, names.size()));
                for (int r = 0; r < removals; r++) {
                    String newest = names.remove(names.size() - 1);
                    index.remove(newest.hashCode(), truth.remove(newest));
                }
            } else {
                String name = random.nextInt(3) == 0 ? colliding(random) : "user-" + random.nextInt(5_000);
                int hash = name.hashCode();
                String[] known = names.toArray(String[]::new);
                int found = index.find(new String(name), hash, known); // another String object: compared by equals
                if (found == NameIndex.NONE) {
                    assertThat(truth).doesNotContainKey(name);
                    index.add(hash, names.size());
                    truth.put(name, names.size());
                    names.add(name);
                } else {
                    assertThat(found).as(name).isEqualTo(truth.get(name));
                }
            }
            if (step % 997 == 0) {
                assertAnswersAsTheMap(index, names, truth, random);
            }
        }
        assertAnswersAsTheMap(index, names, truth, random);
        assertThat(index.copy().size()).isEqualTo(truth.size());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void answersAsAMapThroughAddsAndRemovalsAnywhereWithIdsReused(long seed) {
        Random random = new Random(seed);
        NameIndex index = new NameIndex();
        List<String> names = new ArrayList<>(); // by id; null where an id is free
        List<Integer> free = new ArrayList<>();
        Map<String, Integer> truth = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            if (!truth.isEmpty() && random.nextInt(3) == 0) {
                List<String> present = new ArrayList<>(truth.keySet());
                String gone = present.get(random.nextInt(present.size()));
                int id = truth.remove(gone);
                index.remove(gone.hashCode(), id);
                names.set(id, null);
                free.add(id);
            } else {
                String name = random.nextInt(3) == 0 ? colliding(random) : "hold-" + random.nextInt(5_000);
                int hash = name.hashCode();
                int found = index.find(new String(name), hash, names.toArray(String[]::new));
                if (found == NameIndex.NONE) {
                    assertThat(truth).doesNotContainKey(name);
                    int id = free.isEmpty() ? names.size() : free.remove(free.size() - 1);
                    if (id == names.size()) {
                        names.add(name);
                    } else {
                        names.set(id, name);
                    }
                    index.add(hash, id);
                    truth.put(name, id);
                } else {
                    assertThat(found).as(name).isEqualTo(truth.get(name));
                }
            }
            if (step % 997 == 0) {
                assertAnswersAsTheMap(index, names, truth, random);
            }
        }
        assertAnswersAsTheMap(index, names, truth, random);
    }

    @Test
    void aCopyIsIndependentOfItsOriginal() {
        NameIndex index = new NameIndex();
        String[] names = {"alice", "bob"};
        index.add(names[0].hashCode(), 0);
        NameIndex copy = index.copy();
        index.add(names[1].hashCode(), 1);
        assertThat(index.find("bob", "bob".hashCode(), names)).isEqualTo(1);
        assertThat(copy.find("bob", "bob".hashCode(), names)).isEqualTo(NameIndex.NONE);
        assertThat(copy.find("alice", "alice".hashCode(), names)).isZero();
    }

    private static void assertAnswersAsTheMap(NameIndex index, List<String> names, Map<String, Integer> truth, Random random) {
        String[] known = names.toArray(String[]::new);
        assertThat(index.size()).isEqualTo(truth.size());
        for (Map.Entry<String, Integer> e : truth.entrySet()) {
            assertThat(index.find(e.getKey(), e.getKey().hashCode(), known)).as(e.getKey()).isEqualTo(e.getValue());
        }
        for (int i = 0; i < 200; i++) {
            String absent = random.nextBoolean() ? "nobody-" + i : colliding(random) + "x";
            if (!truth.containsKey(absent)) {
                assertThat(index.find(absent, absent.hashCode(), known)).as(absent).isEqualTo(NameIndex.NONE);
            }
        }
    }

    /** One of 256 names of the same hash. */
    private static String colliding(Random random) {
        StringBuilder name = new StringBuilder();
        int bits = random.nextInt(256);
        for (int i = 0; i < 8; i++) {
            name.append((bits >> i & 1) == 0 ? "Aa" : "BB");
        }
        return name.toString();
    }
}
