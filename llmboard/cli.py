"""The one CLI group: `llmboard ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core.settings import Config


def _config() -> Config:
    return Config.from_env()


def _print_frame(df, as_json: bool, columns: list[str] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(df.to_dicts() if df.height else [], default=str, indent=1))
        return
    if not df.height:
        click.echo("(nothing yet)")
        return
    import polars as pl

    with pl.Config(tbl_rows=200, tbl_cols=20, fmt_str_lengths=60, tbl_width_chars=250,
                   tbl_hide_dataframe_shape=True, float_precision=2):
        click.echo(df.select([c for c in (columns or df.columns) if c in df.columns]))


@click.group()
def main() -> None:
    """llmboard: an open, self-hostable leaderboard for open LLMs."""


@main.command()
@click.option("--demo/--no-demo", default=False, help="Build the demo model zoo and submit it.")
@click.option("--workers", type=int, default=None, help="Evaluation workers (default: LLMBOARD_WORKERS).")
def up(demo: bool, workers: int | None) -> None:
    """Run the whole system: Valkey (unless REDIS_URL), ingest writer, workers, dashboard."""
    from llmboard.up import run_up

    sys.exit(run_up(_config(), demo=demo, workers=workers))


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
def worker(burst: bool, name: str | None) -> None:
    """An evaluation worker: takes jobs from the queue at REDIS_URL."""
    from llmboard.workers import run_worker

    run_worker(_config(), burst=burst, name=name)


@main.command("ingest-writer")
@click.option("--burst", is_flag=True, help="Stop once the inbox is empty.")
def ingest_writer(burst: bool) -> None:
    """The single ingest writer: loads result bundles and request records into the warehouse."""
    from evaluator.queue import connect
    from llmboard.ingestd import serve

    cfg = _config()
    cfg.ensure_dirs()
    serve(cfg, connect(cfg.redis_url), burst=burst)


@main.command()
@click.argument("model")
@click.option("--revision", default="main", show_default=True, help="Commit sha or branch.")
@click.option("--precision", default="float32", show_default=True,
              help="float32, float16, bfloat16, 8bit, 4bit or gguf.")
@click.option("--weight-type", default="Original", show_default=True, help="Original, Delta or Adapter.")
@click.option("--model-type", default="pretrained", show_default=True,
              help="pretrained, continuously-pretrained, fine-tuned, chat or merge.")
@click.option("--base-model", default="", help="Base model (needed for Delta and Adapter).")
@click.option("--chat-template/--no-chat-template", default=False, help="Evaluate with the chat template.")
@click.option("--model-id", default=None, help="Name to list a local repository under (org/name).")
@click.option("--sender", default="anonymous", show_default=True)
@click.option("--admin-token", default=None, envvar="LLMBOARD_ADMIN_TOKEN", help="Maintainer token.")
@click.option("--json", "as_json", is_flag=True)
def submit(model, revision, precision, weight_type, model_type, base_model, chat_template, model_id, sender,
           admin_token, as_json) -> None:
    """Submit MODEL (a hub id or a local git repository) for evaluation."""
    from evaluator.checks import SubmissionError
    from evaluator.submit import Submission
    from evaluator.submit import submit as do_submit

    cfg = _config()
    cfg.ensure_dirs()
    try:
        req = do_submit(Submission(model, revision, precision, weight_type, model_type, base_model, chat_template,
                                   sender, model_id, admin_token), cfg)
    except SubmissionError as exc:
        raise click.ClickException(f"submission refused: {exc}") from None
    if as_json:
        click.echo(json.dumps(req.to_json(), indent=1))
    else:
        click.echo(f"queued {req.model} at {req.sha[:10]} in {req.precision}: request {req.request_id} ({req.status})")


@main.command()
@click.argument("model", required=False)
@click.option("--status", "wanted", type=click.Choice(["PENDING", "RUNNING", "FINISHED", "FAILED"],
                                                       case_sensitive=False), default=None,
              help="Only the requests in this state (the queue by status).")
@click.option("--json", "as_json", is_flag=True)
def status(model: str | None, wanted: str | None, as_json: bool) -> None:
    """Requests and where each one is (all, or one model's)."""
    from evaluator.requests import RequestStore

    reqs = [r for r in RequestStore(_config().requests_dir).all()
            if (model is None or r.model == model) and (wanted is None or r.status == wanted)]
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reqs], indent=1))
        return
    for r in reqs:
        extra = f"  {r.progress_task} {100 * (r.progress or 0):.0f}%" if r.status == "RUNNING" else ""
        reason = f"  ({r.failure_kind}: {r.failure_reason})" if r.status == "FAILED" else ""
        click.echo(f"{r.request_id}  {r.status:8}  {r.model}  {r.sha[:10]}  {r.precision}{extra}{reason}")
    if not reqs:
        click.echo("no requests" + (f" for {model}" if model else ""))


@main.command()
@click.option("--suite", default=None, help="offline, leaderboard or leaderboard_v1 (default: the first with data).")
@click.option("--category", default=None)
@click.option("--precision", default=None)
@click.option("--search", default=None, help="Names separated by ';', and 'Hub License: X'.")
@click.option("--all-revisions", is_flag=True, help="One row per commit instead of the latest.")
@click.option("--show-flagged", is_flag=True)
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
def rankings(suite, category, precision, search, all_revisions, show_flagged, limit, as_json) -> None:
    """The leaderboard: one row per model and precision, best first."""
    from warehouse import queries
    from warehouse.search import SearchError

    cfg = _config()
    try:
        df = queries.rankings(cfg.home, suite=suite, category=category, precision=precision, search=search,
                              all_revisions=all_revisions, show_flagged=show_flagged, limit=limit)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    keys = [k for k, _ in queries.benchmark_columns(suite or queries.default_suite(cfg.home) or "offline")]
    _print_frame(df, as_json, ["rank", "model_id", "precision", "model_type", "sha", "average", *keys])


@main.command()
@click.argument("request_id")
@click.option("--admin-token", default=None, envvar="LLMBOARD_ADMIN_TOKEN", help="Maintainer token.")
def relaunch(request_id: str, admin_token: str | None) -> None:
    """Re-queue a FAILED request (maintainers only)."""
    from evaluator.admin import NotAllowed
    from evaluator.admin import relaunch as do_relaunch

    try:
        job = do_relaunch(_config(), request_id, admin_token)
    except (NotAllowed, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"request {request_id} is PENDING again (job {job})")


@main.command()
@click.argument("model")
@click.option("--precision", default=None, help="Default: the precision of the model's latest run.")
@click.option("--suite", default=None)
@click.option("--json", "as_json", is_flag=True)
def history(model: str, precision: str | None, suite: str | None, as_json: bool) -> None:
    """One model's scores commit by commit in one precision (re-runs of a sha kept apart)."""
    from warehouse import queries

    home = _config().home
    if precision is None:
        runs = queries.model_runs(home, model)
        if not runs.height:
            raise click.ClickException(f"model: no runs of {model!r}; `llmboard rankings` lists the models")
        precision = runs["precision"][0]
    _print_frame(queries.sha_history(home, model, precision, suite), as_json)


@main.command()
@click.argument("model")
@click.option("--sha", default=None, help="Default: the sha of the model's latest run.")
@click.option("--suite", default=None)
@click.option("--json", "as_json", is_flag=True)
def quantization(model: str, sha: str | None, suite: str | None, as_json: bool) -> None:
    """Every precision and quantization of one model's commit, per benchmark, with deltas."""
    from warehouse import queries

    _print_frame(queries.quantization_comparison(_config().home, model, sha, suite), as_json)


@main.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True)
def model(model: str, as_json: bool) -> None:
    """One model: its metadata, runs, requests and flags."""
    from warehouse import queries

    home = _config().home
    info = queries.model_info(home, model)
    if info is None:
        raise click.ClickException(f"model: {model!r} is not in the warehouse; `llmboard rankings` lists the models")
    parts = {"runs": queries.model_runs(home, model), "requests": queries.model_requests(home, model),
             "flags": queries.model_flags(home, model)}
    if as_json:
        click.echo(json.dumps({"model": info, **{k: v.to_dicts() for k, v in parts.items()}}, default=str, indent=1))
        return
    for key, value in info.items():
        if value is not None:
            click.echo(f"{key:18} {value}")
    for name, df in parts.items():
        click.echo(f"\n{name}:")
        _print_frame(df, False)


@main.command()
@click.argument("run_id")
@click.option("--task", default=None)
@click.option("--correct/--incorrect", default=None, help="Only the items answered right (or wrong).")
@click.option("--text", default=None, help="Only items whose prompt, target or response contain this.")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
def samples(run_id: str, task: str | None, correct: bool | None, text: str | None, limit: int, as_json: bool) -> None:
    """Per-sample details of one run (`llmboard model MODEL` lists its runs)."""
    from warehouse import queries

    _print_frame(queries.run_samples(_config().home, run_id, task=task, correct=correct, text=text, limit=limit),
                 as_json, ["task", "doc_id", "correct", "target", "response"])


@main.command()
def reconcile() -> None:
    """Rebuild the queue from PENDING request records (after Redis lost its data)."""
    from evaluator.admin import reconcile as do_reconcile

    requeued = do_reconcile(_config())
    click.echo(f"re-queued {len(requeued)} pending request(s)")


@main.command("demo-zoo")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--no-smollm2", is_flag=True, help="Only the tiny random models.")
def demo_zoo(dest: Path, no_smollm2: bool) -> None:
    """Build the demo model zoo (local git repositories) in DEST."""
    from evaluator.zoo import build_zoo

    for m in build_zoo(dest, include_smollm2=not no_smollm2, progress=click.echo):
        click.echo(f"{m.model_id:45} {m.model_type:12} {len(m.shas)} commits  {m.path}")


@main.group("import")
def import_() -> None:
    """Load the Open LLM Leaderboard's published files (folders are walked)."""


def _run_import(kind: str, paths: tuple[str, ...]) -> None:
    from tqdm import tqdm

    from warehouse.ingest import Writer, walk

    cfg = _config()
    cfg.ensure_dirs()
    suffixes = (".csv", ".parquet") if kind == "contents" else (".json",)
    try:
        files = walk(paths, suffixes)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    with Writer(cfg.home) as w, tqdm(total=len(files), unit="file", desc=f"importing {kind}",
                                     disable=len(files) < 2) as bar:
        if kind == "results":
            report = w.import_results(files, progress=bar.update)
        elif kind == "requests":
            report = w.import_requests(files, progress=bar.update)
        else:
            from warehouse.ingest import ImportReport

            report = ImportReport()
            for f in files:
                one = w.import_contents(f)
                report.loaded += one.loaded
                report.unchanged += one.unchanged
                report.errors += one.errors
                bar.update(1)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{kind}: {report.summary()}")
    if report.errors and not report.loaded and not report.unchanged:
        sys.exit(1)


@import_.command("requests")
@click.argument("paths", nargs=-1, required=True)
def import_requests(paths) -> None:
    """Request files, v1 and v2 shapes."""
    _run_import("requests", paths)


@import_.command("results")
@click.argument("paths", nargs=-1, required=True)
def import_results(paths) -> None:
    """Results files: lm-eval output (v2, with or without groups) and v1 lighteval files."""
    _run_import("results", paths)


@import_.command("contents")
@click.argument("paths", nargs=-1, required=True)
def import_contents(paths) -> None:
    """The `contents` table as CSV or Parquet."""
    _run_import("contents", paths)


@main.group()
def export() -> None:
    """Write warehouse data in the leaderboard's published formats."""


@export.command("contents")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--suite", default="leaderboard", show_default=True)
def export_contents(out: Path, suite: str) -> None:
    """The leaderboard's `contents` table (CSV, Parquet or JSON by OUT's suffix)."""
    from warehouse.export import export_contents as do_export

    try:
        n = do_export(_config().home, out, suite=suite)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {n} rows to {out}")


if __name__ == "__main__":
    main()
