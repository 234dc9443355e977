-- The leaderboard tables no longer store static_rank (the rank in the whole suite): one new entry shifted
-- every rank below it, so each refresh rewrote the whole column. Readers count it from the suite's sorted
-- averages. Dropped here, the writer's next session rebuilds them without the column.
-- runs_wide gains each run's average interval (ci_low, ci_high), so the leaderboard reads it without a join.
DROP TABLE IF EXISTS runs_wide;
DROP TABLE IF EXISTS leaderboard;
DROP TABLE IF EXISTS leaderboard_revisions;
