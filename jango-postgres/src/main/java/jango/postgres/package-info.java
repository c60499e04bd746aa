/**
 * Distributed mode's store in PostgreSQL: {@link jango.postgres.PgShardStore} implements the
 * engine's {@code ShardStore} port (schema in {@code db/migration}, applied by Flyway on open;
 * connections from a bounded HikariCP pool; each batch one transaction of JDBC batches behind an
 * epoch check). Everything but {@code PgShardStore} and {@code PgConfig} is internal to it.
 */
package jango.postgres;
