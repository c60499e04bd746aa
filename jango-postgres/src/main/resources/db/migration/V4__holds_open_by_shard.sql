-- A shard's load (ShardLoader.OPEN_HOLDS) reads its open holds. Holds that ended stay in the table
-- (their final state is queryable), so through holds_by_shard the load read every hold the shard
-- ever had: 3,213 pages and 270 ms a load at 825,000 holds, growing with them without bound. This
-- index holds the open ones only, so a load reads what it restores.
CREATE INDEX holds_open_by_shard ON holds (shard) WHERE state = 'OPEN';
