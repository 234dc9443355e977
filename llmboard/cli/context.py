"""What every command shares: the settings, read from the environment when a command runs, and how a
table of results is printed (as text, or as JSON with `--json`)."""

from __future__ import annotations

import json

import click

from core.settings import Config


def one_line(exc: BaseException) -> str:
    """An error as one line: our own errors say what to do already; anything else is named, with the
    way to see more."""
    from evaluator.queue import QueueUnavailable

    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    if isinstance(exc, QueueUnavailable | PermissionError | ValueError | KeyError | FileNotFoundError):
        return text
    import redis

    if isinstance(exc, redis.RedisError):
        return (f"the queue does not answer ({text}): start `llmboard up`, or set REDIS_URL to a running "
                "Redis/Valkey")
    return f"{type(exc).__name__}: {text} (run `llmboard --debug ...` to see the traceback)"


def config() -> Config:
    """The settings from the environment (LLMBOARD_HOME, REDIS_URL, ...)."""
    return Config.from_env()


def print_frame(df, as_json: bool, columns: list[str] | None = None) -> None:
    """A polars frame as a text table (only `columns`, where given and present), or as JSON rows."""
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
