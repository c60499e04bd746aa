-- Transfers that debit or credit users on several shards (docs/distributed.md, "Multi-shard
-- transfers"): each shard's records of them are engine state, committed with the batch that made
-- them, loaded with the shard, and gone when the transfer ended there.

-- One row per record: the coordinator's record of a transfer (X), a participant's (P), or a hold's
-- release or expiry that waits for the transfers locking it (L, keyed by hold id). `record` is the
-- engine's encoding; `state` is for operators (PREPARING, COMMITTING, ABORTING, RESERVED, ...).
CREATE TABLE cross_shard (
    shard  integer          NOT NULL,
    kind   char(1)          NOT NULL CHECK (kind IN ('X', 'P', 'L')),
    key    text COLLATE "C" NOT NULL,
    state  text             NOT NULL,
    record bytea            NOT NULL,
    PRIMARY KEY (shard, kind, key)
);

-- What each participant moved from available to held: an account's held is its open holds plus
-- these, which the audit checks without decoding records.
CREATE TABLE reservations (
    shard       integer          NOT NULL,
    transfer_id text COLLATE "C" NOT NULL,
    owner       text COLLATE "C" NOT NULL,
    asset       text COLLATE "C" NOT NULL,
    amount      numeric(39, 0)   NOT NULL CHECK (amount > 0),
    PRIMARY KEY (shard, transfer_id, owner, asset)
);
CREATE INDEX reservations_by_account ON reservations (shard, owner, asset);

-- The part of an open hold that transfers in flight locked (GET /v1/holds/{h} shows it).
ALTER TABLE holds ADD COLUMN locked numeric(39, 0) NOT NULL DEFAULT 0 CHECK (locked >= 0 AND locked <= remaining);

-- A transfer in flight between shards holds its id with a pending row (no result yet, the attempt
-- it is in), so a command with the same id and another body on any shard is an ID_CONFLICT.
ALTER TABLE results ADD COLUMN pending_attempt integer CHECK (pending_attempt > 0);
ALTER TABLE results ALTER COLUMN result DROP NOT NULL;
ALTER TABLE results ADD CONSTRAINT results_pending_or_final CHECK ((pending_attempt IS NULL) = (result IS NOT NULL));
