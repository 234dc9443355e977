"""Commands on evaluation requests: `submit` one, see their `status`, and the maintainers' `relaunch`
and `reconcile`."""

from __future__ import annotations

import json

import click

from llmboard.cli.context import config, one_line


@click.command()
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
def submit(model: str, revision: str, precision: str, weight_type: str, model_type: str, base_model: str,
           chat_template: bool, model_id: str | None, sender: str, admin_token: str | None, as_json: bool) -> None:
    """Submit MODEL (a hub id or a local git repository) for evaluation."""
    from evaluator.checks import SubmissionError
    from evaluator.submit import Submission
    from evaluator.submit import submit as do_submit

    cfg = config()
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


@click.command()
@click.argument("model", required=False)
@click.option("--status", "wanted", type=click.Choice(["PENDING", "RUNNING", "FINISHED", "FAILED"],
                                                       case_sensitive=False), default=None,
              help="Only the requests in this state (the queue by status).")
@click.option("--json", "as_json", is_flag=True)
def status(model: str | None, wanted: str | None, as_json: bool) -> None:
    """Requests and where each one is (all, or one model's)."""
    from evaluator.requests import RequestStore

    reqs = [r for r in RequestStore(config().requests_dir).all()
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


@click.command()
@click.argument("request_id", required=False)
@click.option("--failed-infrastructure", is_flag=True,
              help="Re-queue every request that failed for an infrastructure reason.")
@click.option("--reason", default=None, help="Why, for the audit log.")
@click.option("--token", "--admin-token", "admin_token", default=None, envvar="LLMBOARD_ADMIN_TOKEN",
              help="The maintainers' admin token (default: LLMBOARD_ADMIN_TOKEN).")
@click.option("--by", default=None, help="Your name, recorded in the audit log.")
def relaunch(request_id: str | None, failed_infrastructure: bool, reason: str | None, admin_token: str | None,
             by: str | None) -> None:
    """Re-queue a FAILED request, or every infrastructure failure (maintainers only). The earlier attempts stay
    in the request's history and their logs are kept."""
    from evaluator.maintainers import NotAllowed, relaunch_failed_infrastructure
    from evaluator.maintainers import relaunch as do_relaunch

    if bool(request_id) == failed_infrastructure:
        raise click.UsageError("give a REQUEST_ID or --failed-infrastructure (one of them)")
    try:
        if failed_infrastructure:
            ids = relaunch_failed_infrastructure(config(), admin_token, by=by, reason=reason)
            click.echo(f"re-queued {len(ids)} request(s) that failed for an infrastructure reason"
                       + (f": {', '.join(ids)}" if ids else ""))
            return
        job = do_relaunch(config(), request_id, admin_token, by=by, reason=reason)
    except (NotAllowed, ValueError, KeyError) as exc:
        raise click.ClickException(one_line(exc)) from None
    click.echo(f"request {request_id} is PENDING again (job {job})")


@click.command()
def reconcile() -> None:
    """Rebuild the queue from PENDING request records (after Redis lost its data)."""
    from evaluator.admin import reconcile as do_reconcile

    requeued = do_reconcile(config())
    click.echo(f"re-queued {len(requeued)} pending request(s)")


COMMANDS = (submit, status, relaunch, reconcile)
