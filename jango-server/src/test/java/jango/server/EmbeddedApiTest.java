package jango.server;

import com.fasterxml.jackson.databind.JsonNode;
import jango.server.TestServer.Reply;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The API contract on the embedded backend, and what only the embedded backend promises. */
class EmbeddedApiTest extends ApiContract {

    @Override
    protected TestServer startServer(Path dir) throws Exception {
        return TestServer.start(dir);
    }

    /** One log for everything: the admin state's seq is the log position, at or past every answered command. */
    @Test
    void adminStateSeqIsTheLogPositionPastEveryAnsweredCommand() {
        Reply first = deposit(user(), "KRW", "5");
        JsonNode state = jango.get("/v1/admin/state").json();
        assertThat(state.get("seq").asLong()).isGreaterThanOrEqualTo(applied(first).get("seq").asLong());
    }

    /** The id filter's crowding is on /metrics: a handful of ids in a fresh data directory rule nearly every new one out. */
    @Test
    void metricsShowTheIdFiltersFalsePositiveRate() {
        deposit(user(), "KRW", "1");
        String line = jango.get("/metrics").body().lines().filter(l -> l.startsWith("jango_id_filter_false_positives "))
                .findFirst().orElseThrow(() -> new AssertionError("no jango_id_filter_false_positives on /metrics"));
        double rate = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
        assertThat(rate).isBetween(0.0, 1e-6);
    }
}
