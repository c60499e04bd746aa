/**
 * The PostgreSQL baseline: Jango's money model built "the classic way", as a balances table
 * changed under row locks, so a benchmark can put Jango next to it on the same machine.
 *
 * <ul>
 *   <li>{@link jango.bench.postgres.PostgresServer}: a real PostgreSQL (embedded, from Maven) or the user's, durable.</li>
 *   <li>{@link jango.bench.postgres.PostgresLedger} and {@link jango.bench.postgres.LedgerSession}: the same commands,
 *       outcomes and rejection reasons as the engine; ROW_LOCK (a transaction per command) and BATCHED (per batch).</li>
 *   <li>{@link jango.bench.postgres.PostgresBaseline}: N clients for a duration; throughput, latency, retries, checks.</li>
 *   <li>{@link jango.bench.postgres.Pgbench}: PostgreSQL's own TPC-B figure on the same server, when pgbench is installed.</li>
 *   <li>{@link jango.bench.postgres.PostgresBaselineMain}: prints the figures.</li>
 * </ul>
 */
package jango.bench.postgres;
