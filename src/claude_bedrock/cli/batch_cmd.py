"""``claude-bedrock batch``: submit a JSONL file of prompts as Bedrock batch inference.

Input file: one request per line, in one of three forms::

    {"custom_id": "q1", "params": {"max_tokens": 512, "messages": [...]}}   # Message Batches
    {"custom_id": "q2", "prompt": "Summarise ...", "system": "...", "max_tokens": 256}
    Summarise the following text: ...                                       # a bare prompt

A ``prompt`` object may also set ``temperature`` and ``model``; a bare line (one that does
not start with ``{`` or ``"``; a JSON string also works) is the user message itself.
Missing ``custom_id`` become ``line-N`` (N = line number) and missing ``max_tokens`` the
``--max-tokens`` value; ``--model`` is the model of requests that name none. Blank lines
are skipped; a UTF-8 byte-order mark at the start of the file is removed.

Before anything is uploaded, the file is read once to check every line (see
:mod:`.batch_input`: any bad line, all of them listed by number, refuses the whole file
with exit code 2) and to estimate the cost at batch prices (input estimated from the
text, output counted at ``max_tokens``); above ``--confirm-above`` dollars the command
asks, unless ``--yes``.
S3 is reached as the AWS SDKs do (``AWS_ENDPOINT_URL_S3`` for a local server).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ._options import S3Connection, build_client, option_groups
from ._output import (
    ExitCode,
    Failure,
    OutputFormat,
    OutputOption,
    classify,
    err_console,
    fail,
    fail_usage,
    out_console,
    print_json,
)
from .batch_input import BadLines, InputError, checked_requests, read_requests

if TYPE_CHECKING:
    from ..resources.batches import Batches
    from ..types.batches import MessageBatch

__all__ = ["batch_app", "read_requests", "register"]

batch_app = typer.Typer(
    name="batch",
    help="Bedrock batch inference behind the Message Batches interface: submit, status, "
    "results, list, cancel.",
    no_args_is_help=True,
)

BatchId = Annotated[str, typer.Argument(help="The batch ID printed by submit.")]


def register(app: typer.Typer) -> None:
    """Add the ``batch`` command group to the main CLI."""
    app.add_typer(batch_app, name="batch")


def _batches(where: S3Connection) -> Batches:
    batches = build_client(where).messages.batches
    return batches.with_s3(endpoint_url=where.s3_endpoint_url) if where.s3_endpoint_url else batches


def _fail(exc: Exception, output: OutputFormat = OutputFormat.text) -> NoReturn:
    """A bad input line or an unreadable file is a usage error; the rest as every command."""
    if isinstance(exc, InputError | OSError):
        fail_usage(output, type(exc).__name__, str(exc))
    fail(classify(exc), output)


# -- commands --------------------------------------------------------------------------------


@batch_app.command()
@option_groups
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL prompts.")],
    bucket: Annotated[str, typer.Option(help="Where the batch lives: s3://bucket/prefix.")],
    role_arn: Annotated[str, typer.Option(help="IAM role Bedrock assumes to use the bucket.")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model of requests naming none.")
    ] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="max_tokens if a line has none.")] = 1024,
    system: Annotated[str | None, typer.Option(help="System prompt for bare prompts.")] = None,
    name: Annotated[str | None, typer.Option(help="Prefix of the Bedrock job names.")] = None,
    records_per_job: Annotated[
        int | None, typer.Option(help="Split into jobs of at most this many records.")
    ] = None,
    confirm_above: Annotated[
        float, typer.Option(help="Ask before submitting above this many dollars.")
    ] = 1.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    tag: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE tag for the Bedrock jobs (repeatable).")
    ] = None,
    *,
    where: S3Connection,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Estimate the cost, then upload FILE to S3 and start the Bedrock batch job(s).

    Examples:

      claude-bedrock batch submit prompts.jsonl -m haiku --bucket s3://my-bucket/batches
      --role-arn arn:aws:iam::123456789012:role/BedrockBatch
    """
    from .._exceptions import AnthropicError
    from ..resources._batch_write import encode_request

    def requests() -> Iterator[dict[str, Any]]:
        return read_requests(file, max_tokens=max_tokens, system=system)

    tags = dict(item.partition("=")[::2] for item in tag or ())
    if any(not key for key in tags):
        fail_usage(output, "UsageError", "--tag takes KEY=VALUE.")

    bad = BadLines()
    try:
        batches = _batches(where)
        core = batches._client._core

        def check(request: dict[str, Any]) -> None:
            encode_request(core, request, model)  # the record exactly as it would be sent

        good = checked_requests(file, bad, check, max_tokens=max_tokens, system=system)
        estimate = batches.estimate(good, model=model)
    except (InputError, OSError, AnthropicError) as exc:
        _fail(exc, output)
    if bad.count:
        fix = "Fix or remove these lines; nothing is sent until every line is a request."
        fail(Failure(ExitCode.USAGE, "InputError", bad.message(file), fix), output)
    if bad.bom and output is OutputFormat.text:
        err_console().print("Note: removed the UTF-8 byte-order mark at the start of the file.")
    if output is OutputFormat.text:
        err_console().print(
            f"{estimate.requests} requests, ~{estimate.input_tokens:,} input tokens, at most "
            f"{estimate.output_tokens:,} output tokens: [bold]at most ${estimate.usd:,.2f}[/] "
            "at batch prices (50% of on-demand)."
        )
        if estimate.unpriced:
            err_console().print(f"{estimate.unpriced} requests will fail (see their results).")
    if estimate.usd > confirm_above and not yes:
        if not sys.stdin.isatty():
            message = f"The estimate (${estimate.usd:,.2f}) is above ${confirm_above:,.2f}."
            fix = "Pass --yes to submit anyway, or raise --confirm-above."
            fail_usage(output, "ConfirmationRequired", message, fix)
        typer.confirm("Submit this batch?", abort=True, err=True)
    try:
        batch = batches.create(requests=requests(), bucket=bucket, role_arn=role_arn, model=model,
                               job_name=name, records_per_job=records_per_job,
                               tags=tags)  # fmt: skip
    except (InputError, OSError, AnthropicError) as exc:
        _fail(exc, output)
    if output is OutputFormat.json:
        print_json({"estimate": estimate.to_dict(), "batch": batch.to_dict(mode="json")})
        return
    err_console().print(f"Submitted {batch.total} requests as {len(batch.jobs)} Bedrock job(s).")
    out_console().print(batch.id)


def _summary(batch: MessageBatch) -> str:
    counts = batch.request_counts
    return (
        f"{batch.processing_status} ({batch.bedrock_status}): {batch.processed}/{batch.total} "
        f"processed, {counts.succeeded} succeeded, {counts.errored} errored, "
        f"{counts.canceled} canceled, {counts.expired} expired"
    )


def _show(batch: MessageBatch, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print_json(batch.to_dict(mode="json"))
        return
    console = out_console()
    console.print(batch.id, markup=False)
    console.print(_summary(batch), markup=False)
    for job in batch.jobs:
        done = job.processed_record_count or 0
        total = job.total_record_count or job.records or 0
        note = f" - {job.message}" if job.message else ""
        console.print(f"  {job.job_id} {job.status:<18} {done}/{total} {job.model_id}{note}",
                      markup=False)  # fmt: skip


@batch_app.command()
@option_groups
def status(
    batch_id: BatchId,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Live progress bar until the batch ends.")
    ] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls.")] = 5.0,
    *,
    where: S3Connection,
    output: OutputOption = OutputFormat.text,
) -> None:
    """A batch's state: records processed out of the total, per job; --watch follows it."""
    from .._exceptions import AnthropicError

    try:
        batches = _batches(where)
        batch = batches.retrieve(batch_id)
        if watch:  # an ended batch still gets its bar, full: the same output either way
            batch = _watch(batches, batch, interval)
    except AnthropicError as exc:
        _fail(exc, output)
    _show(batch, output)


def _watch(batches: Batches, batch: MessageBatch, interval: float) -> MessageBatch:
    """A rich progress bar (processed / total, from the jobs' counts) until the end."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err_console()) as progress:
        task = progress.add_task(batch.bedrock_status, total=batch.total or None)
        while True:
            progress.update(task, completed=batch.processed, total=batch.total or None,
                            description=batch.bedrock_status)  # fmt: skip
            if batch.processing_status == "ended":
                return batch
            time.sleep(interval)
            batch = batches.retrieve(batch.id)


@batch_app.command()
@option_groups
def results(
    batch_id: BatchId,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL file to write (default: stdout).")
    ] = None,
    *,
    where: S3Connection,
) -> None:
    """One result per request, in input order, as Message Batches result JSONL lines."""
    from .._exceptions import AnthropicError

    counts: dict[str, int] = {}
    try:
        items = _batches(where).results(batch_id)
        sink = output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout)
        with sink as handle:
            for item in items:
                counts[item.result.type] = counts.get(item.result.type, 0) + 1
                handle.write(item.to_json(indent=None) + "\n")
    except (OSError, AnthropicError) as exc:
        _fail(exc)
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"
    written = f" written to {output}" if output else ""
    err_console().print(f"{sum(counts.values())} results ({detail}){written}", markup=False)


@batch_app.command("list")
@option_groups
def list_batches(
    limit: Annotated[int, typer.Option(min=1, help="At most this many batches.")] = 20,
    *,
    where: S3Connection,
    output: OutputOption = OutputFormat.text,
) -> None:
    """The most recent batches (newest first)."""
    from .._exceptions import AnthropicError

    try:
        found = _batches(where).list(limit=limit)
    except AnthropicError as exc:
        _fail(exc, output)
    if output is OutputFormat.json:
        print_json([batch.to_dict(mode="json") for batch in found])
        return
    for batch in found:
        out_console().print(f"{batch.id}  {batch.created_at:%Y-%m-%d %H:%M}  {_summary(batch)}",
                            markup=False)  # fmt: skip
    if not found:
        err_console().print("No batches.")


@batch_app.command()
@option_groups
def cancel(
    batch_id: BatchId,
    *,
    where: S3Connection,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Stop the batch's running jobs (records already processed keep their results)."""
    from .._exceptions import AnthropicError

    try:
        batch = _batches(where).cancel(batch_id)
    except AnthropicError as exc:
        _fail(exc, output)
    _show(batch, output)
