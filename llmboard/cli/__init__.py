"""The one CLI group, `llmboard ...`, and the rooms its commands live in.

    system    up, worker, ingest-writer        (the processes)
    requests  submit, status, relaunch, reconcile
    reading   rankings, history, quantization, model, samples
    data      import requests|results|contents, export contents, demo-zoo

Commands import what they use inside their function, so `llmboard --help` stays quick (no torch, no
lm_eval, no warehouse).
"""

from __future__ import annotations

import click

from llmboard.cli import data, reading, requests, system


@click.group()
def main() -> None:
    """llmboard: an open, self-hostable leaderboard for open LLMs."""


for _command in (*system.COMMANDS, *requests.COMMANDS, *reading.COMMANDS, *data.COMMANDS):
    main.add_command(_command)

__all__ = ["main"]
