package jango.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The statement's text for every page shape; PgShardStoreTest runs each against a real server. */
class HistoryQueryTest {
    @Test
    void noParameterRunsIntoTheNextWord() {
        for (boolean oneAsset : new boolean[] {false, true}) {
            for (boolean afterCursor : new boolean[] {false, true}) {
                String sql = HistoryQuery.sql(oneAsset, afterCursor);
                // "?AND" is "$2AND" on the server, which PostgreSQL 15 and newer refuse.
                assertThat(sql).as("asset=%s after=%s: %s", oneAsset, afterCursor, sql).doesNotContainPattern("\\?[A-Za-z]");
                assertThat(sql).doesNotContainPattern("[A-Za-z]\\?");
                long parameters = sql.chars().filter(c -> c == '?').count();
                long expected = 2 + (oneAsset ? 1 : 0) + (afterCursor ? (oneAsset ? 8 : 10) : 0);
                assertThat(parameters).isEqualTo(expected);
            }
        }
    }
}
