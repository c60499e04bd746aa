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
}
