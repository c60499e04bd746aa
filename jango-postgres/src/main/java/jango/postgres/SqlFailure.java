package jango.postgres;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/**
 * Whether a failed statement is an outage a retry may get past, or a bug no retry fixes, by the
 * server's SQLSTATE (PostgreSQL's appendix "Error codes"). Only what a retry can change counts as
 * an outage: the connection, the server shutting down or starting, too little memory, disk or
 * connections, a lost serialization race or deadlock, a lock or session timeout, a standby after a
 * failover, and the database's own internal errors. Everything else (syntax errors, undefined
 * tables and columns, broken NOT NULL or CHECK constraints, data errors such as a numeric overflow)
 * is a bug in our SQL or schema: retrying would fail the same way forever.
 */
final class SqlFailure {
    /** 08 connection, 40 transaction rollback, 53 insufficient resources, 57 operator intervention, 58 system (I/O), XX internal. */
    private static final Set<String> OUTAGE_CLASSES = Set.of("08", "40", "53", "57", "58", "XX");
    /** 55P03 lock_not_available (lock_timeout), 25P03 idle-in-transaction timeout, 25P04 transaction_timeout, 25006 a read-only standby. */
    private static final Set<String> OUTAGE_STATES = Set.of("55P03", "25P03", "25P04", "25006");
    private static final String UNIQUE_VIOLATION = "23505";
    /**
     * Command ids are global: two shards may store the same one at once, and the later commit fails
     * on this key. The shard reloads and then answers the id from the other shard's row.
     */
    private static final Set<String> RACED_CONSTRAINTS = Set.of("results_pkey");

    private SqlFailure() {
    }

    /** True when a retry may succeed; false for a bug. */
    static boolean isOutage(SQLException e) {
        SQLException cause = serverError(e);
        if (cause instanceof SQLTransientException || cause instanceof SQLRecoverableException) {
            return true; // the pool had no connection in time, or the driver lost the connection
        }
        String state = cause.getSQLState();
        if (state == null || state.length() != 5) {
            return true; // the driver failed without the server's word: nothing shows it is our bug
        }
        if (state.equals(UNIQUE_VIOLATION)) {
            return RACED_CONSTRAINTS.contains(constraint(cause));
        }
        return OUTAGE_STATES.contains(state) || OUTAGE_CLASSES.contains(state.substring(0, 2));
    }

    /** A batch's own exception quotes the rewritten statement with its values; the server's error is the next one. */
    static SQLException serverError(SQLException e) {
        return e instanceof BatchUpdateException && e.getNextException() != null ? e.getNextException() : e;
    }

    private static String constraint(SQLException e) {
        ServerErrorMessage message = e instanceof PSQLException psql ? psql.getServerErrorMessage() : null;
        return message == null ? null : message.getConstraint();
    }
}
