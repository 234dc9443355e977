-- Maintainers' workflows: removals, renames, flag decisions, and the audit log of every such action.

-- The audit log: who (the token holder's name, when given), when, what, on what, and why.
CREATE TABLE maintainer_actions (
    action_id VARCHAR PRIMARY KEY,
    acted_at  TIMESTAMP NOT NULL,
    actor     VARCHAR NOT NULL,             -- the name the maintainer gave ("maintainer" otherwise)
    action    VARCHAR NOT NULL,             -- remove, restore, rename, relaunch, confirm-flag, dismiss-flag
    target    VARCHAR NOT NULL,             -- the model, request or flag acted on
    reason    VARCHAR,
    details   JSON                          -- what the action changed (run ids, old and new names, ...)
);

-- A removal hides the runs it names (model, optionally one revision and precision) from every
-- ranking, search and export; the runs stay stored, and a restore brings them back. model_removals
-- (one row per model, never used) becomes one row per removal; removed_runs lists the runs it hid, so a
-- later submission of the same model, commit and precision is ranked again.
CREATE TABLE entry_removals (
    removal_id  VARCHAR PRIMARY KEY,
    model_id    VARCHAR NOT NULL,           -- follows the model through renames
    sha         VARCHAR,                    -- NULL: every revision
    precision   VARCHAR,                    -- NULL: every precision
    reason      VARCHAR NOT NULL,
    removed_by  VARCHAR,
    removed_at  TIMESTAMP NOT NULL,
    restored_by VARCHAR,
    restored_at TIMESTAMP                   -- NULL while the removal holds
);
INSERT INTO entry_removals (removal_id, model_id, reason, removed_by, removed_at)
    SELECT 'legacy-' || md5(model_id)[:10], model_id, reason, 'maintainer', removed_at FROM model_removals;

CREATE TABLE removed_runs (
    removal_id VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    PRIMARY KEY (removal_id, run_id)
);
INSERT INTO removed_runs
    SELECT 'legacy-' || md5(r.model_id)[:10], u.run_id FROM model_removals r JOIN runs u USING (model_id);

DROP TABLE model_removals;
ALTER TABLE entry_removals RENAME TO model_removals;

-- A rename records who and why; model_renames maps every earlier name straight to the current one.
ALTER TABLE model_renames ADD COLUMN reason VARCHAR;
ALTER TABLE model_renames ADD COLUMN renamed_by VARCHAR;

-- Flags: open (a badge on the model) -> confirmed (hidden unless 'Show flagged') or dismissed, each
-- decision with its reason. Flags carried over from the leaderboard's own table count as confirmed.
ALTER TABLE flags ADD COLUMN close_reason VARCHAR;
UPDATE flags SET status = 'confirmed' WHERE author = 'import' AND status = 'open';

-- The leaderboard tables gain columns (open_flag, renamed_from) and change what `flagged` means: the
-- writer's next session rebuilds them from scratch (they are derived from the tables above).
DROP TABLE IF EXISTS leaderboard;
DROP TABLE IF EXISTS leaderboard_revisions;
