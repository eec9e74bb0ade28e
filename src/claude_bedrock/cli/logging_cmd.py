"""``claude-bedrock logging enable|status|disable`` and ``claude-bedrock logs report|show``.

``logging`` configures Bedrock's model invocation logging and the retention Anthropic's
guide to Claude on Bedrock advises (a rolling 30 days at least; ``BEDROCK_GUIDE`` in
:mod:`._output`). ``logs`` reads the logs back from S3:
``report`` adds usage and cost up per model, per day and per endpoint type (tables, a bar
chart, ``--html`` for a self-contained page, ``--output json``), ``show`` prints one
invocation. Without ``--bucket``, ``logs`` asks Bedrock where the logs go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ._options import Connection, S3Connection, build_client, option_groups
from ._output import (
    ExitCode,
    OutputFormat,
    OutputOption,
    err_console,
    fail_usage,
    failing_on_errors,
    out_console,
    print_json,
)

if TYPE_CHECKING:
    from ..types.invocation_logging import InvocationLogRecord

__all__ = ["register"]

logging_app = typer.Typer(
    name="logging",
    help="Bedrock model invocation logging: enable, status, disable.",
    no_args_is_help=True,
)
logs_app = typer.Typer(
    name="logs",
    help="Read invocation logs back from S3: usage and cost report, one invocation.",
    no_args_is_help=True,
)


def _opt(name: str, text: str) -> Any:
    return typer.Option(name, help=text)


T = TypeVar("T")
Str = str | None
Bucket = Annotated[Str, _opt("--bucket", "Log bucket (default: the one logging delivers to).")]
Prefix = Annotated[Str, _opt("--prefix", "Key prefix of the logs (the configured keyPrefix).")]
Since = Annotated[Str, _opt("--since", "Only logs after this: 7d, 12h, 2w, or a date.")]


@dataclass(frozen=True)
class LogSource(S3Connection):
    """Where the logs are (``--bucket``, ``--prefix``: else where Bedrock delivers them) and
    from when (``--since``)."""

    bucket: Bucket = None
    prefix: Prefix = None
    since: Since = None


def register(app: typer.Typer) -> None:
    app.add_typer(logging_app, name="logging")
    app.add_typer(logs_app, name="logs")


# -- logging ------------------------------------------------------------------------------


@logging_app.command("enable")
@option_groups
def enable(
    s3_bucket: Annotated[Str, _opt("--s3-bucket", "Deliver logs to this S3 bucket.")] = None,
    s3_prefix: Annotated[Str, _opt("--s3-prefix", "Key prefix in that bucket.")] = None,
    cloudwatch_log_group: Annotated[
        Str, _opt("--cloudwatch-log-group", "Deliver logs to this CloudWatch log group.")
    ] = None,
    role_arn: Annotated[Str, _opt("--role-arn", "Role Bedrock assumes for CloudWatch.")] = None,
    large_data_s3_bucket: Annotated[
        Str, _opt("--large-data-s3-bucket", "CloudWatch delivery: bucket for large bodies.")
    ] = None,
    text: Annotated[bool, _opt("--text/--no-text", "Log prompts and completions.")] = True,
    image: Annotated[bool, _opt("--image", "Log image data.")] = False,
    embedding: Annotated[bool, _opt("--embedding", "Log embeddings.")] = False,
    video: Annotated[bool, _opt("--video", "Log video data.")] = False,
    audio: Annotated[bool, _opt("--audio", "Log audio data.")] = False,
    retention_days: Annotated[
        int, _opt("--retention-days", "Keep logs this many days (30 at least, advised).")
    ] = 30,
    allow_short_retention: Annotated[
        bool, _opt("--allow-short-retention", "Accept a retention under 30 days.")
    ] = False,
    cloudwatch_endpoint_url: Annotated[
        Str, _opt("--cloudwatch-endpoint-url", "CloudWatch Logs endpoint (default: AWS's).")
    ] = None,
    *,
    where: S3Connection,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Switch invocation logging on, and keep the logs a rolling 30 days (or --retention-days).

    Exit code 1 if logging is on but a destination could not be given its retention.

    Examples:

      claude-bedrock logging enable --s3-bucket my-logs --s3-prefix bedrock

      claude-bedrock logging enable --cloudwatch-log-group /bedrock/invocations
      --role-arn arn:aws:iam::123456789012:role/BedrockLogs --retention-days 90
    """
    from ..logs._render import render_config, render_retention

    with failing_on_errors(output), build_client(where) as client:
        report = client.invocation_logging.enable(
            s3_bucket=s3_bucket, s3_prefix=s3_prefix,
            cloudwatch_log_group=cloudwatch_log_group, role_arn=role_arn,
            large_data_s3_bucket=large_data_s3_bucket, text=text, image=image,
            embedding=embedding, video=video, audio=audio, retention_days=retention_days,
            allow_short_retention=allow_short_retention, s3_endpoint_url=where.s3_endpoint_url,
            cloudwatch_endpoint_url=cloudwatch_endpoint_url,
        )  # fmt: skip
    retention = [item.to_dict(mode="json") for item in report.retention]
    if output is OutputFormat.json:
        config = report.config.to_wire()
        print_json({"enabled": True, "ok": report.ok, "loggingConfig": config,
                    "retention": retention})  # fmt: skip
    else:
        console = out_console()
        console.print(
            "[bold green]Invocation logging is on.[/] The logs stay in your account: enabling "
            "it gives neither AWS nor Anthropic access to their content."
        )
        render_config(report.config, console)
        render_retention(report.retention, console)
    if not report.ok:
        raise typer.Exit(int(ExitCode.API_ERROR))


@logging_app.command("status")
@option_groups
def status(where: S3Connection, output: OutputOption = OutputFormat.text) -> None:
    """Show where invocation logs go and how long each destination keeps them."""
    from ..logs._render import render_config, render_retention

    with failing_on_errors(output), build_client(where) as client:
        config = client.invocation_logging.get()
        kept = client.invocation_logging.retention(config, s3_endpoint_url=where.s3_endpoint_url)
    if output is OutputFormat.json:
        wire = config.to_wire() if config else None
        print_json({"enabled": config is not None, "loggingConfig": wire,
                    "retention": [item.to_dict(mode="json") for item in kept]})  # fmt: skip
        return
    console = out_console()
    if config is None:
        console.print("Invocation logging is [bold]off[/] (`claude-bedrock logging enable`).")
        return
    console.print("Invocation logging is [bold green]on[/].")
    render_config(config, console)
    render_retention(kept, console)


@logging_app.command("disable")
@option_groups
def disable(where: Connection, output: OutputOption = OutputFormat.text) -> None:
    """Switch invocation logging off (logs already written stay, and still expire)."""

    with failing_on_errors(output), build_client(where) as client:
        client.invocation_logging.disable()
    if output is OutputFormat.json:
        print_json({"enabled": False})
    else:
        out_console().print("Invocation logging is [bold]off[/]. Existing logs keep their expiry.")


# -- logs ---------------------------------------------------------------------------------


def _since(value: str | None, output: OutputFormat) -> datetime | None:
    from ..logs import parse_since

    try:
        return parse_since(value) if value is not None else None
    except ValueError as exc:
        fail_usage(output, "BadParameter", f"--since: {exc}")


@dataclass(frozen=True)
class _Logs:
    """The log objects to read: where they are, since when, and an S3 client to read them."""

    s3: Any
    bucket: str
    prefix: str | None
    start: datetime | None
    objects: list[Any]

    @property
    def source(self) -> str:
        since = f" since {self.start:%Y-%m-%d %H:%M} UTC" if self.start else ""
        return f"s3://{self.bucket}/{self.prefix or ''}{since}"


def _find_logs(source: LogSource, start: datetime | None) -> _Logs:
    """The log bucket and prefix as given, else from Bedrock's logging configuration
    (``LookupError`` when it has no S3 destination), and the objects written since ``start``."""
    from .._config import resolve_region
    from .._s3 import s3_client
    from ..logs import list_log_objects

    bucket, prefix = source.bucket, source.prefix
    if not bucket:
        with build_client(source) as client:
            config = client.invocation_logging.get()
        if config is None or config.s3_config is None:
            raise LookupError("Invocation logging has no S3 destination.")
        bucket = config.s3_config.bucket_name
        prefix = prefix if prefix is not None else config.s3_config.key_prefix
    region = resolve_region(source.region, source.profile)
    s3 = s3_client(region=region, endpoint_url=source.s3_endpoint_url, profile=source.profile,
                   max_pool_connections=16)  # fmt: skip
    return _Logs(s3, bucket, prefix, start, list_log_objects(s3, bucket, prefix, since=start))


def _scan(
    source: LogSource, output: OutputFormat, step: str, work: Callable[[_Logs, Any], T]
) -> tuple[_Logs, T]:
    """Find the logs and run ``work(logs, advance)`` over them behind a progress bar
    (``advance`` is called once per object read); any failure ends the command."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    start = _since(source.since, output)
    try:
        with failing_on_errors(output):
            logs = _find_logs(source, start)
            columns = (TextColumn("reading logs"), BarColumn(), MofNCompleteColumn())
            count = len(logs.objects)
            with Progress(
                *columns, console=err_console(), transient=True, disable=count < 2
            ) as bar:
                task = bar.add_task(step, total=count)
                return logs, work(logs, lambda _object: bar.advance(task))
    except LookupError:
        fix = "Pass --bucket (and --prefix), or `claude-bedrock logging enable`."
        message = "Logging has no S3 destination."
        fail_usage(output, "NoLogBucket", message, fix)


@logs_app.command("report")
@option_groups
def report(
    source: LogSource,
    html: Annotated[Path | None, _opt("--html", "Also write a self-contained HTML page.")] = None,
    workers: Annotated[int, _opt("--workers", "Objects read at once.")] = 8,
    max_line: Annotated[
        str, _opt("--max-line-bytes", "Skip longer lines (4MiB, 512KiB...).")
    ] = "4MiB",
    max_object: Annotated[
        str, _opt("--max-object-bytes", "Skip objects inflating to more (decompressed).")
    ] = "64MiB",
    output: OutputOption = OutputFormat.text,
) -> None:
    """Usage and cost per model, per day and per endpoint type, from the logs in S3.

    Objects that cannot be read whole (not gzip, truncated, over --max-object-bytes, not
    log records) and lines that are not records are skipped and listed after the report;
    the exit code stays 0 ("complete": false in JSON).

    Examples:

      claude-bedrock logs report --bucket my-logs --prefix bedrock --since 7d

      claude-bedrock logs report --since 30d --html usage.html
    """
    from ..logs import ReadStats, html_page, report_records
    from ..logs._render import render_report

    limits = _limits(max_line, max_object, output)
    stats = ReadStats()

    def work(logs: _Logs, advance: Any) -> Any:
        return report_records(logs.s3, logs.bucket, logs.objects, since=logs.start,
                              workers=max(1, workers), stats=stats, on_object=advance,
                              limits=limits)  # fmt: skip

    logs, usage = _scan(source, output, "read", work)
    if html is not None:
        html.write_text(html_page(usage, source=logs.source), encoding="utf-8")
    if output is OutputFormat.json:
        print_json({"source": logs.source, **stats.to_dict(), **usage.to_dict()})
        return
    render_report(usage, out_console(), source=logs.source)
    _tell_skipped(stats, f"; page written to {html}" if html else "")


def _limits(max_line: str, max_object: str, output: OutputFormat) -> Any:
    from ..logs import ReadLimits, parse_size

    try:
        return ReadLimits(max_line_bytes=parse_size(max_line),
                          max_object_bytes=parse_size(max_object))  # fmt: skip
    except ValueError as exc:
        fail_usage(output, "BadParameter", f"--max-line-bytes/--max-object-bytes: {exc}")


#: Skipped objects named one per line under the report, at most this many (JSON: all).
_SHOWN_SKIPS = 20


def _tell_skipped(stats: Any, tail: str) -> None:
    """The closing note: what was read, and every line and object left out, and why."""
    console = err_console()
    note = f"{stats.objects:,} objects, {stats.records:,} records"
    if stats.skipped_lines:
        reasons = ", ".join(f"{n:,} {why}" for why, n in sorted(stats.line_reasons.items()))
        note += f"; {stats.skipped_lines:,} lines skipped ({reasons})"
    console.print(note + tail, markup=False, highlight=False)
    skipped = stats.skipped_objects
    if not skipped:
        return
    console.print(f"warning: incomplete report: {len(skipped):,} objects skipped "
                  "(their records are not counted):", markup=False)  # fmt: skip
    for item in skipped[:_SHOWN_SKIPS]:
        console.print(f"  {item.key}: {item.reason}", markup=False, highlight=False)
    if len(skipped) > _SHOWN_SKIPS:
        console.print(f"  ... and {len(skipped) - _SHOWN_SKIPS:,} more (-o json lists all)",
                      markup=False)  # fmt: skip


@logs_app.command("show")
@option_groups
def show(
    request_id: Annotated[str, typer.Argument(help="The call's request ID (x-amzn-requestid).")],
    source: LogSource,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Print one invocation (metadata, request and response bodies) by its request ID."""
    from ..logs import find_record
    from ..logs._render import render_record

    def work(logs: _Logs, advance: Any) -> tuple[Any, dict[str, Any]]:
        record = find_record(logs.s3, logs.bucket, request_id, logs.objects, on_object=advance)
        return record, (_bodies(logs.s3, record) if record is not None else {})

    _, (record, bodies) = _scan(source, output, "search", work)
    if record is None:
        fix = "Check the ID, --bucket/--prefix and --since; records arrive within seconds."
        message = f"No invocation log record for request {request_id}."
        fail_usage(output, "NotFound", message, fix)
    if output is OutputFormat.json:
        print_json({**record.to_wire(), "bodies": bodies})
        return
    render_record(record, out_console(), bodies)


def _bodies(s3: Any, record: InvocationLogRecord) -> dict[str, Any]:
    """The request and response bodies, fetched from their ``data/`` objects if moved there."""
    from ..logs import fetch_body

    out = record.output
    found: dict[str, Any] = {}
    for name, inline, path in (
        ("request", record.input.input_body_json, record.input.input_body_s3_path),
        ("response", out and out.output_body_json, out and out.output_body_s3_path),
    ):
        body = fetch_body(s3, path) if inline is None and path else inline
        if body is not None:
            found[name] = body
    return found
