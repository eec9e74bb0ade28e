"""``claude-bedrock run``: a JSONL file of prompts through on-demand calls, resumable.

The input is the ``batch`` command's (``{"custom_id", "params"}``, ``{"prompt", ...}`` or a
bare prompt per line); the results file (``-o``) is the Message Batches results format, one
line per record, written as each record finishes and used as the checkpoint: rerun the same
command after Ctrl-C, a crash or ``kill -9`` and it sends only what is not in the file yet
(:mod:`._results_file`). A malformed line stops nothing: it becomes an ``errored`` result
naming its line number, and is counted in the summary; so are the records Bedrock refused.

Concurrency follows the model's quota (``messages.create_many``: the adaptive limiter)
unless ``--concurrency`` fixes it. Before sending, the cost is estimated at on-demand
prices (input from the text, output at ``max_tokens``: an upper bound) and, above
``--confirm-above`` dollars, confirmed; a job that batch inference could take is told what
``claude-bedrock batch submit`` would cost instead (half, within a day).

A record Bedrock did not answer (a connection failure, or throttling past the limiter's
deadline) is not a result: it is left out of the file, counted as unfinished, and sent
again by the rerun. A record Bedrock answered with an error *is* a result, final unless
``--retry-errors`` asks to send again those whose error the client's own retry policy
retries (throttling, capacity, 408 and 5xx, no answer: :data:`.._retry.RETRYABLE_STATUS`),
or ``--retry-all-errors`` every errored record (a validation or access error too, after the
input or the account was fixed); the new result replaces the old one
(:mod:`._results_file`: appended, the last line wins, then compacted). Exit codes: 0 every
record succeeded, 1 some records errored or lines were malformed (see the results file), 5
some records are unfinished (rerun), 2 usage (unreadable input, a fallback the surface does
not serve), 130 interrupted (rerun to resume); the others as every command.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._options import Connection, build_client, option_groups
from ._output import ExitCode, OutputFormat, err_console, fail, fail_usage, print_json
from ._run_plan import Plan, Tally, make_plan, read_lines, records_to_retry, to_send

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from ..types.batches import MessageBatchIndividualResponse
    from ._results_file import ResultsFile

__all__ = ["register"]

#: Records from which ``run`` mentions batch inference (it needs 100 per job; below a
#: thousand, on-demand's speed is worth the price).
BATCH_HINT_RECORDS = 1000

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output", envvar="CLAUDE_BEDROCK_OUTPUT", case_sensitive=False,
        help="text for people, json for scripts (the summary as JSON on stdout).",
    ),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("run")(option_groups(run))


def run(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL prompts.")],
    results: Annotated[
        Path, typer.Option("--results", "-o", help="Results JSONL (also the checkpoint).")
    ],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model of requests naming none.")
    ] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="max_tokens if a line has none.")] = 1024,
    system: Annotated[str | None, typer.Option(help="System prompt for bare prompts.")] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Fixed calls in flight (default: adaptive).")
    ] = None,
    fallback: Annotated[
        list[str] | None,
        typer.Option(help="Model to try after a capacity or throttling error (repeatable)."),
    ] = None,
    confirm_above: Annotated[
        float, typer.Option(help="Ask before running above this many dollars.")
    ] = 1.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    retry_errors: Annotated[
        bool,
        typer.Option(
            "--retry-errors",
            help="Send again the records whose stored error is retryable (throttling, "
            "capacity, timeouts, 5xx, no answer); the new result replaces the old.",
        ),
    ] = False,
    retry_all_errors: Annotated[
        bool,
        typer.Option(
            "--retry-all-errors",
            help="Send again every errored record, validation and access errors too.",
        ),
    ] = False,
    *,
    where: Connection,
    output: FormatOption = OutputFormat.text,
) -> None:
    """Run every prompt of FILE on demand, as fast as the model's quota allows; rerun the
    same command to resume after an interruption.

    Example:

      claude-bedrock run prompts.jsonl -m sonnet -o results.jsonl

      claude-bedrock run prompts.jsonl -m sonnet -o results.jsonl --retry-errors
    """
    from .._exceptions import AnthropicError
    from ._output import classify
    from ._results_file import ResultsFile

    try:
        client = build_client(where)
        if fallback:
            client = client.with_options(fallbacks=fallback)
            _check_fallbacks(client, model, fallback)
        sink = ResultsFile(results)
    except AnthropicError as exc:
        if _usage(exc):
            fail_usage(output, type(exc).__name__, str(exc))
        fail(classify(exc), output)
    except OSError as exc:
        fail_usage(output, type(exc).__name__, str(exc))
    try:
        retry = records_to_retry(sink, retry_errors, retry_all_errors)
        plan = make_plan(client, read_lines(file, max_tokens, system, model), sink.done, retry)
        _announce(plan, file, output)
        _confirm(plan, confirm_above, yes, output)
        started = time.monotonic()
        how = (max_tokens, system, model)
        tally = _execute(client, file, how, sink, plan, concurrency, retry)
    except KeyboardInterrupt:
        sink.close()
        err_console().print(
            f"Interrupted: {len(sink.done)} records are in {results}; rerun the same command "
            "to resume (finished records are not sent again)."
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except OSError as exc:
        sink.close()
        fail_usage(output, type(exc).__name__, str(exc))
    sink.close()
    _report(plan, tally, time.monotonic() - started, results, output)
    if tally.unfinished:
        raise typer.Exit(ExitCode.NETWORK)
    if tally.errored or tally.bad_lines:
        raise typer.Exit(ExitCode.API_ERROR)


def _usage(exc: Exception) -> bool:
    from .._exceptions import ClientValidationError

    return isinstance(exc, ClientValidationError)


def _check_fallbacks(client: AnthropicBedrock, model: str | None, fallbacks: list[str]) -> None:
    """A fallback the surface does not serve fails now, not half-way through the run."""
    from ..resources._fallbacks import fallback_chain

    fallback_chain(client._core, model or "", fallbacks, (), client._core.surface)


def _announce(plan: Plan, file: Path, output: OutputFormat) -> None:
    if output is not OutputFormat.text:
        return
    console = err_console()
    resumed = f" ({plan.already_done} already done: resuming)" if plan.already_done else ""
    if plan.retries:
        resumed += f" ({plan.retries} errored before: sent again)"
    console.print(
        f"{plan.requests} requests to send{resumed}, ~{plan.input_tokens:,} input tokens, "
        f"at most {plan.output_tokens:,} output tokens: [bold]at most ${plan.usd:,.2f}[/] "
        "on demand."
    )
    if plan.bad_lines or plan.duplicates:
        console.print(
            f"{plan.bad_lines} malformed lines (reported in the results) and "
            f"{plan.duplicates} duplicate custom_ids (skipped)."
        )
    if plan.requests >= BATCH_HINT_RECORDS and plan.batch_usd < plan.usd:
        console.print(
            f"Not urgent? [bold]claude-bedrock batch submit {file}[/] would cost about "
            f"${plan.batch_usd:,.2f} instead (Bedrock batch inference: half the price, "
            "results within 24 hours, at least 100 records per job)."
        )


def _confirm(plan: Plan, confirm_above: float, yes: bool, output: OutputFormat) -> None:
    if plan.usd <= confirm_above or yes:
        return
    if not sys.stdin.isatty():
        message = f"The estimate (${plan.usd:,.2f}) is above ${confirm_above:,.2f}."
        fail_usage(output, "ConfirmationRequired", message, "Pass --yes, or raise --confirm-above.")
    typer.confirm("Run these requests?", abort=True, err=True)


def _execute(
    client: AnthropicBedrock,
    file: Path,
    how: tuple[int, str | None, str | None],
    sink: ResultsFile,
    plan: Plan,
    concurrency: int | None,
    retry: set[str],
) -> Tally:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    tally = Tally()
    started = time.monotonic()
    columns = (
        BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]} tok/s"),
        TextColumn("${task.fields[usd]}"), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=err_console(), transient=True) as progress:
        task = progress.add_task("run", total=plan.requests, rate="0", usd="0.00")
        results = client.messages.create_many(
            to_send(file, how, sink, tally, retry), concurrency=concurrency, ordered=False
        )
        for result in results:
            retried = result.custom_id in retry
            tally.retried += retried
            tally.still_failed += retried and result.result.type != "succeeded"
            if _unfinished(result):  # no answer, or still throttled: the rerun sends it
                tally.unfinished += 1  # (a retried record keeps its stored error)
                continue
            sink.write(json.loads(result.model_dump_json()))
            _count(tally, result)
            rate = (tally.input_tokens + tally.output_tokens) / max(
                time.monotonic() - started, 1e-3
            )
            progress.update(task, advance=1, rate=f"{rate:,.0f}", usd=f"{tally.usd:,.2f}")
    return tally


#: Errors that are not the record's answer but the moment's: the record is left for a rerun.
_TRANSIENT_TYPES = frozenset({"APIConnectionError", "APITimeoutError"})
_TRANSIENT_STATUS = frozenset({429, 503, 529})


def _unfinished(result: MessageBatchIndividualResponse) -> bool:
    if result.result.type != "errored":
        return False
    error = result.result.error.error
    return error.type in _TRANSIENT_TYPES or error.bedrock_error_code in _TRANSIENT_STATUS


def _count(tally: Tally, result: MessageBatchIndividualResponse) -> None:
    if result.result.type != "succeeded":
        tally.errored += 1
        return
    tally.succeeded += 1
    message = result.result.message
    tally.input_tokens += message.usage.input_tokens
    tally.output_tokens += message.usage.output_tokens
    if message.cost is not None:
        tally.usd += message.cost.usd


def _report(plan: Plan, tally: Tally, elapsed: float, results: Path, output: OutputFormat) -> None:
    summary = {
        "succeeded": tally.succeeded, "errored": tally.errored, "bad_lines": tally.bad_lines,
        "unfinished": tally.unfinished,
        "retried": tally.retried, "still_failed": tally.still_failed,
        "already_done": plan.already_done, "duplicates_skipped": plan.duplicates,
        "input_tokens": tally.input_tokens, "output_tokens": tally.output_tokens,
        "usd": round(tally.usd, 6), "seconds": round(elapsed, 3), "results": str(results),
    }  # fmt: skip
    if output is OutputFormat.json:
        print_json(summary)
        return
    err_console().print(
        f"{tally.succeeded} succeeded, {tally.errored} errored, {tally.bad_lines} malformed "
        f"lines, {plan.already_done} already done; {tally.input_tokens:,} input and "
        f"{tally.output_tokens:,} output tokens, ${tally.usd:,.4f}, in {elapsed:,.1f} s. "
        f"Results: {results}"
    )
    if tally.retried:
        err_console().print(
            f"{tally.retried} errored records sent again: "
            f"{tally.retried - tally.still_failed} succeeded, {tally.still_failed} still failed."
        )
    if tally.unfinished:
        err_console().print(
            f"{tally.unfinished} records got no answer from Bedrock (connection errors or "
            "throttling past retry_deadline): rerun the same command to send them."
        )
