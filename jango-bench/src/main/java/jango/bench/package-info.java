/**
 * Benchmarks: the exchange-day workload driven through the HTTP API, the PostgreSQL baselines run
 * on the same machine in the same run, and JMH benchmarks of the engine and the journal alone.
 */
package jango.bench;
