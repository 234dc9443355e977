"""Every query the dashboard and the CLI need. All read through the versioned read snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl

from core.suites import suite as suite_by_name
from core.vocabulary import BYTES_PER_PARAM, PRECISIONS
from warehouse.leaderboard import ENTRY_COLUMNS, benchmark_fields
from warehouse.read import reader
from warehouse.search import parse_search

SUITE_ORDER = ("offline", "leaderboard", "leaderboard_v1", "other")


def _frame(home: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    out = reader(home).frame(sql, params)
    return out if out is not None else pl.DataFrame()


def ingest_version(home: Path) -> int:
    """Changes whenever the writer publishes new data: a cache key for the dashboard."""
    return reader(home).version


def available_suites(home: Path) -> list[str]:
    df = _frame(home, "SELECT DISTINCT suite FROM leaderboard")
    found = set(df["suite"].to_list()) if df.height else set()
    return [s for s in SUITE_ORDER if s in found] + sorted(found - set(SUITE_ORDER))


def default_suite(home: Path) -> str | None:
    suites = available_suites(home)
    return suites[0] if suites else None


def benchmark_columns(suite: str) -> list[tuple[str, str]]:
    """(key, display name) of the suite's benchmarks, in the leaderboard's column order."""
    try:
        return [(b.key, b.display) for b in suite_by_name(suite).benchmarks]
    except KeyError:
        return []


class RankingsView(NamedTuple):
    suite: str
    table: str
    cond: str  # the WHERE condition, with `params`
    params: list
    searches_names: bool  # a text search: every name is scanned


def _rankings_filter(
    home: Path,
    *,
    suite: str | None = None,
    category: str | None = None,
    precision: str | None = None,
    weight_type: str | None = None,
    params_min: float | None = None,
    params_max: float | None = None,
    license: str | None = None,
    search: str | None = None,
    show_flagged: bool = False,
    show_merged: bool = True,
    show_moe: bool = True,
    all_revisions: bool = False,
) -> RankingsView | None:
    """The table and condition of a rankings view; None when nothing was ingested."""
    suite = suite or default_suite(home)
    if suite is None:
        return None
    where, params = ["suite = ?"], [suite]
    for column, value in (("model_type", category), ("precision", precision), ("weight_type", weight_type)):
        if value and value != "all":
            where.append(f"{column} = ?")
            params.append(value)
    if license:
        where.append("license_key = lower(?)")
        params.append(license)
    if params_min is not None:
        where.append("params_b >= ?")
        params.append(params_min)
    if params_max is not None:
        where.append("params_b <= ?")
        params.append(params_max)
    if not show_flagged:
        where.append("NOT flagged")
    if not show_merged:
        where.append("NOT merged")
    if not show_moe:
        where.append("NOT moe")
    parsed = parse_search(search)
    clauses, values = parsed.sql()
    table = "leaderboard_revisions" if all_revisions else "leaderboard"
    return RankingsView(suite, table, " AND ".join(where + clauses), params + values, bool(parsed.names))


def rankings_columns(suite: str) -> list[str]:
    """The columns `rankings` returns by default (after `rank`): entry metadata, then the suite's benchmarks."""
    return [*ENTRY_COLUMNS, *(c for key, _ in benchmark_columns(suite) for c in benchmark_fields(key))]


ORDER = "average DESC NULLS LAST, model_id, precision"
RANK = "rank() OVER (ORDER BY average DESC NULLS LAST) AS rank"
# the same order as a sortable key, for min_by: NULL averages last
ORDER_KEY = "{'a': coalesce(-average, 'inf'::DOUBLE), 'm': model_id, 'p': precision}"


def rankings(
    home: Path,
    *,
    limit: int | None = None,
    offset: int = 0,
    columns: list[str] | None = None,
    **filters,
) -> pl.DataFrame:
    """One row per model + precision (its latest sha and run), best average first, with its rank.

    Filters: suite, category, precision, weight_type, params_min, params_max, license, search,
    show_flagged (False), show_merged (True), show_moe (True), all_revisions (False).
    `static_rank` is the rank in the whole suite; `rank` is the rank within the current filter.
    `limit` / `offset` page through the result (a page costs what its rows cost, not the whole table);
    `columns` picks columns (default: `rankings_columns(suite)`); `rank` always comes first.
    """
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame()
    picked = _picked(view.suite, columns)
    if limit:
        with reader(home).pinned() as cur:
            return _page(cur, view, picked, int(limit), int(offset), count=False)[0] if cur else pl.DataFrame()
    sql = (f"SELECT {RANK}, {', '.join(_quote(c) for c in picked)} FROM {view.table} WHERE {view.cond} "
           f"ORDER BY {ORDER}")
    if offset:
        sql += f" OFFSET {int(offset)}"
    return _frame(home, sql, view.params)


def rankings_page(home: Path, *, limit: int = 100, offset: int = 0, columns: list[str] | None = None,
                  **filters) -> tuple[pl.DataFrame, int]:
    """A page of `rankings` (rows offset .. offset + limit, ranked within the filter) and the total
    number of rows behind it: what the leaderboard shows. Filters and columns as `rankings`."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame(), 0
    with reader(home).pinned() as cur:
        if cur is None:
            return pl.DataFrame(), 0
        return _page(cur, view, _picked(view.suite, columns), int(limit), int(offset), count=True)


def _page(cur, view: RankingsView, picked: list[str], limit: int, offset: int, *,
          count: bool) -> tuple[pl.DataFrame, int | None]:
    """Two steps on one snapshot: find the page's rows (and the total, if asked) reading only the filter
    and sort columns, then read the shown columns of those rows alone. Every row ranked above a row of
    the page is among the first offset + limit rows, so ranking those gives each row its rank in the view."""
    table, cond, params, n = view.table, view.cond, view.params, offset + limit
    total = None
    if view.searches_names:
        # a text search scans every name: one pass gives both the count and the first rows
        total, head = cur.sql(  # (a struct: min_by leaves out NULL values, and averages can be NULL)
            f"SELECT count(*), min_by({{'r': rowid, 'a': average}}, {ORDER_KEY}, {n}) "
            f"FROM {table} WHERE {cond}", params=params).fetchall()[0]
        ids, averages = [h["r"] for h in head or []], [h["a"] for h in head or []]
    else:  # the table is stored best first: a top-n stops early, and the count reads few columns
        if count:
            total = cur.sql(f"SELECT count(*) FROM {table} WHERE {cond}", params=params).fetchall()[0][0]
        head = cur.sql(f"SELECT rowid, average FROM {table} WHERE {cond} ORDER BY {ORDER} LIMIT {n}",
                       params=params).fetchall()
        ids, averages = [r[0] for r in head], [r[1] for r in head]
    where, args = "rowid IN (SELECT unnest(?::BIGINT[]))", [ids]
    if averages and None not in averages:  # lets the scan skip row groups by their min/max average
        where += " AND average BETWEEN ? AND ?"
        args += [min(averages), max(averages)]
    sql = (f"SELECT {RANK}, {', '.join(_quote(c) for c in picked)} FROM {table} WHERE {where} "
           f"ORDER BY {ORDER} LIMIT {limit} OFFSET {offset}")
    return cur.sql(sql, params=args).pl(), total


def _picked(suite: str, columns: list[str] | None) -> list[str]:
    return [c for c in dict.fromkeys(columns or rankings_columns(suite)) if c != "rank"]  # rank: computed


def rankings_count(home: Path, **filters) -> int:
    """How many rows `rankings(home, **filters)` returns without a limit (the total behind a page)."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return 0
    df = _frame(home, f"SELECT count(*) AS n FROM {view.table} WHERE {view.cond}", view.params)
    return int(df["n"][0]) if df.height else 0


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


# -- dashboard queries (leaderboard facets, precisions, model page, samples, flags) ----------------------



def leaderboard_facets(home: Path, suite: str) -> dict:
    """The values the leaderboard's filters offer for a suite: precisions, weight types, licenses, largest size."""
    df = _frame(home, "SELECT list(DISTINCT precision ORDER BY precision) AS precisions, "
                      "list(DISTINCT weight_type ORDER BY weight_type) AS weight_types, "
                      "list(DISTINCT license ORDER BY license) AS licenses, max(params_b) AS max_params "
                      "FROM leaderboard WHERE suite = ?", [suite])
    if df.height == 0:
        return {"precisions": [], "weight_types": [], "licenses": [], "max_params": None}
    row = df.row(0, named=True)
    return {k: ([x for x in v if x is not None] if isinstance(v, list) else v) for k, v in row.items()}


def model_choices(home: Path, suite: str | None = None) -> pl.DataFrame:
    """Every evaluated model with its precisions (latest entries), for pickers; ``most_commits`` is the
    precision evaluated at the most commits (the one whose history says most)."""
    where, params = ("WHERE suite = ?", [suite]) if suite else ("", [])
    return _frame(home, f"""
        WITH shas AS (SELECT model_id, precision, count(*) AS n FROM leaderboard_revisions {where} GROUP BY ALL),
        top AS (SELECT model_id, arg_max(precision, {{'n': n, 'p': precision}}) AS most_commits
                FROM shas GROUP BY model_id)
        SELECT l.model_id, list(DISTINCT l.precision ORDER BY l.precision) AS precisions, max(l.average) AS best,
               any_value(t.most_commits) AS most_commits
        FROM leaderboard l LEFT JOIN top t USING (model_id) {where.replace("suite", "l.suite")}
        GROUP BY l.model_id ORDER BY l.model_id""", params * 2)


def run_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Every run of a model in one precision, oldest first: one column per benchmark (normalized) and the
    average, with the commit's first finish time and the run's attempt number within its sha."""
    suite = suite or default_suite(home)
    keys = "".join(f", {_quote(k)}" for k, _ in benchmark_columns(suite or ""))
    return _frame(home, f"""
        SELECT run_id, sha, left(sha, 7) AS short_sha, run_at AS finished_at, average, request_id, origin,
               row_number() OVER (PARTITION BY sha ORDER BY run_at, run_id) AS attempt,
               count(*) OVER (PARTITION BY sha) AS runs_of_sha {keys}
        FROM runs_wide
        WHERE model_id = ? AND precision = ? AND suite = ?
        ORDER BY run_at, run_id""", [model, precision, suite])


def precision_scores(home: Path, model: str, sha: str | None = None, suite: str | None = None) -> pl.DataFrame:
    """Long form, one row per precision and benchmark: the latest run of the model in each precision (at
    `sha`, else at each precision's latest sha), normalized and raw score, and a normalized stderr where
    the benchmark is read from one task whose stderr is known."""
    suite = suite or default_suite(home)
    try:
        benchmarks = {b.key: b for b in suite_by_name(suite).benchmarks}
    except KeyError:
        benchmarks = {}
    params: list = [model, suite]
    sha_cond = ""
    if sha:
        sha_cond = "AND starts_with(r.sha, ?)"
        params.append(sha)
    df = _frame(home, f"""
        WITH latest AS (
            SELECT * FROM runs r WHERE r.model_id = ? AND r.suite = ? {sha_cond}
            QUALIFY row_number() OVER (PARTITION BY r.precision
                                       ORDER BY coalesce(r.finished_at, r.ingested_at) DESC, r.run_id) = 1
        ),
        task_err AS (
            SELECT run_id, benchmark, any_value(stderr) AS stderr, count(DISTINCT task) AS n_tasks
            FROM scores WHERE stderr IS NOT NULL AND run_id IN (SELECT run_id FROM latest)
              AND metric NOT LIKE '%inst_level%'
            GROUP BY run_id, benchmark
        )
        SELECT l.precision, l.sha, l.run_id, l.average, b.benchmark, b.normalized, b.raw,
               coalesce(b.stderr, CASE WHEN t.n_tasks = 1 THEN t.stderr END) AS raw_stderr
        FROM latest l JOIN benchmark_scores b USING (run_id)
        LEFT JOIN task_err t ON t.run_id = l.run_id AND t.benchmark = b.benchmark
        ORDER BY l.precision, b.benchmark""", params)
    if df.height == 0:
        return df
    order = {k: i for i, k in enumerate(benchmarks)}
    scale = {k: 100.0 / (1.0 - (b.baseline if b.rule == "group" else 0.0)) for k, b in benchmarks.items()}
    return (df.with_columns(
        stderr=pl.col("raw_stderr") * pl.col("benchmark").replace_strict(scale, default=100.0, return_dtype=pl.Float64),
        display=pl.col("benchmark").replace_strict(dict(benchmark_columns(suite)), default=pl.col("benchmark")),
        order=pl.col("benchmark").replace_strict(order, default=99, return_dtype=pl.Int64),
    ).sort("order", "precision").drop("order"))


def precision_memory(home: Path, suite: str) -> pl.DataFrame:
    """Each leaderboard entry's average against the memory its weights take (params × bytes per parameter)."""
    cases = " ".join(f"WHEN '{p}' THEN {b}" for p, b in BYTES_PER_PARAM.items())
    return _frame(home, f"""
        SELECT model_id, precision, average, params_b, params_b * (CASE precision {cases} END) AS weight_gb
        FROM leaderboard WHERE suite = ? AND params_b IS NOT NULL AND average IS NOT NULL
          AND precision IN ({', '.join('?' * len(BYTES_PER_PARAM))})
        ORDER BY precision, model_id""", [suite, *BYTES_PER_PARAM])


def sample_agreement(home: Path, run_a: str, run_b: str) -> pl.DataFrame:
    """Per task: how many documents both runs answered, and the share they got equally right or wrong."""
    files = _frame(home, "SELECT run_id, samples_file FROM runs WHERE run_id IN (?, ?) AND samples_file IS NOT NULL",
                   [run_a, run_b])
    paths = dict(zip(files["run_id"], files["samples_file"], strict=False)) if files.height else {}
    if run_a not in paths or run_b not in paths or not all(Path(p).exists() for p in paths.values()):
        return pl.DataFrame()
    a = pl.read_parquet(paths[run_a], columns=["task", "doc_id", "correct"])
    b = pl.read_parquet(paths[run_b], columns=["task", "doc_id", "correct"])
    both = a.join(b, on=["task", "doc_id"], suffix="_b")
    return (both.group_by("task").agg(documents=pl.len(), agreement=(pl.col("correct") == pl.col("correct_b")).mean())
            .sort("task"))


def model_info(home: Path, model: str) -> dict | None:
    df = _frame(home, "SELECT * FROM models WHERE model_id = ?", [model])
    return df.row(0, named=True) if df.height else None


def model_runs(home: Path, model: str) -> pl.DataFrame:
    """Every run of a model, newest first."""
    return _frame(home, """
        SELECT suite, precision, left(sha, 10) AS sha, coalesce(finished_at, ingested_at) AS finished_at, average,
               model_type, use_chat_template, lm_eval_version, duration_s, device, origin, run_id, request_id,
               samples_file
        FROM runs WHERE model_id = ? ORDER BY finished_at DESC, run_id""", [model])


def run_task_scores(home: Path, run_id: str) -> pl.DataFrame:
    return _frame(home, """
        SELECT benchmark, task, metric, filter, value, stderr, normalized, n_samples
        FROM scores WHERE run_id = ? ORDER BY benchmark NULLS LAST, task, metric, filter""", [run_id])


def model_requests(home: Path, model: str) -> pl.DataFrame:
    return _frame(home, """
        SELECT request_id, status, precision, weight_type, model_type, revision, left(sha, 10) AS sha,
               submitted_time, failure_kind, failure_reason, attempts, progress, progress_task, source, log_tail
        FROM requests WHERE model_id = ? ORDER BY submitted_time DESC NULLS LAST, request_id""", [model])


def request_history(home: Path, request_id: str) -> pl.DataFrame:
    return _frame(home, "SELECT seq, status, changed_at, reason, origin FROM request_events "
                        "WHERE request_id = ? ORDER BY seq", [request_id])


def run_samples(home: Path, run_id: str, *, task: str | None = None, correct: bool | None = None,
                text: str | None = None, limit: int = 500) -> pl.DataFrame:
    """Per-sample details of one run, from its Parquet file, filtered by task, correctness and a text."""
    files = _frame(home, "SELECT samples_file FROM runs WHERE run_id = ?", [run_id])
    path = files["samples_file"][0] if files.height else None
    if not path or not Path(path).exists():
        return pl.DataFrame()
    lf = pl.scan_parquet(path)
    if task:
        lf = lf.filter(pl.col("task") == task)
    if correct is not None:
        lf = lf.filter(pl.col("correct") == correct)
    if text:
        needle = text.lower()
        lf = lf.filter(pl.any_horizontal(pl.col(c).str.to_lowercase().str.contains(needle, literal=True)
                                         for c in ("prompt", "target", "response")))
    return lf.select("task", "doc_id", "correct", "target", "response", "prompt", "metrics").sort(
        "task", "doc_id").head(limit).collect()


def model_flags(home: Path, model: str | None = None) -> pl.DataFrame:
    """Flags (of one model, or all), newest first, each with its comments as a list of structs."""
    where, params = ("WHERE f.model_id = ?", [model]) if model else ("", [])
    return _frame(home, f"""
        SELECT f.flag_id, f.model_id, f.kind, f.reason, f.author, f.created_at, f.status, f.closed_by, f.closed_at,
               list(struct_pack(author := c.author, body := c.body, created_at := c.created_at) ORDER BY c.seq)
                   FILTER (WHERE c.seq IS NOT NULL) AS comments
        FROM flags f LEFT JOIN flag_comments c USING (flag_id) {where}
        GROUP BY f.flag_id, f.model_id, f.kind, f.reason, f.author, f.created_at, f.status, f.closed_by, f.closed_at
        ORDER BY f.status = 'open' DESC, f.created_at DESC""", params)


# Highest first: the reference a quantized run is compared with.


def sha_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Every run of one model in one precision, commit by commit: each benchmark and the average.

    Commits come in the order they were first submitted (or, without a request, first evaluated);
    re-runs of one sha stay separate rows (`rerun` 1, 2, ...), oldest first. `suite` defaults to the
    suite of the model's latest run in that precision. Reads ``runs_wide`` (ordered by model).
    """
    if suite is None:
        found = _frame(home, "SELECT suite FROM runs_wide WHERE model_id = ? AND precision = ? "
                             "ORDER BY run_at DESC, ingested_at DESC LIMIT 1", [model, precision])
        if not found.height:
            return pl.DataFrame()
        suite = found["suite"][0]
    keys = [k for k, _ in benchmark_columns(suite)]
    scores = "".join(f", r.{_quote(k)}" for k in keys)
    sql = f"""
        WITH r AS (
            SELECT r.*, q.submitted_time
            FROM (SELECT * FROM runs_wide WHERE model_id = ? AND precision = ? AND suite = ?) r
            LEFT JOIN (SELECT request_id, submitted_time FROM requests) q USING (request_id)
        )
        SELECT r.sha, left(r.sha, 7) AS short_sha,
               row_number() OVER (PARTITION BY r.sha ORDER BY r.run_at, r.run_id) AS rerun,
               r.run_id, r.submitted_time, r.finished_at, r.average {scores},
               min(coalesce(r.submitted_time, r.run_at)) OVER (PARTITION BY r.sha) AS sha_first_seen
        FROM r
        ORDER BY sha_first_seen, r.sha, rerun
    """
    return _frame(home, sql, [model, precision, suite])


def quantization_comparison(home: Path, model: str, sha: str | None = None, suite: str | None = None) -> pl.DataFrame:
    """Every precision one model was run in, side by side, per benchmark and for the average.

    For one sha (default: the sha of the model's latest run), the latest run per precision; `delta` is
    the score minus the reference's, the reference being the model's highest precision there
    (float32 > bfloat16 > float16 > 8bit > 4bit > gguf, then any other). One row per precision and
    benchmark, benchmarks in the suite's column order then `average`, highest precision first.
    Reads ``runs_wide`` (ordered by model).
    """
    where, params = ["model_id = ?"], [model]
    for column, value in (("sha", sha), ("suite", suite)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    found = _frame(home, f"SELECT suite, sha FROM runs_wide WHERE {' AND '.join(where)} "
                         "ORDER BY run_at DESC, ingested_at DESC LIMIT 1", params)
    if not found.height:
        return pl.DataFrame()
    suite, sha = found["suite"][0], found["sha"][0]
    columns = [*benchmark_columns(suite), ("average", "Average")]
    order = pl.DataFrame({"benchmark": [k for k, _ in columns], "display": [d for _, d in columns],
                          "column_order": list(range(len(columns)))})
    keys = [k for k, _ in columns[:-1]]
    unpivot = " UNION ALL ".join(
        [f"SELECT precision, precision_order, run_id, finished_at, '{k}' AS benchmark, {_quote(k)} AS score, "
         f"{_quote(k + '_raw')} AS raw FROM latest WHERE {_quote(k)} IS NOT NULL OR {_quote(k + '_raw')} IS NOT NULL"
         for k in keys]
        + ["SELECT precision, precision_order, run_id, finished_at, 'average', average, NULL FROM latest"])
    sql = f"""
        WITH latest AS (
            SELECT *, coalesce(list_position(?, precision), 99) AS precision_order FROM runs_wide
            WHERE model_id = ? AND suite = ? AND sha IS NOT DISTINCT FROM ?
            QUALIFY row_number() OVER (PARTITION BY precision ORDER BY run_at DESC, ingested_at DESC, run_id) = 1
        ),
        scores AS ({unpivot}),
        ref AS (SELECT precision FROM latest ORDER BY precision_order, precision LIMIT 1)
        SELECT s.precision, s.run_id, s.finished_at, s.benchmark, s.score, s.raw,
               ref.precision AS reference_precision, r.score AS reference_score, s.score - r.score AS delta,
               s.precision IS NOT DISTINCT FROM ref.precision AS is_reference, s.precision_order
        FROM scores s CROSS JOIN ref
        LEFT JOIN scores r ON r.benchmark = s.benchmark AND r.precision IS NOT DISTINCT FROM ref.precision
    """
    out = _frame(home, sql, [list(PRECISIONS), model, suite, sha])
    if not out.height:
        return out
    out = out.join(order, on="benchmark", how="inner").with_columns(pl.lit(sha).alias("sha"))
    return out.sort(["column_order", "precision_order", "precision"]).drop("column_order", "precision_order")
