package jango.bank;

import java.nio.file.Path;
import java.util.List;

/** {@link BankRig} for tests in other packages: one bank, and a small day of business on it. */
public final class BankRigAccess implements AutoCloseable {
    private final BankRig rig;

    private BankRigAccess(BankRig rig) {
        this.rig = rig;
    }

    public static BankRigAccess start(Path dir) throws Exception {
        return new BankRigAccess(BankRig.start(dir, List.of("004")));
    }

    public BankGateway gateway() {
        return rig.gateway;
    }

    /** Three paid withdrawals, one refused, a deposit to a known virtual account and one to suspense; waits until all settle. */
    public void day() throws Exception {
        rig.fund("u1", 1_000_000);
        rig.gateway.putVirtualAccount("27900001", "u2");
        for (int i = 0; i < 3; i++) {
            rig.withdraw("w" + i, "u1", 10_000 * (i + 1), "004", "110-123");
        }
        rig.withdraw("w-refused", "u1", 5_000, "004", "999-closed");
        rig.sim.bank("004").deposit("27900001", 4_000, "김철수");
        rig.sim.bank("004").deposit("55500009", 3_000, "누구");
        for (int i = 0; i < 3; i++) {
            rig.awaitStatus("w" + i, WithdrawalStatus.COMPLETED, 10_000);
        }
        rig.awaitStatus("w-refused", WithdrawalStatus.FAILED, 10_000);
        BankRig.await("deposits acknowledged", 10_000, () -> rig.sim.bank("004").books().deposits().stream().allMatch(d -> d.acked()));
    }

    public Path endOfDay() throws Exception {
        return rig.sim.bank("004").endOfDay();
    }

    @Override
    public void close() {
        rig.close();
    }
}
