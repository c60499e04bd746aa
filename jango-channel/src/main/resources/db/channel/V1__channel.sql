-- The channel side's copy of history, fed from the ledger's change feed (jango channel).
-- Amounts are exact decimals (NUMERIC), never floats; every row is keyed by its revision, so
-- applying a change twice changes nothing.

-- Where in the feed the copy stands (one row).
CREATE TABLE feed_position (
    id         INT PRIMARY KEY CHECK (id = 1),
    position   TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per APPLIED change of one account's asset, as the ledger's history lists it.
CREATE TABLE history (
    account         TEXT    NOT NULL,
    asset           TEXT    NOT NULL,
    revision        BIGINT  NOT NULL,
    seq             BIGINT  NOT NULL,
    at_micros       BIGINT  NOT NULL,
    command_id      TEXT,
    type            TEXT    NOT NULL,
    available       NUMERIC NOT NULL,
    held            NUMERIC NOT NULL,
    available_delta NUMERIC NOT NULL,
    held_delta      NUMERIC NOT NULL,
    PRIMARY KEY (account, asset, revision)
);
-- All assets of an account, newest first (the ledger's order: seq down, then asset up).
CREATE INDEX history_by_seq ON history (account, seq DESC, asset);

-- Per account and asset: the highest revision copied and how many rows there are. Fewer rows than
-- the revision means a change is missing (a gap), which the copy repairs from the ledger.
CREATE TABLE balances (
    account   TEXT    NOT NULL,
    asset     TEXT    NOT NULL,
    revision  BIGINT  NOT NULL,
    entries   BIGINT  NOT NULL,
    available NUMERIC NOT NULL,
    held      NUMERIC NOT NULL,
    PRIMARY KEY (account, asset)
);

-- Payer -> payee amounts of transfers, for the duplicate check.
CREATE TABLE transfers (
    seq        BIGINT  NOT NULL,
    command_id TEXT    NOT NULL,
    payer      TEXT    NOT NULL,
    payee      TEXT    NOT NULL,
    asset      TEXT    NOT NULL,
    amount     NUMERIC NOT NULL,
    at_micros  BIGINT  NOT NULL,
    PRIMARY KEY (command_id, payer, payee, asset)
);
CREATE INDEX transfers_by_pair ON transfers (payer, payee, asset, amount, at_micros);
CREATE INDEX transfers_by_seq ON transfers (seq);

-- Likely duplicate transfers: same payer, payee, asset and amount within the window.
CREATE TABLE duplicates (
    command_id         TEXT    NOT NULL,
    earlier_command_id TEXT    NOT NULL,
    payer              TEXT    NOT NULL,
    payee              TEXT    NOT NULL,
    asset              TEXT    NOT NULL,
    amount             NUMERIC NOT NULL,
    seq                BIGINT  NOT NULL,
    at_micros          BIGINT  NOT NULL,
    apart_micros       BIGINT  NOT NULL,
    PRIMARY KEY (command_id, earlier_command_id, payer, payee, asset)
);
CREATE INDEX duplicates_newest ON duplicates (seq DESC, command_id);
CREATE INDEX duplicates_by_payer ON duplicates (payer, seq DESC);

-- Accounts (and assets) to repair from the ledger; account '*' asks for a comparison of every account.
CREATE TABLE repairs (
    account   TEXT NOT NULL,
    asset     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, asset)
);
