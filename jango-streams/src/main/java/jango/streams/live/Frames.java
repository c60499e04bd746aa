package jango.streams.live;

import jango.engine.BalanceChange;
import jango.engine.BalanceView;

import java.util.List;
import java.util.Map;

/** How a {@link LiveStream}'s events look on its wire (SSE text events or WebSocket JSON messages). */
interface Frames {
    /** The account's balances when a stream starts without a position; {@code position} is where it stands. */
    String snapshot(String account, List<BalanceView> balances, Position position);

    /** One change; {@code position} is the account's stream position after it. */
    String change(BalanceChange change, Position position);

    String heartbeat();

    /** The last frame: why the stream ends and where each account stands, to resume from. */
    String closed(CloseReason reason, String message, Map<String, Position> positions);
}
