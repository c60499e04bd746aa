-- The assets each shard's log registered: a shard's engine knows an asset from the log entry that
-- registered it on, never earlier, so replaying the shard's log gives exactly its state. The
-- global assets table stays the authority that decides a code's scale once for all shards.
CREATE TABLE shard_assets (
    shard integer          NOT NULL,
    code  text COLLATE "C" NOT NULL,
    scale smallint         NOT NULL CHECK (scale BETWEEN 0 AND 18),
    PRIMARY KEY (shard, code)
);
-- Stores made before: every shard knew every registered asset.
INSERT INTO shard_assets (shard, code, scale) SELECT s.shard, a.code, a.scale FROM shards s CROSS JOIN assets a;
