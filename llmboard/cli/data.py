"""Commands that move data in and out: `import requests|results|contents` (the Open LLM Leaderboard's
published files, through the one ingest writer), `export contents`, and `demo-zoo` (the demo models)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from llmboard.cli.context import config

if TYPE_CHECKING:
    from warehouse.ingest import ImportReport, Writer


SHOWN_ERRORS = 20  # error lines printed by an import; --json gives them all


@click.group("import")
def import_() -> None:
    """Load the Open LLM Leaderboard's published files (folders are walked)."""


class ImportSource(NamedTuple):
    """Where `--from-hub` fetches from (the leaderboard's public dataset of the kind imported), and how the
    report is shown (`--json`)."""

    from_hub: bool
    revision: str | None
    v1: bool
    as_json: bool = False


def import_options(command: Callable) -> Callable:
    """`--from-hub [--revision R] [--v1] [--json]`: the command gets `from_hub`, `revision`, `v1` and `as_json`."""
    command = click.option("--json", "as_json", is_flag=True,
                           help="Print the report as JSON: files and rows loaded, unchanged and quarantined, "
                                "with each quarantined row's reason.")(command)
    command = click.option("--v1", is_flag=True, help="With --from-hub: the 2023 leaderboard's dataset.")(command)
    command = click.option("--revision", default=None, help="With --from-hub: the dataset's branch or commit.")(command)
    return click.option("--from-hub", is_flag=True,
                        help="Fetch the leaderboard's public dataset (cached, resumable) and import it.")(command)


def _fetch(kind: str, source: ImportSource) -> list[Path]:
    from warehouse.hub_datasets import HubDatasetError, fetch

    try:
        return fetch(kind, v1=source.v1, revision=source.revision)
    except HubDatasetError as exc:
        raise click.ClickException(str(exc)) from None


def _run_import(kind: str, paths: tuple[str, ...], suffixes: tuple[str, ...],
                load: Callable[..., ImportReport], source: ImportSource) -> None:
    """Walk `paths` for files with `suffixes`, `load` them in one writer session, report; exit 1 if nothing loaded."""
    from tqdm import tqdm

    from warehouse.ingest import Writer, walk

    cfg = config()
    cfg.ensure_dirs()
    if source.from_hub:
        paths = tuple(str(p) for p in _fetch(kind, source))
    elif not paths:
        raise click.ClickException(f"give the files or folders to import, or --from-hub to fetch the leaderboard's {kind}")
    try:
        files = walk(paths, suffixes)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    with Writer(cfg.home) as w, tqdm(total=len(files), unit="file", desc=f"importing {kind}",
                                     disable=len(files) < 2) as bar:
        report = load(w, files, progress=bar.update)
    if source.as_json:
        click.echo(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
    else:
        for error in report.errors[:SHOWN_ERRORS]:
            click.echo(f"error: {error}", err=True)
        if len(report.errors) > SHOWN_ERRORS:
            click.echo(f"error: ... and {len(report.errors) - SHOWN_ERRORS} more (--json lists them all; they are "
                       "kept in the warehouse's quarantine table)", err=True)
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"{kind}: {report.summary()}")
    if report.errors and not report.loaded and not report.unchanged:
        sys.exit(1)


def _import_contents_files(w: Writer, files: list[Path], progress: Callable[[int], object]) -> ImportReport:
    """Each contents file in turn, their reports added into one."""
    from warehouse.ingest import ImportReport

    report = ImportReport("contents")
    for f in files:
        report.add(w.import_contents(f))
        progress(1)
    return report


@import_.command("requests")
@click.argument("paths", nargs=-1)
@import_options
def import_requests(paths: tuple[str, ...], from_hub: bool, revision: str | None, v1: bool, as_json: bool) -> None:
    """Request files, v1 and v2 shapes."""
    from warehouse.ingest import Writer

    _run_import("requests", paths, (".json",), Writer.import_requests, ImportSource(from_hub, revision, v1, as_json))


@import_.command("results")
@click.argument("paths", nargs=-1)
@import_options
def import_results(paths: tuple[str, ...], from_hub: bool, revision: str | None, v1: bool, as_json: bool) -> None:
    """Results files: lm-eval output (v2, with or without groups) and v1 lighteval files."""
    from warehouse.ingest import Writer

    _run_import("results", paths, (".json",), Writer.import_results, ImportSource(from_hub, revision, v1, as_json))


@import_.command("contents")
@click.argument("paths", nargs=-1)
@import_options
def import_contents(paths: tuple[str, ...], from_hub: bool, revision: str | None, v1: bool, as_json: bool) -> None:
    """The `contents` table as CSV or Parquet."""
    _run_import("contents", paths, (".csv", ".parquet"), _import_contents_files,
                ImportSource(from_hub, revision, v1, as_json))


@click.group()
def export() -> None:
    """Write warehouse data in the leaderboard's published formats."""


@export.command("contents")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--suite", default="leaderboard", show_default=True)
def export_contents(out: Path, suite: str) -> None:
    """The leaderboard's `contents` table (CSV, Parquet or JSON by OUT's suffix)."""
    from warehouse.export import export_contents as do_export

    try:
        n = do_export(config().home, out, suite=suite)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {n} rows to {out}")


@click.command("demo-zoo")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--no-smollm2", is_flag=True, help="Only the tiny random models.")
def demo_zoo(dest: Path, no_smollm2: bool) -> None:
    """Build the demo model zoo (local git repositories) in DEST."""
    from evaluator.zoo import build_zoo

    for m in build_zoo(dest, include_smollm2=not no_smollm2, progress=click.echo):
        click.echo(f"{m.model_id:45} {m.model_type:12} {len(m.shas)} commits  {m.path}")


COMMANDS = (import_, export, demo_zoo)
