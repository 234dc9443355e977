-- The leaderboard tables carry each entry's average's 95% interval (ci_low, ci_high, from run_intervals),
-- so rank ranges need no join: dropped here, the writer's next session rebuilds them with the columns.
DROP TABLE IF EXISTS leaderboard;
DROP TABLE IF EXISTS leaderboard_revisions;
