package jango.channel;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares the copy with the ledger, account by account: the number of entries and a checksum per
 * asset (SHA-256 over every field of every entry in revision order), the ledger's read from its
 * history. A difference is rewritten from the ledger unless this is a dry run. The accounts are
 * every account the copy has and every one the ledger's feed has carried, walked in order a page
 * at a time (memory does not grow with the number of accounts).
 */
public final class Resync {
    private static final Logger log = LoggerFactory.getLogger(Resync.class);
    private static final int MAX_LISTED_DIFFERENCES = 100;

    private final LedgerClient ledger;
    private final ChannelStore store;

    public Resync(LedgerClient ledger, ChannelStore store) {
        this.ledger = ledger;
        this.store = store;
    }

    /** What a resync found: accounts and (account, asset) pairs compared, those that differed, rows rewritten. */
    public record Result(long accounts, long assets, long differing, long rowsRewritten, List<String> differences) {
        public boolean equal() {
            return differing == 0;
        }
    }

    public Result run(boolean dryRun) throws IOException, SQLException {
        return run(dryRun, null);
    }

    /** Only {@code accounts} when given, else every account. */
    public Result run(boolean dryRun, List<String> accounts) throws IOException, SQLException {
        long compared = 0;
        long assets = 0;
        long differing = 0;
        long rewritten = 0;
        List<String> differences = new ArrayList<>();
        Iterator<String> all = accounts != null ? new TreeSet<>(accounts).iterator() : allAccounts();
        while (all.hasNext()) {
            String account = all.next();
            compared++;
            List<ChangeRecord> truth = ledger.fullHistory(account, null);
            Map<String, ChannelStore.Summary> theirs = ChannelStore.summarize(truth);
            Map<String, ChannelStore.Summary> ours = store.summaries(account);
            TreeSet<String> both = new TreeSet<>(theirs.keySet());
            both.addAll(ours.keySet());
            for (String asset : both) {
                assets++;
                if (Objects.equals(theirs.get(asset), ours.get(asset))) {
                    continue;
                }
                differing++;
                if (differences.size() < MAX_LISTED_DIFFERENCES) {
                    differences.add(account + " " + asset + ": ledger " + describe(theirs.get(asset)) + ", channel " + describe(ours.get(asset)));
                }
                if (!dryRun) {
                    rewritten += store.rewrite(account, asset, truth.stream().filter(r -> r.asset().equals(asset)).toList());
                }
            }
        }
        log.info("event=resync dry_run={} accounts={} assets={} differing={} rows_rewritten={}", dryRun, compared, assets, differing, rewritten);
        return new Result(compared, assets, differing, rewritten, differences);
    }

    private static String describe(ChannelStore.Summary summary) {
        return summary == null ? "none" : summary.entries() + " entries, checksum " + summary.checksum().substring(0, 16);
    }

    /** The ledger feed's accounts and the copy's, merged in order without repeats. */
    private Iterator<String> allAccounts() {
        Iterator<String> fromLedger = new Paged(after -> {
            LedgerClient.Page<String> page = ledger.feedAccounts(after);
            return page.items();
        });
        Iterator<String> fromCopy = new Paged(after -> store.accounts(after, LedgerClient.PAGE));
        return new Iterator<>() {
            String a = next(fromLedger);
            String b = next(fromCopy);

            @Override
            public boolean hasNext() {
                return a != null || b != null;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                String smaller = a == null ? b : b == null ? a : a.compareTo(b) <= 0 ? a : b;
                if (smaller.equals(a)) {
                    a = next(fromLedger);
                }
                if (smaller.equals(b)) {
                    b = next(fromCopy);
                }
                return smaller;
            }

            private String next(Iterator<String> it) {
                return it.hasNext() ? it.next() : null;
            }
        };
    }

    @FunctionalInterface
    private interface PageAfter {
        List<String> after(String last) throws IOException, SQLException;
    }

    /** Walks a list read a page at a time, each page after the last item of the one before. */
    private static final class Paged implements Iterator<String> {
        private final PageAfter pages;
        private List<String> page = List.of();
        private int index;
        private String last;
        private boolean done;

        Paged(PageAfter pages) {
            this.pages = pages;
        }

        @Override
        public boolean hasNext() {
            if (index < page.size()) {
                return true;
            }
            if (done) {
                return false;
            }
            try {
                page = pages.after(last);
            } catch (IOException | SQLException e) {
                throw new IllegalStateException("listing accounts failed: " + e.getMessage(), e);
            }
            index = 0;
            done = page.isEmpty();
            return !page.isEmpty();
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            last = page.get(index++);
            return last;
        }
    }
}
