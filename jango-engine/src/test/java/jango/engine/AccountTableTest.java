package jango.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AccountTable} finds every account as a map of (owner, asset) would, through creation and
 * the undo of a failed command's accounts and owners ({@link AccountTable#truncate}), with owners
 * of up to ten assets, so that an owner's list ({@link AccountTable#INLINE} entries) fills and its
 * further accounts go to the map, and both are cut back. A copy keeps what it was copied from.
 */
class AccountTableTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void findsEveryAccountThroughCreationAndUndoWhenOwnersHoldMoreAssetsThanTheirListHas(long seed) {
        Random random = new Random(seed);
        AccountTable table = new AccountTable();
        Map<String, Integer> truth = new HashMap<>(); // "owner/asset" -> slot
        List<String> owners = new ArrayList<>();
        AccountTable copy = null;
        Map<String, Integer> truthAtCopy = null;
        for (int step = 0; step < 3_000; step++) {
            int accountsBefore = table.count();
            int ownersBefore = table.ownerCount();
            Map<String, Integer> created = new HashMap<>();
            List<String> ownersCreated = new ArrayList<>();
            int creations = 1 + random.nextInt(4);
            for (int c = 0; c < creations; c++) {
                String owner = random.nextInt(4) == 0 || owners.isEmpty() ? "user-" + random.nextInt(2_000) : owners.get(random.nextInt(owners.size()));
                int asset = random.nextInt(10);
                int ownerId = table.internOwner(owner);
                if (ownerId >= ownersBefore && !ownersCreated.contains(owner)) {
                    ownersCreated.add(owner);
                }
                if (table.slot(ownerId, asset) == AccountTable.NONE) {
                    assertThat(truth).doesNotContainKey(owner + "/" + asset);
                    int slot = table.create(ownerId, asset);
                    created.put(owner + "/" + asset, slot);
                    truth.put(owner + "/" + asset, slot);
                }
            }
            if (random.nextInt(3) == 0) { // the command failed: what it created goes
                table.truncate(accountsBefore, ownersBefore);
                created.keySet().forEach(truth::remove);
            } else {
                owners.addAll(ownersCreated);
            }
            if (step == 1_000) {
                copy = table.copy();
                truthAtCopy = new HashMap<>(truth);
            }
            if (step % 250 == 0) {
                assertFindsExactly(table, truth);
            }
        }
        assertFindsExactly(table, truth);
        assertThat(table.count()).isEqualTo(truth.size());
        assertFindsExactly(copy, truthAtCopy);
        assertThat(copy.count()).isEqualTo(truthAtCopy.size()).isLessThan(table.count());
        long ownersPastTheirList = owners.stream()
                .filter(owner -> truth.keySet().stream().filter(key -> key.startsWith(owner + "/")).count() > AccountTable.INLINE)
                .count();
        assertThat(ownersPastTheirList).as("owners with accounts in the map").isPositive();
    }

    private static void assertFindsExactly(AccountTable table, Map<String, Integer> truth) {
        for (Map.Entry<String, Integer> e : truth.entrySet()) {
            String owner = e.getKey().substring(0, e.getKey().indexOf('/'));
            int asset = Integer.parseInt(e.getKey().substring(e.getKey().indexOf('/') + 1));
            assertThat(table.slot(owner, asset)).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(table.owner(e.getValue())).isEqualTo(owner);
            assertThat(table.assetOf(e.getValue())).isEqualTo(asset);
        }
        for (int i = 0; i < 200; i++) {
            String owner = "user-" + i;
            for (int asset = 0; asset < 10; asset++) {
                if (!truth.containsKey(owner + "/" + asset)) {
                    assertThat(table.slot(owner, asset)).as(owner + "/" + asset).isEqualTo(AccountTable.NONE);
                }
            }
        }
    }
}
