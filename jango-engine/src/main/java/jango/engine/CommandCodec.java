package jango.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a command in the log. Also its fingerprint: two bodies are "the same" for
 * idempotency exactly when their encodings are equal, so the comparison is by meaning (JSON key
 * order and spacing do not matter) and exact (no hash to collide).
 */
public final class CommandCodec {
    private static final int DEPOSIT = 1;
    private static final int WITHDRAW = 2;
    private static final int HOLD = 3;
    private static final int RELEASE = 4;
    private static final int TRANSFER = 5;
    private static final int ADJUST = 6;
    private static final int REGISTER_ASSET = 7;
    private static final int TICK = 8;
    private static final int PREPARE = 9;
    private static final int VOTE = 10;
    private static final int COMMIT = 11;
    private static final int ABORT = 12;
    private static final int DONE = 13;

    private CommandCodec() {
    }

    public static byte[] encode(Command command) {
        // Sized for a three-leg settlement, so the common commands never regrow the buffer.
        ByteWriter out = new ByteWriter(384);
        encode(command, out);
        return out.toByteArray();
    }

    public static void encode(Command command, ByteWriter out) {
        switch (command) {
            case Command.Deposit d -> {
                out.writeByte(DEPOSIT);
                out.writeString(d.id());
                out.writeString(d.account());
                out.writeString(d.asset());
                writeDecimal(out, d.amount());
            }
            case Command.Withdraw w -> {
                out.writeByte(WITHDRAW);
                out.writeString(w.id());
                out.writeString(w.account());
                out.writeString(w.asset());
                writeDecimal(out, w.amount());
            }
            case Command.PlaceHold h -> {
                out.writeByte(HOLD);
                out.writeString(h.id());
                out.writeString(h.account());
                out.writeString(h.asset());
                writeDecimal(out, h.amount());
                out.writeString(h.holdId());
                out.writeLong(h.expiresAtMicros());
            }
            case Command.Release r -> {
                out.writeByte(RELEASE);
                out.writeString(r.id());
                out.writeString(r.holdId());
                out.writeByte(r.amount() == null ? 0 : 1);
                if (r.amount() != null) {
                    writeDecimal(out, r.amount());
                }
            }
            case Command.Transfer t -> {
                out.writeByte(TRANSFER);
                out.writeString(t.id());
                writeLegs(out, t.legs());
            }
            case Command.Adjust a -> {
                out.writeByte(ADJUST);
                out.writeString(a.id());
                out.writeString(a.account());
                out.writeString(a.asset());
                writeDecimal(out, a.amount());
                out.writeString(a.reason());
            }
            case Command.RegisterAsset r -> {
                out.writeByte(REGISTER_ASSET);
                out.writeString(r.code());
                out.writeByte(r.scale());
            }
            case Command.Tick t -> out.writeByte(TICK);
            case Command.Protocol p -> encodeProtocol(p, out);
        }
    }

    private static void encodeProtocol(Command.Protocol protocol, ByteWriter out) {
        switch (protocol) {
            case Command.Prepare p -> {
                out.writeByte(PREPARE);
                writeProtocolHead(out, p);
                out.writeInt(p.coordinator());
                out.writeLong(p.deadlineMicros());
                out.writeByte(p.limit());
                writeLegs(out, p.legs());
            }
            case Command.Vote v -> {
                out.writeByte(VOTE);
                writeProtocolHead(out, v);
                out.writeByte(v.vote());
                out.writeInt(v.failKey());
                out.writeByte(v.reason() == null ? -1 : v.reason().ordinal());
                out.writeString(v.message());
            }
            case Command.Commit c -> {
                out.writeByte(COMMIT);
                writeProtocolHead(out, c);
                out.writeInt(c.coordinator());
            }
            case Command.Abort a -> {
                out.writeByte(ABORT);
                writeProtocolHead(out, a);
                out.writeInt(a.coordinator());
            }
            case Command.Done d -> {
                out.writeByte(DONE);
                writeProtocolHead(out, d);
                out.writeByte(d.committed() ? 1 : 0);
                out.writeByte(d.balances().size());
                for (BalanceView balance : d.balances()) {
                    out.writeString(balance.account());
                    out.writeString(balance.asset());
                    out.writeInt128(balance.available());
                    out.writeInt128(balance.held());
                    out.writeLong(balance.revision());
                }
            }
        }
    }

    private static void writeProtocolHead(ByteWriter out, Command.Protocol protocol) {
        out.writeString(protocol.id());
        out.writeString(protocol.transferId());
        out.writeInt(protocol.attempt());
        out.writeInt(protocol.shard());
    }

    private static void writeLegs(ByteWriter out, List<Leg> legs) {
        out.writeByte(legs.size());
        for (Leg leg : legs) {
            out.writeString(leg.from());
            out.writeString(leg.to());
            out.writeString(leg.asset());
            writeDecimal(out, leg.amount());
            out.writeString(leg.holdId());
        }
    }

    private static List<Leg> readLegs(ByteReader in) {
        int count = in.readByte();
        List<Leg> legs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            legs.add(new Leg(in.readString(), in.readString(), in.readString(), readDecimal(in), in.readString()));
        }
        return legs;
    }

    /** @throws IllegalArgumentException when the bytes are not a well-formed command */
    public static Command decode(ByteReader in) {
        int type = in.readByte();
        return switch (type) {
            case DEPOSIT -> new Command.Deposit(in.readString(), in.readString(), in.readString(), readDecimal(in));
            case WITHDRAW -> new Command.Withdraw(in.readString(), in.readString(), in.readString(), readDecimal(in));
            case HOLD -> new Command.PlaceHold(in.readString(), in.readString(), in.readString(), readDecimal(in),
                    in.readString(), in.readLong());
            case RELEASE -> {
                String id = in.readString();
                String hold = in.readString();
                yield new Command.Release(id, hold, in.readByte() == 0 ? null : readDecimal(in));
            }
            case TRANSFER -> {
                String id = in.readString();
                yield new Command.Transfer(id, readLegs(in));
            }
            case ADJUST -> new Command.Adjust(in.readString(), in.readString(), in.readString(), readDecimal(in), in.readString());
            case REGISTER_ASSET -> new Command.RegisterAsset(in.readString(), in.readByte());
            case TICK -> new Command.Tick();
            case PREPARE -> new Command.Prepare(in.readString(), in.readString(), in.readInt(), in.readInt(), in.readInt(),
                    in.readLong(), in.readByte(), readLegs(in));
            case VOTE -> {
                String id = in.readString();
                String transferId = in.readString();
                int attempt = in.readInt();
                int shard = in.readInt();
                int vote = in.readByte();
                int failKey = in.readInt();
                int reason = (byte) in.readByte();
                if (reason >= Reason.values().length) {
                    throw new IllegalArgumentException("vote reason " + reason);
                }
                yield new Command.Vote(id, transferId, attempt, shard, vote, failKey, reason < 0 ? null : Reason.values()[reason],
                        in.readString());
            }
            case COMMIT -> new Command.Commit(in.readString(), in.readString(), in.readInt(), in.readInt(), in.readInt());
            case ABORT -> new Command.Abort(in.readString(), in.readString(), in.readInt(), in.readInt(), in.readInt());
            case DONE -> {
                String id = in.readString();
                String transferId = in.readString();
                int attempt = in.readInt();
                int shard = in.readInt();
                boolean committed = in.readByte() == 1;
                int count = in.readByte();
                List<BalanceView> balances = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    balances.add(new BalanceView(in.readString(), in.readString(), in.readInt128(), in.readInt128(), in.readLong()));
                }
                yield new Command.Done(id, transferId, attempt, shard, committed, balances);
            }
            default -> throw new IllegalArgumentException("unknown command type " + type);
        };
    }

    private static void writeDecimal(ByteWriter out, Decimal amount) {
        out.writeByte(amount.fractionDigits());
        out.writeByte(amount.overflowed() ? 1 : 0);
        if (amount.overflowed()) {
            out.writeString(amount.overflowText());
        } else {
            out.writeInt128(amount.unscaled());
        }
    }

    private static Decimal readDecimal(ByteReader in) {
        int fractionDigits = in.readByte();
        if (in.readByte() == 1) {
            return new Decimal(null, fractionDigits, in.readString());
        }
        return new Decimal(in.readInt128(), fractionDigits);
    }
}
