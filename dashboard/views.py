"""Shaping query results for display: pure functions over frames, no Streamlit, no SQL."""

from __future__ import annotations

import io
from collections.abc import Mapping

import polars as pl

from evaluator.requests import Request
from warehouse.queries import PrecisionRun, by_reference_order

BASE_COLUMNS = {"model_id": "Model", "precision": "Precision", "model_type": "Type", "weight_type": "Weight type",
                "params_b": "#Params (B)", "license": "Hub License", "sha": "Model sha", "n_runs": "Runs",
                "finished_at": "Evaluated", "flagged": "Flagged"}
DEFAULT_COLUMNS = ["model_id", "precision", "model_type", "params_b", "license"]


MARKDOWN_SPECIAL = "\\`*_{}[]()#!|<>~&"  # what makes emphasis, code, links, images, headings, tables or tags


def plain(text: object) -> str:
    """Text someone typed (a name, a reason, a comment), made safe to put in Markdown: every character
    Markdown or HTML would act on is escaped, so it shows as typed and never as a link, image or tag."""
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in str(text))


def parameter_count(params_b: float | None) -> str:
    """A parameter count a reader can take in: billions from 1 B, millions below, thousands below 1 M."""
    if params_b is None or params_b <= 0:
        return "?"
    if params_b >= 1:
        return f"{params_b:,.2f} B"
    if params_b >= 1e-3:
        return f"{params_b * 1e3:,.1f} M"
    return f"{params_b * 1e6:,.1f} k"


def error_bars(scores: pl.DataFrame, value: str = "normalized", spread: str = "stderr",
               low: float = 0.0, high: float = 100.0) -> pl.DataFrame:
    """`err_plus` and `err_minus` for a chart: the spread, clipped so a bar stays within [low, high]."""
    v, s = pl.col(value), pl.col(spread).fill_null(0.0)
    return scores.with_columns(err_plus=pl.min_horizontal(s, pl.lit(high) - v).clip(0.0),
                               err_minus=pl.min_horizontal(s, v - pl.lit(low)).clip(0.0))


def leaderboard_view(board: pl.DataFrame, benchmarks: list[tuple[str, str]], *, columns: list[str],
                     raw: bool = False, rank_within_filter: bool = True, pinned: pl.DataFrame | None = None,
                     link_prefix: str = "model?model=") -> pl.DataFrame:
    """The table as shown: Rank, Model link, the chosen columns, the chosen benchmarks (normalized, or raw
    in percent) and an average over only those benchmarks; pinned rows first, whatever the filter. The rank
    within the filter counts the filtered rows only (it is right for a first page, too): a pinned row outside
    the filter has none."""
    keys = [k for k, _ in benchmarks]
    score = {f"_{k}": (pl.col(f"{k}_raw") * 100 if raw else pl.col(k)) for k in keys}
    avg = pl.mean_horizontal([pl.col(k) for k in score]) if keys else pl.lit(None, dtype=pl.Float64)

    def scored(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(**score).with_columns(_average=avg)

    board = scored(board)
    if rank_within_filter:  # among the filtered rows only: pinned rows outside the filter have no rank here
        board = board.with_columns(_rank=pl.col("_average").rank("min", descending=True).cast(pl.Int64))
    else:
        board = board.with_columns(_rank=pl.col("static_rank").cast(pl.Int64))
    board = board.with_columns(pinned=pl.lit(False))
    if pinned is not None and pinned.height:
        pinned = scored(pinned).with_columns(pinned=pl.lit(True))
        if rank_within_filter:
            pinned = pinned.join(board.select("model_id", "precision", "_rank"), on=["model_id", "precision"],
                                 how="left")
        else:
            pinned = pinned.with_columns(_rank=pl.col("static_rank").cast(pl.Int64))
        board = pl.concat([pinned, board], how="diagonal_relaxed")
        board = board.unique(["model_id", "precision"], keep="first", maintain_order=True)
    board = board.sort([pl.col("pinned"), pl.col("_average")], descending=[True, True], nulls_last=True)
    out = {"Rank": pl.col("_rank"), "📌": pl.col("pinned"), "Model": pl.col("model_id"),
           "Details": pl.lit(link_prefix) + pl.col("model_id")}
    for c in columns:
        if c in board.columns and c != "model_id":
            out[BASE_COLUMNS.get(c, c)] = pl.col(c)
    out["Average ⬆️"] = pl.col("_average")
    if "rank_best" in board.columns:  # the stored average's 95% interval and the ranks it allows
        out["±"] = (pl.col("ci_high") - pl.col("ci_low")) / 2
        out["Rank range"] = pl.when(pl.col("rank_best").is_null()).then(None).when(
            pl.col("rank_best") == pl.col("rank_worst")).then(pl.col("rank_best").cast(pl.String)).otherwise(
            pl.format("{}–{}", "rank_best", "rank_worst"))
    for k, label in benchmarks:
        out[f"{label} Raw" if raw else label] = pl.col(f"_{k}")
    return board.select(**out)


def indistinguishable_groups(view: pl.DataFrame, board: pl.DataFrame) -> pl.Series:
    """A group number per shown row: rows in one group cannot be told apart (each lies within the first
    row's rank range), in the table's order; a new group starts at the first row certainly below."""
    ranges = view.join(board.select(pl.col("model_id").alias("Model"), pl.col("precision").alias("Precision"),
                                    "rank_best", "rank_worst"), on=["Model", "Precision"], how="left") \
        if "Precision" in view.columns else view.join(
            board.select(pl.col("model_id").alias("Model"), "rank_best", "rank_worst").unique("Model"),
            on="Model", how="left")
    groups, group, anchor_worst = [], 0, None
    for best, worst in zip(ranges["rank_best"].to_list(), ranges["rank_worst"].to_list(), strict=True):
        if anchor_worst is None or best is None or best > anchor_worst:
            group += 1
            anchor_worst = worst
        groups.append(group)
    return pl.Series("Group", groups)


def paired_table(compared: list[dict], runs: list[PrecisionRun]) -> pl.DataFrame:
    """One row per variant precision from ``compare_runs`` results: the average's difference with its
    interval and verdict, flips, top-choice agreement, KL divergence and recovery (variant ÷ reference)."""
    average = {r.run_id: r.average for r in runs}
    precision = {r.run_id: r.precision for r in runs}
    rows = []
    for c in compared:
        a, ref = c["average"], average.get(c["run_a"])
        rows.append({"Precision": precision.get(c["run_b"], c["precision_b"]), "Δ average": a["diff"],
                     "95% interval": f"[{a['ci_low']:+.2f}, {a['ci_high']:+.2f}]", "Verdict": c["verdict"],
                     "Paired items": c["n_paired"], "Flips": c["flip_rate"], "Agreement": c["agreement"],
                     "KL divergence": c["kl_divergence"],
                     "Recovery": (average.get(c["run_b"]) / ref) if ref else None})
    return pl.DataFrame(rows)


REAL_CHANGE = "real change (95% paired interval excludes 0)"  # the History chart's marks, as its legend names them


def difference_line(label: str, difference: Mapping) -> str:
    """One compared pair as a line of Markdown a reader can take in, from a paired difference (``diff``,
    ``ci_low``, ``ci_high``, ``verdict``: a ``commit_steps`` row, ``compare_runs``'s ``average``): ▲/▼ and the
    verdict where the 95% interval excludes 0, else the verdict with the difference and its interval."""
    diff, low, high, verdict = (difference[k] for k in ("diff", "ci_low", "ci_high", "verdict"))
    if diff != diff:  # NaN: no paired items
        return f"{plain(label)}: {verdict}"
    if low > 0 or high < 0:
        return f"{'▲' if diff > 0 else '▼'} {plain(label)}: {verdict}"
    return f"≈ {plain(label)}: {verdict} (Δ {diff:+.2f} points, 95% interval [{low:+.2f}, {high:+.2f}])"


def memory_front(memory: pl.DataFrame) -> pl.DataFrame:
    """The quality-against-weight-memory front: the entries no smaller entry beats (from the smallest up,
    each one that raises the best average so far)."""
    ordered = memory.drop_nulls(["weight_gb", "average"]).sort(["weight_gb", "average"], descending=[False, True])
    if not ordered.height:
        return ordered
    best = ordered["average"].cum_max()
    previous = best.shift(1, fill_value=float("-inf"))
    return ordered.filter(ordered["average"] > previous)


def top_n_chart(n: int) -> dict:
    """A Vega-Lite spec of the top-N bars (columns Entry, Rank, Average ⬆️). Vega-Lite, not Plotly, on the
    leaderboard: Plotly's 4.7 MB script doubled the browser's work on the first render. SVG, so bar labels
    are text in the page."""
    return {
        "title": f"Top {n} by average",
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "Entry", "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 400}},
            "x": {"field": "Average ⬆️", "type": "quantitative", "title": "Average"},
            "tooltip": [{"field": "Rank"}, {"field": "Entry", "title": "Model"},
                        {"field": "Average ⬆️", "format": ".2f", "title": "Average"}],
        },
        "height": {"step": 22},
        "usermeta": {"embedOptions": {"renderer": "svg"}},
    }


def view_csv(view: pl.DataFrame) -> bytes:
    """The leaderboard view as the CSV download holds it (the link column left out)."""
    return view.drop("Details", strict=False).write_csv().encode()


def view_parquet(view: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    view.drop("Details", strict=False).write_parquet(buf)
    return buf.getvalue()


def queue_groups(requests: list[Request]) -> dict[str, list[Request]]:
    groups: dict[str, list[Request]] = {s: [] for s in ("PENDING", "RUNNING", "FINISHED", "FAILED")}
    for r in requests:
        groups.setdefault(str(r.status), []).append(r)
    groups["FINISHED"].sort(key=lambda r: r.submitted_time, reverse=True)
    groups["FAILED"].sort(key=lambda r: r.submitted_time, reverse=True)
    return groups


def requests_frame(requests: list[Request]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"Model": r.model, "Precision": r.precision, "Revision": r.revision, "Sha": (r.sha or "")[:10],
          "Type": r.model_type, "Weight type": r.weight_type, "Submitted": r.submitted_time,
          "Request": r.request_id} for r in requests],
        schema={k: pl.String for k in ("Model", "Precision", "Revision", "Sha", "Type", "Weight type",
                                       "Submitted", "Request")})


def precision_runs(scores: pl.DataFrame) -> list[PrecisionRun]:
    """The runs behind a `queries.precision_scores` frame: the latest run of each precision (its
    `queries.latest_runs` pick, one per precision), highest precision first."""
    picked = scores.select(PrecisionRun._fields).unique()
    if picked["precision"].n_unique() != picked.height:
        raise ValueError("precision_scores: more than one run of a precision")
    rows = {r[0]: PrecisionRun(*r) for r in picked.iter_rows()}
    return [rows[p] for p in by_reference_order(rows)]


def deltas(scores: pl.DataFrame, runs: list[PrecisionRun], reference: str) -> pl.DataFrame:
    """Benchmark × precision table of normalized scores minus the reference precision's, and the average
    of each precision's run (`runs`: `precision_runs(scores)`) minus the reference's."""
    wide = scores.pivot(on="precision", index="display", values="normalized", aggregate_function="first")
    avg = pl.DataFrame({"precision": [r.precision for r in runs], "average": [r.average for r in runs]},
                       schema={"precision": pl.String, "average": pl.Float64}).with_columns(display=pl.lit("Average"))
    wide = pl.concat([wide, avg.pivot(on="precision", index="display", values="average")], how="diagonal_relaxed")
    others = [c for c in wide.columns if c not in ("display", reference)]
    return wide.select(pl.col("display").alias("Benchmark"), pl.col(reference).alias(f"{reference} (reference)"),
                       *[(pl.col(c) - pl.col(reference)).alias(f"Δ {c}") for c in others])
