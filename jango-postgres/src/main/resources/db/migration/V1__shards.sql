-- Distributed mode's store: each shard's owner, epoch and log position, and every shard's state.
-- Names that are compared or ordered are COLLATE "C" (byte order: the same on every server, and
-- Java's order for these ASCII names). Amounts are exact 128-bit integers of minor units,
-- NUMERIC(39,0): never floating point.

CREATE TABLE meta (
    id          smallint PRIMARY KEY CHECK (id = 1),
    shard_count integer  NOT NULL CHECK (shard_count > 0)
);

-- One writer per shard: the owner holds the current epoch, and every commit first updates this row
-- under its epoch (the row lock orders a commit and an acquire; a stale epoch matches no row).
CREATE TABLE shards (
    shard          integer PRIMARY KEY CHECK (shard >= 0),
    epoch          bigint  NOT NULL DEFAULT 0,
    owner          text,
    next_offset    bigint  NOT NULL DEFAULT 0,
    last_seq       bigint  NOT NULL DEFAULT 0,
    last_at_micros bigint  NOT NULL DEFAULT 0,
    halted_reason  text
) WITH (fillfactor = 50);

CREATE TABLE assets (
    code  text COLLATE "C" PRIMARY KEY,
    scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 18)
);

-- A user owner lives on one shard; a system owner (@...) has a row per shard it was touched on.
-- Rows are updated in place by every batch: room on each page keeps the updates HOT.
CREATE TABLE balances (
    shard     integer         NOT NULL,
    owner     text COLLATE "C" NOT NULL,
    asset     text COLLATE "C" NOT NULL,
    available numeric(39, 0)  NOT NULL,
    held      numeric(39, 0)  NOT NULL,
    revision  bigint          NOT NULL,
    PRIMARY KEY (shard, owner, asset)
) WITH (fillfactor = 80);
CREATE INDEX balances_by_owner ON balances (owner, asset);

-- Hold ids are global: the primary key refuses one id on two shards.
CREATE TABLE holds (
    hold_id           text COLLATE "C" PRIMARY KEY,
    shard             integer          NOT NULL,
    account           text COLLATE "C" NOT NULL,
    asset             text COLLATE "C" NOT NULL,
    amount            numeric(39, 0)   NOT NULL,
    remaining         numeric(39, 0)   NOT NULL,
    expires_at_micros bigint           NOT NULL,
    state             text             NOT NULL CHECK (state IN ('OPEN', 'RELEASED', 'SETTLED', 'EXPIRED'))
) WITH (fillfactor = 80);
CREATE INDEX holds_by_shard ON holds (shard);

-- Command ids are global too; result is SnapshotCodec.encodeResult, fingerprint the command's bytes.
CREATE TABLE results (
    command_id  text COLLATE "C" PRIMARY KEY,
    shard       integer          NOT NULL,
    fingerprint bytea            NOT NULL,
    result      bytea            NOT NULL
);
CREATE INDEX results_by_shard ON results (shard);

-- One row per change of one account's balance of one asset. Pages are newest first: time, then
-- seq (which orders one shard exactly as the embedded ledger does), asset, revision, and the shard
-- to break ties between a system owner's rows of several shards. The two indexes serve the two
-- queries (all assets of an owner, one asset of an owner) as one range scan each.
CREATE TABLE history (
    owner           text COLLATE "C" NOT NULL,
    asset           text COLLATE "C" NOT NULL,
    shard           integer          NOT NULL,
    seq             bigint           NOT NULL,
    revision        bigint           NOT NULL,
    at_micros       bigint           NOT NULL,
    command_id      text COLLATE "C",
    type            text             NOT NULL,
    available       numeric(39, 0)   NOT NULL,
    held            numeric(39, 0)   NOT NULL,
    available_delta numeric(39, 0)   NOT NULL,
    held_delta      numeric(39, 0)   NOT NULL
);
CREATE UNIQUE INDEX history_by_owner_asset ON history (owner, asset, at_micros DESC, seq DESC, revision DESC, shard);
CREATE INDEX history_by_owner ON history (owner, at_micros DESC, seq DESC, asset, revision DESC, shard);

-- Messages written with the batch that made them; the relay publishes them and then deletes them.
CREATE TABLE outbox (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shard     integer NOT NULL,
    topic     text    NOT NULL,
    partition integer NOT NULL,
    key       text,
    value     bytea   NOT NULL
);
CREATE INDEX outbox_by_shard ON outbox (shard, id);
