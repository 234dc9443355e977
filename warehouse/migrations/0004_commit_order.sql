-- Where each requested revision stands in its model's history, recorded at submission
-- (`git log` for a local repository, the hub's commit list for a hub model): history pages order
-- commits by position, not by when they happened to be evaluated.
ALTER TABLE requests ADD COLUMN commit_position INTEGER;   -- 1 = the model's first commit
ALTER TABLE requests ADD COLUMN commit_date TIMESTAMP;
ALTER TABLE requests ADD COLUMN commit_title VARCHAR;
