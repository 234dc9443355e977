"""The one CLI group, `llmboard ...`, and the rooms its commands live in.

    system    up, worker, ingest-writer        (the processes)
    requests  submit, status, relaunch, reconcile
    maintainers  remove, restore, rename, audit, flags, flag, confirm-flag, dismiss-flag
    reading   rankings, history, quantization, model, samples
    data      import requests|results|contents, export contents, demo-zoo

Commands import what they use inside their function, so `llmboard --help` stays quick (no torch, no
lm_eval, no warehouse).
"""

from __future__ import annotations

import click

from llmboard.cli import data, maintainers, reading, requests, system
from llmboard.cli.context import one_line


class OneLineErrors(click.Group):
    """Every error is one line saying what to do; `--debug` shows the traceback of an unexpected one."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise click.ClickException(one_line(exc)) from None


@click.group(cls=OneLineErrors)
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """llmboard: an open, self-hostable leaderboard for open LLMs."""
    ctx.obj = {"debug": debug}


for _command in (*system.COMMANDS, *requests.COMMANDS, *reading.COMMANDS, *data.COMMANDS, *maintainers.COMMANDS):
    main.add_command(_command)

__all__ = ["main"]
