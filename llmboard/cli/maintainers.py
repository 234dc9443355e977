"""Maintainers' commands: `remove` and `restore` entries, `rename` a model, decide on flags
(`confirm-flag`, `dismiss-flag`), and the `audit` log every such action leaves. Each needs the admin token
(`--token`, or LLMBOARD_ADMIN_TOKEN) and is refused in one line without it; `--by` names who acted.
Anyone may list and open `flags`."""

from __future__ import annotations

import click

from llmboard.cli.context import config, print_frame
from warehouse.flag_rules import KINDS


def token_options(command):
    command = click.option("--by", default=None, help="Your name, recorded in the audit log.")(command)
    return click.option("--token", "--admin-token", "token", default=None, envvar="LLMBOARD_ADMIN_TOKEN",
                        help="The maintainers' admin token (default: LLMBOARD_ADMIN_TOKEN).")(command)


def entry_options(command):
    command = click.option("--precision", default=None, help="Only this precision.")(command)
    return click.option("--revision", default=None, help="Only this commit (a sha or its prefix).")(command)


@click.command()
@click.argument("model")
@entry_options
@click.option("--reason", required=True, help="Why: shown to maintainers and in the audit log.")
@token_options
def remove(model: str, revision: str | None, precision: str | None, reason: str, token: str | None,
           by: str | None) -> None:
    """Hide MODEL's entries from every ranking, search and export (kept; `restore` brings them back). The same
    model, commit and precision may then be submitted again."""
    from warehouse import maintenance

    cfg = config()
    done = maintenance.remove(cfg.home, model, reason=reason, token=token, admin_token=cfg.admin_token,
                              revision=revision, precision=precision, by=by)
    click.echo(f"removed {len(done.run_ids)} run(s) of {model} (removal {done.removal_id}); "
               f"`llmboard restore {model}` brings them back")


@click.command()
@click.argument("model")
@entry_options
@click.option("--reason", required=True, help="Why the entries come back.")
@token_options
def restore(model: str, revision: str | None, precision: str | None, reason: str, token: str | None,
            by: str | None) -> None:
    """Bring back MODEL's removed entries (of one revision and/or precision, when given)."""
    from warehouse import maintenance

    cfg = config()
    ids = maintenance.restore(cfg.home, model, reason=reason, token=token, admin_token=cfg.admin_token,
                              revision=revision, precision=precision, by=by)
    click.echo(f"restored {model}: removal(s) {', '.join(ids)} lifted")


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--reason", required=True, help="Why (the hub repository moved, ...).")
@token_options
def rename(old: str, new: str, reason: str, token: str | None, by: str | None) -> None:
    """Rename model OLD to NEW: its requests, runs and flags follow; searching OLD finds NEW."""
    from evaluator.maintainers import rename as do_rename

    moved = do_rename(config(), old, new, reason=reason, token=token, by=by)
    click.echo(f"renamed {old} to {new} ({len(moved)} request record(s) follow)")


@click.command()
@click.option("--limit", type=int, default=None, help="Only the newest N actions.")
@click.option("--json", "as_json", is_flag=True)
def audit(limit: int | None, as_json: bool) -> None:
    """Every maintainer action, newest first: when, who, what, on what, why."""
    from warehouse import queries

    print_frame(queries.audit_log(config().home, limit), as_json,
                ["acted_at", "actor", "action", "target", "reason", "details"])


@click.command()
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True)
def flags(model: str | None, as_json: bool) -> None:
    """Flags (all, or one model's), open first, with their comments."""
    from warehouse import queries

    print_frame(queries.model_flags(config().home, model), as_json,
                ["flag_id", "model_id", "kind", "status", "author", "reason", "close_reason"])


@click.command()
@click.argument("model")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--reason", required=True, help="What is wrong, with a link to the evidence.")
@click.option("--author", default="anonymous", show_default=True, help="Your name.")
def flag(model: str, kind: str, reason: str, author: str) -> None:
    """Flag MODEL: it gets a badge until a maintainer confirms (hides it) or dismisses the flag."""
    from warehouse.flags import flag_model

    flag_id = flag_model(config().home, model, kind, reason, author)
    click.echo(f"flag {flag_id} opened on {model}")


def _decide(status: str, name: str):
    @click.command(name=name,
                   help=f"Mark FLAG_ID {status} (maintainers), with the reason kept in its thread.")
    @click.argument("flag_id")
    @click.option("--reason", required=True)
    @token_options
    def decide(flag_id: str, reason: str, token: str | None, by: str | None) -> None:
        from warehouse import flags as flagging

        cfg = config()
        flagging.close(cfg.home, flag_id, status, reason=reason, token=token, admin_token=cfg.admin_token, by=by)
        click.echo(f"flag {flag_id} {status}")

    return decide


COMMANDS = (remove, restore, rename, audit, flags, flag, _decide("confirmed", "confirm-flag"),
            _decide("dismissed", "dismiss-flag"))
