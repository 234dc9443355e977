"""Commands that read the warehouse: `rankings`, one model's `history`, `quantization` and `model` card,
and a run's `samples`. Each one is a query in warehouse.queries, printed."""

from __future__ import annotations

import json

import click

from llmboard.cli.context import config, print_frame


@click.command()
@click.option("--suite", default=None, help="offline, leaderboard or leaderboard_v1 (default: the first with data).")
@click.option("--category", default=None)
@click.option("--precision", default=None)
@click.option("--search", default=None, help="Names separated by ';', and 'Hub License: X'.")
@click.option("--all-revisions", is_flag=True, help="One row per commit instead of the latest.")
@click.option("--show-flagged", is_flag=True)
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
def rankings(suite: str | None, category: str | None, precision: str | None, search: str | None,
             all_revisions: bool, show_flagged: bool, limit: int | None, as_json: bool) -> None:
    """The leaderboard: one row per model and precision, best first."""
    from warehouse import queries
    from warehouse.search import SearchError

    cfg = config()
    filters = {"suite": suite, "category": category, "precision": precision, "search": search,
               "all_revisions": all_revisions, "show_flagged": show_flagged}
    try:
        df = queries.with_rank_ranges(cfg.home, queries.rankings(cfg.home, limit=limit, **filters), **filters)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    keys = [k for k, _ in queries.benchmark_columns(suite or queries.default_suite(cfg.home) or "offline")]
    print_frame(df, as_json, ["rank", "rank_best", "rank_worst", "model_id", "precision", "model_type", "sha",
                              "average", "ci_low", "ci_high", *keys])


@click.command()
@click.argument("model")
@click.option("--precision", default=None, help="Default: the precision of the model's latest run.")
@click.option("--suite", default=None)
@click.option("--json", "as_json", is_flag=True)
def history(model: str, precision: str | None, suite: str | None, as_json: bool) -> None:
    """One model's scores commit by commit in one precision (re-runs of a sha kept apart)."""
    from warehouse import queries

    home = config().home
    if precision is None:
        runs = queries.model_runs(home, model)
        if not runs.height:
            raise click.ClickException(f"model: no runs of {model!r}; `llmboard rankings` lists the models")
        precision = runs["precision"][0]
    print_frame(queries.sha_history(home, model, precision, suite), as_json)


@click.command()
@click.argument("model")
@click.option("--sha", default=None, help="Default: the sha of the model's latest run.")
@click.option("--suite", default=None)
@click.option("--json", "as_json", is_flag=True)
def quantization(model: str, sha: str | None, suite: str | None, as_json: bool) -> None:
    """Every precision and quantization of one model's commit, per benchmark, with deltas."""
    from warehouse import queries

    print_frame(queries.quantization_comparison(config().home, model, sha, suite), as_json)


@click.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True)
def model(model: str, as_json: bool) -> None:
    """One model: its metadata, runs, requests and flags."""
    from warehouse import queries

    home = config().home
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
        print_frame(df, False)


@click.command()
@click.argument("run_id")
@click.option("--task", default=None)
@click.option("--correct/--incorrect", default=None, help="Only the items answered right (or wrong).")
@click.option("--text", default=None, help="Only items whose prompt, target or response contain this.")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
def samples(run_id: str, task: str | None, correct: bool | None, text: str | None, limit: int, as_json: bool) -> None:
    """Per-sample details of one run (`llmboard model MODEL` lists its runs)."""
    from warehouse import queries

    print_frame(queries.run_samples(config().home, run_id, task=task, correct=correct, text=text, limit=limit),
                as_json, ["task", "doc_id", "correct", "target", "response"])


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True)
def compare(run_a: str, run_b: str, as_json: bool) -> None:
    """RUN_B against RUN_A (the reference) on the items both answered: each benchmark's difference with a
    95% paired-bootstrap interval, flips, top-choice agreement and KL divergence, and a verdict."""
    from warehouse.queries.compare import CompareError, compare_runs

    try:
        result = compare_runs(config().home, run_a, run_b)
    except CompareError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return

    def share(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    click.echo(f"{result['model_b']} {result['precision_b']} against {result['model_a']} {result['precision_a']}: "
               f"{result['n_paired']} paired items, {share(result['flip_rate'])} flipped, "
               f"top choice agrees {share(result['agreement'])}")
    for row in [*result["benchmarks"], {"display": "Average", **result["average"]}]:
        click.echo(f"  {row['display']:12} {row['diff']:+7.2f}  [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]  "
                   f"{row['verdict']}")


COMMANDS = (rankings, history, quantization, model, samples, compare)
