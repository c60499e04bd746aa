package jango.embedded.index;

import jango.engine.BalanceChange;
import jango.engine.Int128;
import jango.engine.port.HistoryEntry;
import jango.engine.port.HistoryPage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class LedgerIndexTest {
    private static final List<String> OWNERS = List.of("u1", "u2", "u3", "@fees");
    private static final List<String> ASSETS = List.of("BTC", "USDT", "ETH", "AAVE");

    @TempDir
    Path dir;

    @Test
    void listsNewestFirstWithTiesByAssetThenRevisionDescending() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(List.of(
                    change(1, "u1", "USDT", 1),
                    // A trade: the log emits USDT before BTC; ties still sort by asset.
                    change(2, "u1", "USDT", 2), change(2, "u1", "BTC", 1), change(2, "u2", "BTC", 1),
                    // One expiry tick releases two holds of the same account and asset.
                    expiry(3, "u1", "BTC", 2), expiry(3, "u1", "BTC", 3),
                    change(4, "u1", "ETH", 1),
                    // "AAVE" < "ETH" although it is longer: asset order is lexical, not by length.
                    change(5, "u1", "ETH", 2), change(5, "u1", "AAVE", 1)), 5);

            List<HistoryEntry> entries = index.page("u1", null, 100, null).entries();

            assertThat(entries).extracting(e -> e.seq() + ":" + e.asset() + ":" + e.revision()).containsExactly(
                    "5:AAVE:1", "5:ETH:2", "4:ETH:1", "3:BTC:3", "3:BTC:2", "2:BTC:1", "2:USDT:2", "1:USDT:1");
            assertThat(entries.get(3).commandId()).isNull();
            assertThat(entries.get(3).type()).isEqualTo("expire");
        }
    }

    @Test
    void keepsEveryFieldIncludingAmountsBeyond64Bits() throws Exception {
        Int128 twoTo64 = Int128.of(1, 0);
        BalanceChange wide = new BalanceChange(9, 1_763_000_000_123_456L, "trade-7", "transfer", "u1", "ETH",
                Int128.MAX, twoTo64, Int128.MIN, twoTo64.negate(), 42);
        BalanceChange narrow = new BalanceChange(10, 0, "ü-id", "adjust", "u1", "BTC",
                Int128.ZERO, Int128.of(5), Int128.of(-1), Int128.of(Long.MIN_VALUE), 1);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(List.of(wide, narrow), 10);

            assertThat(index.page("u1", null, 10, null).entries())
                    .containsExactly(HistoryWorkload.entry(narrow), HistoryWorkload.entry(wide));
        }
    }

    @Test
    void assetFilterListsOnlyThatAsset() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(List.of(
                    change(1, "u1", "BTC", 1), change(2, "u1", "BTCX", 1), change(3, "u1", "USDT", 1),
                    change(4, "u1", "BTC", 2), expiry(5, "u1", "BTC", 3), expiry(5, "u1", "BTC", 4)), 5);

            assertThat(index.page("u1", "BTC", 100, null).entries())
                    .extracting(e -> e.asset() + ":" + e.revision())
                    .containsExactly("BTC:4", "BTC:3", "BTC:2", "BTC:1");
            assertThat(index.page("u1", "BTCX", 100, null).entries()).extracting(HistoryEntry::seq).containsExactly(2L);
            assertThat(index.page("u1", "BT", 100, null).entries()).isEmpty();
            assertThat(index.page("u1", "ETH", 100, null)).isEqualTo(new HistoryPage(List.of(), null));
        }
    }

    @ParameterizedTest
    @CsvSource({"100,", "1000,", "7,", "100,BTC", "1000,USDT", "1,ETH"})
    void pagingNeverSkipsOrRepeats(int limit, String asset) throws Exception {
        HistoryWorkload workload = new HistoryWorkload(limit, OWNERS, ASSETS);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(workload.untilOwnerHas("u1", 2_500), workload.seq());
            List<HistoryEntry> expected = workload.expected("u1", asset, Long.MAX_VALUE);
            assertThat(expected.size()).isGreaterThanOrEqualTo(asset == null ? 2_500 : 500);

            List<HistoryPage> pages = allPages(index, "u1", asset, limit);

            assertThat(pages.stream().flatMap(p -> p.entries().stream()).toList()).containsExactlyElementsOf(expected);
            assertThat(pages).hasSize((expected.size() + limit - 1) / limit);
            assertThat(pages.getLast().next()).isNull();
        }
    }

    @ParameterizedTest
    @CsvSource({"100,", "1000,", "100,BTC"})
    void pagingWhileAppendingListsTheEntriesAsOfTheFirstPage(int limit, String asset) throws Exception {
        HistoryWorkload workload = new HistoryWorkload(7, OWNERS, ASSETS);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(workload.untilOwnerHas("u1", 2_500), workload.seq());
            List<HistoryEntry> expected = workload.expected("u1", asset, index.indexedSeq());

            List<HistoryEntry> paged = new ArrayList<>();
            String cursor = null;
            do {
                HistoryPage page = index.page("u1", asset, limit, cursor);
                paged.addAll(page.entries());
                cursor = page.next();
                // Newer entries of the same owner and asset arrive between pages.
                index.append(workload.nextSeqs(50), workload.seq());
            } while (cursor != null);

            assertThat(paged).containsExactlyElementsOf(expected);
            assertThat(index.page("u1", asset, 1000, null).entries().getFirst().seq())
                    .isGreaterThan(expected.getFirst().seq());
        }
    }

    @Test
    void readersPagingConcurrentlyWithTheAppenderSeeConsistentHistories() throws Exception {
        HistoryWorkload workload = new HistoryWorkload(11, OWNERS, ASSETS);
        List<List<BalanceChange>> batches = new ArrayList<>();
        List<Long> upTo = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batches.add(workload.nextSeqs(40));
            upTo.add(workload.seq());
        }
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(batches.getFirst(), upTo.getFirst());
            AtomicBoolean appending = new AtomicBoolean(true);
            Future<?> appender = threads.submit(() -> {
                try {
                    for (int i = 1; i < batches.size(); i++) {
                        index.append(batches.get(i), upTo.get(i));
                    }
                } finally {
                    appending.set(false);
                }
                return null;
            });
            List<Future<Integer>> readers = new ArrayList<>();
            for (String asset : new String[] {null, "BTC"}) {
                readers.add(threads.submit(() -> {
                    int rounds = 0;
                    do {
                        List<HistoryEntry> paged = allPages(index, "u1", asset, 50).stream()
                                .flatMap(p -> p.entries().stream()).toList();
                        long newest = paged.isEmpty() ? 0 : paged.getFirst().seq();
                        assertThat(paged).containsExactlyElementsOf(workload.expected("u1", asset, newest));
                        rounds++;
                    } while (appending.get());
                    return rounds;
                }));
            }
            appender.get(60, TimeUnit.SECONDS);
            for (Future<Integer> reader : readers) {
                assertThat(reader.get(60, TimeUnit.SECONDS)).isPositive();
            }
            assertThat(index.indexedSeq()).isEqualTo(workload.seq());
            assertThat(allPages(index, "u1", null, 1000).stream().mapToInt(p -> p.entries().size()).sum())
                    .isEqualTo(workload.expected("u1", null, Long.MAX_VALUE).size());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void rejectsCursorsThatDoNotDecode() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            HistoryWorkload workload = new HistoryWorkload(3, OWNERS, ASSETS);
            index.append(workload.nextSeqs(500), workload.seq());
            String allAssets = index.page("u1", null, 10, null).next();
            String btcOnly = index.page("u1", "BTC", 10, null).next();
            String ofU2 = index.page("u2", null, 10, null).next();
            assertThat(List.of(allAssets, btcOnly, ofU2)).doesNotContainNull();

            for (String bad : List.of("", "!!!", "not a cursor", "AAAA", allAssets.substring(0, allAssets.length() - 3),
                    allAssets + "AA", btcOnly.substring(0, 8))) {
                assertThatThrownBy(() -> index.page("u1", null, 10, bad))
                        .as("cursor %s", bad)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("cursor: ");
            }
            assertThatThrownBy(() -> index.page("u1", "BTC", 10, allAssets)).hasMessageStartingWith("cursor: ");
            assertThatThrownBy(() -> index.page("u1", null, 10, btcOnly)).hasMessageStartingWith("cursor: ");
            assertThatThrownBy(() -> index.page("u1", "USDT", 10, btcOnly)).hasMessageStartingWith("cursor: ");
            assertThatThrownBy(() -> index.page("u1", null, 10, ofU2)).hasMessageStartingWith("cursor: ");
        }
    }

    @Test
    void cursorIsOpaqueUrlSafeText() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(List.of(change(1, "u1", "BTC", 1), change(2, "u1", "BTC", 2)), 2);

            String next = index.page("u1", null, 1, null).next();

            assertThat(next).matches("[A-Za-z0-9_-]+").doesNotContain("u1").doesNotContain("BTC");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 1001, Integer.MAX_VALUE})
    void rejectsLimitsOutside1To1000(int limit) throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            assertThatThrownBy(() -> index.page("u1", null, limit, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("limit: " + limit + " (expected: 1..1000)");
            assertThatCode(() -> index.page("u1", null, 1, null)).doesNotThrowAnyException();
            assertThatCode(() -> index.page("u1", null, 1000, null)).doesNotThrowAnyException();
        }
    }

    @Test
    void reopenKeepsEntriesAndIndexedSeq() throws Exception {
        HistoryWorkload workload = new HistoryWorkload(5, OWNERS, ASSETS);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            assertThat(index.indexedSeq()).isZero();
            index.append(workload.nextSeqs(300), workload.seq());
            index.append(List.of(), workload.seq() + 5); // seqs with no changes (rejected commands) still advance
            index.sync();
        }
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            assertThat(index.indexedSeq()).isEqualTo(workload.seq() + 5);
            assertThat(allEntries(index, "u1", null)).containsExactlyElementsOf(workload.expected("u1", null, Long.MAX_VALUE));
            assertThat(allEntries(index, "@fees", "USDT")).containsExactlyElementsOf(workload.expected("@fees", "USDT", Long.MAX_VALUE));
        }
    }

    /**
     * A stop writes the memtables into table files: the next start has no write-ahead log to
     * replay (62 MB of it took 1.4 s of a restart at 100 million commands).
     */
    @Test
    void aCleanCloseLeavesNoWriteAheadLogToReplay() throws Exception {
        HistoryWorkload workload = new HistoryWorkload(5, OWNERS, ASSETS);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(workload.nextSeqs(300), workload.seq());
            assertThat(writeAheadLogBytes(dir)).as("what was appended is in the log until a flush").isPositive();
        }
        assertThat(writeAheadLogBytes(dir)).isZero();
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            assertThat(index.indexedSeq()).isEqualTo(workload.seq());
            assertThat(allEntries(index, "u1", null)).containsExactlyElementsOf(workload.expected("u1", null, Long.MAX_VALUE));
        }
    }

    /** The bytes of RocksDB's write-ahead log files ({@code 000123.log}) in {@code dir}. */
    static long writeAheadLogBytes(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9]+\\.log")).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void refeedingChangesUpToIndexedSeqIsANoOp() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            List<BalanceChange> first = List.of(change(1, "u1", "BTC", 1), change(2, "u1", "BTC", 2));
            index.append(first, 2);
            List<HistoryEntry> before = index.page("u1", null, 100, null).entries();

            // After a restart the feed repeats what was stored, here with different bodies to prove
            // they are skipped rather than written again; then it continues.
            List<BalanceChange> refeed = List.of(withAvailable(first.get(0), 999), withAvailable(first.get(1), 999),
                    change(3, "u1", "BTC", 3));
            index.append(refeed.subList(0, 2), 2);
            assertThat(index.page("u1", null, 100, null).entries()).isEqualTo(before);
            index.append(refeed, 3);
            index.append(refeed.subList(0, 1), 1);

            assertThat(index.indexedSeq()).isEqualTo(3);
            assertThat(index.page("u1", null, 100, null).entries())
                    .extracting(HistoryEntry::seq, e -> e.available().lo())
                    .containsExactly(
                            tuple(3L, 3L),
                            tuple(2L, 2L),
                            tuple(1L, 1L));
        }
    }

    @Test
    void ownersThatArePrefixesOfEachOtherDoNotMix() throws Exception {
        List<String> owners = List.of("a", "ab", "a:b", "a:", "b", "@a");
        List<String> assets = List.of("BTC", "B", "C", "BC");
        HistoryWorkload workload = new HistoryWorkload(13, owners, assets);
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            index.append(workload.nextSeqs(600), workload.seq());

            for (String owner : owners) {
                assertThat(allEntries(index, owner, null)).as(owner)
                        .containsExactlyElementsOf(workload.expected(owner, null, Long.MAX_VALUE));
                for (String asset : assets) {
                    assertThat(allEntries(index, owner, asset)).as(owner + "/" + asset)
                            .containsExactlyElementsOf(workload.expected(owner, asset, Long.MAX_VALUE));
                }
            }
        }
    }

    @Test
    void ownerAndAssetBoundariesNeverShift() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            // "a"+"BC" and "ab"+"C" spell the same letters.
            index.append(List.of(change(1, "a", "BC", 1), change(2, "ab", "C", 1)), 2);

            assertThat(index.page("a", "BC", 10, null).entries()).extracting(HistoryEntry::seq).containsExactly(1L);
            assertThat(index.page("ab", "C", 10, null).entries()).extracting(HistoryEntry::seq).containsExactly(2L);
            assertThat(index.page("a", null, 10, null).entries()).extracting(HistoryEntry::seq).containsExactly(1L);
            assertThat(index.page("ab", null, 10, null).entries()).extracting(HistoryEntry::seq).containsExactly(2L);
            assertThat(index.page("a", "B", 10, null).entries()).isEmpty();
            assertThat(index.page("ab", "BC", 10, null).entries()).isEmpty();
        }
    }

    @Test
    void rejectsABatchWithAChangeBeyondUpToSeqOrOutOfOrderAndStoresNothingOfIt() throws Exception {
        try (LedgerIndex index = LedgerIndex.open(dir)) {
            assertThatThrownBy(() -> index.append(List.of(change(1, "u1", "BTC", 1), change(3, "u1", "BTC", 2)), 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("seq: 3");
            assertThatThrownBy(() -> index.append(List.of(change(2, "u1", "BTC", 1), change(1, "u1", "BTC", 2)), 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log order");
            assertThatThrownBy(() -> index.append(List.of(change(1, "u1", "BTC", 1), change(2, "", "BTC", 1)), 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("owner: ");

            assertThat(index.indexedSeq()).isZero();
            assertThat(index.page("u1", null, 10, null).entries()).isEmpty();
            index.append(List.of(change(1, "u1", "BTC", 1)), 1);
            assertThat(index.page("u1", null, 10, null).entries()).hasSize(1);
        }
    }

    @Test
    void destroyDeletesTheIndexSoItCanBeRebuilt() throws Exception {
        Path indexDir = dir.resolve("history");
        try (LedgerIndex index = LedgerIndex.open(indexDir)) {
            index.append(List.of(change(1, "u1", "BTC", 1)), 1);
        }
        LedgerIndex.destroy(indexDir);
        assertThat(indexDir).doesNotExist();
        LedgerIndex.destroy(indexDir);

        try (LedgerIndex index = LedgerIndex.open(indexDir)) {
            assertThat(index.indexedSeq()).isZero();
            assertThat(index.page("u1", null, 10, null).entries()).isEmpty();
        }
    }

    @Test
    void aClosedIndexRefusesUseAndClosesOnce() throws Exception {
        LedgerIndex index = LedgerIndex.open(dir);
        index.append(List.of(change(1, "u1", "BTC", 1)), 1);
        index.close();
        index.close();

        assertThat(index.indexedSeq()).isEqualTo(1);
        assertThatThrownBy(() -> index.page("u1", null, 10, null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.append(List.of(), 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(index::sync).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void measuresAppendThroughputInBatchesOf1000() throws Exception {
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            owners.add("user-" + i);
        }
        HistoryWorkload workload = new HistoryWorkload(17, owners, ASSETS);
        List<BalanceChange> changes = new ArrayList<>();
        while (changes.size() < 200_000) {
            changes.addAll(workload.nextSeqs(1_000));
        }
        List<List<BalanceChange>> batches = new ArrayList<>();
        List<Long> upTo = new ArrayList<>();
        for (int from = 0; from < 200_000; ) {
            int to = Math.min(from + 1_000, 200_000);
            // Cut only between seqs so upToSeq stays honest.
            while (to < changes.size() && changes.get(to).seq() == changes.get(to - 1).seq()) {
                to++;
            }
            batches.add(changes.subList(from, to));
            upTo.add(changes.get(to - 1).seq());
            from = to;
        }
        int total = batches.stream().mapToInt(List::size).sum();
        // Warm the JIT on a throwaway index so the figure is the steady append path.
        try (LedgerIndex warmUp = LedgerIndex.open(dir.resolve("warm-up"))) {
            for (int i = 0; i < 50; i++) {
                warmUp.append(batches.get(i), upTo.get(i));
            }
        }
        ThreadMXBean threadTimes = ManagementFactory.getThreadMXBean();
        try (LedgerIndex index = LedgerIndex.open(dir.resolve("measured"))) {
            long startCpu = threadTimes.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            for (int i = 0; i < batches.size(); i++) {
                index.append(batches.get(i), upTo.get(i));
            }
            long appendedNanos = System.nanoTime() - start;
            long appendedCpuNanos = threadTimes.getCurrentThreadCpuTime() - startCpu;
            index.sync();
            long syncedNanos = System.nanoTime() - start;

            int pages = 2_000;
            long pageStart = System.nanoTime();
            for (int i = 0; i < pages; i++) {
                index.page(owners.get(i), null, 100, null);
            }
            long pageNanos = System.nanoTime() - pageStart;

            // Wall time on shared cores swings with the neighbours; the appender's CPU time does not.
            System.out.printf("history append: %,d entries in %,d batches of ~1,000: %,.0f entries/s wall "
                            + "(%,.0f with the final sync), %,.0f entries/s per appender CPU second; "
                            + "first pages (limit 100): %,.0f pages/s%n",
                    total, batches.size(), total * 1e9 / appendedNanos, total * 1e9 / syncedNanos,
                    total * 1e9 / appendedCpuNanos, pages * 1e9 / pageNanos);
            assertThat(index.indexedSeq()).isEqualTo(upTo.getLast());
        }
    }

    private static List<HistoryPage> allPages(LedgerIndex index, String owner, String asset, int limit) {
        List<HistoryPage> pages = new ArrayList<>();
        String cursor = null;
        Set<String> cursors = new HashSet<>();
        do {
            HistoryPage page = index.page(owner, asset, limit, cursor);
            pages.add(page);
            cursor = page.next();
            assertThat(cursor == null || cursors.add(cursor)).as("cursor repeats").isTrue();
        } while (cursor != null);
        return pages;
    }

    private static List<HistoryEntry> allEntries(LedgerIndex index, String owner, String asset) {
        return allPages(index, owner, asset, 1000).stream().flatMap(p -> p.entries().stream()).collect(Collectors.toList());
    }

    private static BalanceChange change(long seq, String owner, String asset, long revision) {
        return new BalanceChange(seq, seq * 1_000_000, "c-" + seq, "deposit", owner, asset,
                Int128.of(revision), Int128.ZERO, Int128.ONE, Int128.ZERO, revision);
    }

    private static BalanceChange expiry(long seq, String owner, String asset, long revision) {
        return new BalanceChange(seq, seq * 1_000_000, null, "expire", owner, asset,
                Int128.of(revision), Int128.of(-revision), Int128.ONE, Int128.ONE.negate(), revision);
    }

    private static BalanceChange withAvailable(BalanceChange c, long available) {
        return new BalanceChange(c.seq(), c.atMicros(), c.commandId(), c.type(), c.account(), c.asset(),
                Int128.of(available), c.held(), c.availableDelta(), c.heldDelta(), c.revision());
    }
}
