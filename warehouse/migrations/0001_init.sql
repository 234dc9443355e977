-- The warehouse keeps every evaluation ever run: runs are never overwritten.

CREATE TABLE models (
    model_id         VARCHAR PRIMARY KEY,   -- org/name as shown
    license          VARCHAR,
    params_b         DOUBLE,
    architecture     VARCHAR,
    model_type       VARCHAR,               -- pretrained, continuously-pretrained, fine-tuned, chat, merge, ...
    weight_type      VARCHAR,               -- Original, Delta, Adapter
    base_model       VARCHAR,
    merged           BOOLEAN DEFAULT false,
    moe              BOOLEAN DEFAULT false,
    available_on_hub BOOLEAN,
    hub_hearts       INTEGER,
    source           VARCHAR,               -- local path or hub
    updated_at       TIMESTAMP
);

CREATE TABLE model_renames (
    old_id     VARCHAR PRIMARY KEY,
    new_id     VARCHAR NOT NULL,
    renamed_at TIMESTAMP NOT NULL
);

CREATE TABLE model_removals (
    model_id   VARCHAR PRIMARY KEY,
    reason     VARCHAR NOT NULL,
    removed_at TIMESTAMP NOT NULL
);

CREATE TABLE requests (
    request_id        VARCHAR PRIMARY KEY,
    model_id          VARCHAR NOT NULL,
    base_model        VARCHAR,
    revision          VARCHAR,              -- what was asked: a sha, a branch, "main"
    sha               VARCHAR,              -- what it resolved to
    precision         VARCHAR,
    weight_type       VARCHAR,
    model_type        VARCHAR,
    model_type_raw    VARCHAR,
    use_chat_template BOOLEAN,
    sender            VARCHAR,
    submitted_time    TIMESTAMP,
    job_id            VARCHAR,
    job_start_time    TIMESTAMP,
    status            VARCHAR NOT NULL,
    failure_kind      VARCHAR,              -- submission | infrastructure
    failure_reason    VARCHAR,
    attempts          INTEGER DEFAULT 0,
    params_b          DOUBLE,
    architectures     VARCHAR,
    license           VARCHAR,
    fingerprint       VARCHAR,
    source            VARCHAR,              -- worker | import
    source_file       VARCHAR,
    log_tail          VARCHAR,
    progress          DOUBLE,
    progress_task     VARCHAR,
    raw               JSON
);

CREATE TABLE request_events (
    request_id VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    status     VARCHAR NOT NULL,
    changed_at TIMESTAMP,
    reason     VARCHAR,
    origin     VARCHAR,                     -- e.g. the dataset revision an imported status came from
    PRIMARY KEY (request_id, seq)
);

CREATE TABLE runs (
    run_id               VARCHAR PRIMARY KEY,   -- content hash of the results file
    request_id           VARCHAR,
    model_id             VARCHAR NOT NULL,
    sha                  VARCHAR,
    precision            VARCHAR,
    weight_type          VARCHAR,
    model_type           VARCHAR,
    use_chat_template    BOOLEAN,
    suite                VARCHAR NOT NULL,
    lm_eval_version      VARCHAR,
    transformers_version VARCHAR,
    task_hashes          JSON,
    started_at           TIMESTAMP,
    finished_at          TIMESTAMP,
    duration_s           DOUBLE,
    device               VARCHAR,
    dtype                VARCHAR,
    params_b             DOUBLE,
    co2_kg               DOUBLE,
    average              DOUBLE,
    origin               VARCHAR NOT NULL,      -- worker | results-file | contents
    source_file          VARCHAR,
    bundle_path          VARCHAR,
    samples_file         VARCHAR,
    raw_file             VARCHAR,               -- the results file as imported: raw/<aa>/<content sha>.json under LLMBOARD_HOME
    raw                  JSON,                  -- small source records only (a contents-table row)
    ingested_at          TIMESTAMP NOT NULL
);

-- Long form: one row per run, task, metric, filter. Unique on (run_id, task, metric, filter), which the
-- writer ensures before inserting (no index: a primary key would cost more than the insert itself).
CREATE TABLE scores (
    run_id     VARCHAR NOT NULL,
    benchmark  VARCHAR,
    task       VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    filter     VARCHAR NOT NULL,
    value      DOUBLE,
    stderr     DOUBLE,
    n_samples  INTEGER,
    normalized DOUBLE
);

-- One row per run and benchmark, as the leaderboard's columns: raw (0..1) and normalized (0..100).
-- Unique on (run_id, benchmark), ensured by the writer.
CREATE TABLE benchmark_scores (
    run_id     VARCHAR NOT NULL,
    benchmark  VARCHAR NOT NULL,
    raw        DOUBLE,
    normalized DOUBLE,
    stderr     DOUBLE
);

CREATE TABLE flags (
    flag_id     VARCHAR PRIMARY KEY,
    model_id    VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,            -- contamination, unattributed-copy, wrong-category, other
    reason      VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    status      VARCHAR NOT NULL,            -- open, resolved, dismissed
    closed_by   VARCHAR,
    closed_at   TIMESTAMP
);

CREATE TABLE flag_comments (
    flag_id    VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    author     VARCHAR NOT NULL,
    body       VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (flag_id, seq)
);

-- Every imported file, by content hash: importing the same thing twice changes nothing.
CREATE TABLE ingested_files (
    content_sha VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL
);

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
