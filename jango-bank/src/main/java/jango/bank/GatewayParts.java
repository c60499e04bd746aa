package jango.bank;

import jango.bank.store.GatewayStore;
import jango.engine.port.Ledger;

import java.util.Map;

/** What the withdrawal and deposit flows work with, built once by {@link BankGateway}. */
record GatewayParts(GatewayConfig config, Ledger ledger, GatewayStore store, Lanes lanes, Map<String, BankChannel> channels,
                    BankMetrics metrics) {
}
