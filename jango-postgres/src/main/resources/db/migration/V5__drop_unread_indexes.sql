-- Two indexes that no query reads, each written with every row of a hot table:
-- - results_by_shard: results are read by command id only (their primary key); one more index entry
--   and its WAL for every command.
-- - holds_by_shard: a shard's load reads its open holds through holds_open_by_shard (V4), the audit
--   reads the whole table, and the commit asks about holds by id. A hold's update changes its state,
--   which the partial index's predicate names, so it is never HOT: every update wrote this index too.
DROP INDEX results_by_shard;
DROP INDEX holds_by_shard;
