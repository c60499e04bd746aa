package jango.engine;

/** Receives the engine's events while a command is applied, in log order. */
public interface EngineListener {
    EngineListener NONE = new EngineListener() {
    };

    default void balanceChanged(BalanceChange change) {
    }

    default void holdChanged(HoldView hold) {
    }
}
