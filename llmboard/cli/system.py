"""Commands that run the system's processes: `up` (everything), `worker` and `ingest-writer`."""

from __future__ import annotations

import sys

import click

from llmboard.cli.context import config


@click.command()
@click.option("--demo/--no-demo", default=False, help="Build the demo model zoo and submit it.")
@click.option("--workers", type=int, default=None, help="Evaluation workers (default: LLMBOARD_WORKERS).")
def up(demo: bool, workers: int | None) -> None:
    """Run the whole system: Valkey (unless REDIS_URL), ingest writer, workers, dashboard."""
    from llmboard.up import run_up

    sys.exit(run_up(config(), demo=demo, workers=workers))


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
def worker(burst: bool, name: str | None) -> None:
    """An evaluation worker: takes jobs from the queue at REDIS_URL."""
    from llmboard.workers import run_worker

    run_worker(config(), burst=burst, name=name)


@click.command("ingest-writer")
@click.option("--burst", is_flag=True, help="Stop once the inbox is empty.")
def ingest_writer(burst: bool) -> None:
    """The single ingest writer: loads result bundles and request records into the warehouse."""
    from evaluator.queue import connect
    from llmboard.ingestd import serve

    cfg = config()
    cfg.ensure_dirs()
    serve(cfg, connect(cfg.redis_url), burst=burst)


COMMANDS = (up, worker, ingest_writer)
