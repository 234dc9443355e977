-- lm-eval's task hashes (task -> hash of its inputs) are kept once per distinct set: a run names its set.
-- Runs of one harness version and task setup share a set, which every run used to hold in full (4 KB of JSON,
-- about half of what an imported results file wrote to the warehouse).
CREATE TABLE task_hash_sets (
    set_id       VARCHAR PRIMARY KEY,   -- md5 of the JSON text
    task_hashes  JSON NOT NULL
);
INSERT INTO task_hash_sets
    SELECT DISTINCT md5(task_hashes::VARCHAR), task_hashes::VARCHAR FROM runs
    WHERE task_hashes IS NOT NULL AND task_hashes::VARCHAR NOT IN ('{}', 'null');
ALTER TABLE runs ADD COLUMN task_hash_set VARCHAR;
UPDATE runs SET task_hash_set = md5(task_hashes::VARCHAR)
    WHERE task_hashes IS NOT NULL AND task_hashes::VARCHAR NOT IN ('{}', 'null');
ALTER TABLE runs DROP COLUMN task_hashes;
