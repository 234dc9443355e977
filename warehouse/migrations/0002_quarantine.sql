-- What an import could not load, kept with its reason so a maintainer can find and fix it: one row of a
-- `contents` table, or a whole request or results file that could not be parsed or stored. The rest of the
-- file (or batch) loads; importing the same file again adds nothing here (the id is the entry's identity),
-- and a later import of the same path replaces its entries that no longer apply.
CREATE TABLE quarantine (
    quarantine_id  VARCHAR PRIMARY KEY,     -- hash of (kind, source file, content sha, row number)
    kind           VARCHAR NOT NULL,        -- contents | request | results
    source_file    VARCHAR NOT NULL,        -- the path as imported
    content_sha    VARCHAR NOT NULL,        -- the file's content hash (ingested_files.content_sha once loaded)
    row_number     INTEGER,                 -- 1-based data row of a contents table; NULL: the whole file
    row_key        VARCHAR,                 -- what the row names (model, precision), when it names anything
    raw            VARCHAR,                 -- the row as JSON text (published column names); a file: its text (up to 64 KiB)
    raw_file       VARCHAR,                 -- a whole file: its kept copy, raw/<aa>/<content sha>.json under LLMBOARD_HOME
    reason         VARCHAR NOT NULL,        -- the first cause, one line, naming the field
    quarantined_at TIMESTAMP NOT NULL
);
