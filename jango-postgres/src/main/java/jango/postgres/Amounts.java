package jango.postgres;

import jango.engine.Int128;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Int128 minor units to and from NUMERIC(39,0): exact both ways, and no BigInteger for the common long-sized amount. */
final class Amounts {
    private Amounts() {
    }

    static BigDecimal toNumeric(Int128 value) {
        long hi = value.hi();
        long lo = value.lo();
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) {
            return BigDecimal.valueOf(lo);
        }
        return new BigDecimal(value.toBigInteger());
    }

    static Int128 fromNumeric(BigDecimal value, String what) {
        if (value == null) {
            throw new IllegalStateException(what + " is null");
        }
        BigInteger integer;
        try {
            integer = value.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalStateException(what + " is not a whole number of minor units: " + value, e);
        }
        if (integer.bitLength() < 64) {
            return Int128.of(integer.longValue());
        }
        try {
            return Int128.fromBigInteger(integer);
        } catch (ArithmeticException e) {
            throw new IllegalStateException(what + " is outside 128 bits: " + value, e);
        }
    }

    static void set(PreparedStatement statement, int index, Int128 value) throws SQLException {
        statement.setBigDecimal(index, toNumeric(value));
    }

    static Int128 get(ResultSet row, String column) throws SQLException {
        return fromNumeric(row.getBigDecimal(column), column);
    }
}
