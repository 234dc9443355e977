-- Each run's uncertainty, computed once when it is stored (warehouse/intervals.py): per benchmark and for
-- the average ('average'), a standard error and a 95% interval on the normalized scale.
CREATE TABLE run_intervals (
    run_id    VARCHAR NOT NULL,
    benchmark VARCHAR NOT NULL,   -- a benchmark key, or 'average'
    se        DOUBLE,
    ci_low    DOUBLE,
    ci_high   DOUBLE,
    method    VARCHAR NOT NULL,   -- clustered | bootstrap | harness
    PRIMARY KEY (run_id, benchmark)
);
