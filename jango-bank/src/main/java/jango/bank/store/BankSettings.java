package jango.bank.store;

import java.util.List;

/**
 * What an operator changed about a bank through the admin API; it overrides the configuration
 * file and survives restarts. A null limit keeps the configured one.
 */
public record BankSettings(Integer tps, Integer concurrency, Integer queueCapacity, List<Window> announced) {
    public record Window(String id, String from, String to, String reason) {
    }

    public BankSettings {
        announced = announced == null ? List.of() : List.copyOf(announced);
    }

    public static final BankSettings NONE = new BankSettings(null, null, null, List.of());
}
