-- The writer's bookkeeping of the read snapshots (warehouse/snapshots.py), never published to readers:
-- the version of the base file the current snapshot builds on, and the models whose rows changed since
-- that base, whose current rows the next publish writes to a small delta file instead of copying the
-- whole warehouse.
CREATE TABLE snapshot_base (
    version BIGINT NOT NULL
);

CREATE TABLE snapshot_models (
    model_id VARCHAR PRIMARY KEY
);
