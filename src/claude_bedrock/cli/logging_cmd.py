"""``claude-bedrock logging enable|status|disable`` and ``claude-bedrock logs report|show``.

``logging`` configures Bedrock's model invocation logging and the retention the source
document asks for (a rolling 30 days at least). ``logs`` reads the logs back from S3:
``report`` adds usage and cost up per model, per day and per endpoint type (tables, a bar
chart, ``--html`` for a self-contained page, ``--output json``), ``show`` prints one
invocation. Without ``--bucket``, ``logs`` asks Bedrock where the logs go.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ._output import (
    ExitCode,
    Failure,
    OutputFormat,
    OutputOption,
    classify,
    err_console,
    fail,
    out_console,
    print_json,
)
from ._session import ClientOptions, EndpointUrlOption, ProfileOption, RegionOption, build_client

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


Str = str | None
S3Endpoint = Annotated[
    Str, _opt("--s3-endpoint-url", "S3 endpoint (default: AWS_ENDPOINT_URL_S3).")
]
Bucket = Annotated[Str, _opt("--bucket", "Log bucket (default: the one logging delivers to).")]
Prefix = Annotated[Str, _opt("--prefix", "Key prefix of the logs (the configured keyPrefix).")]
Since = Annotated[Str, _opt("--since", "Only logs after this: 7d, 12h, 2w, or a date.")]


def register(app: typer.Typer) -> None:
    app.add_typer(logging_app, name="logging")
    app.add_typer(logs_app, name="logs")


def _fail(exc: Exception, output: OutputFormat) -> NoReturn:
    from .._s3_errors import S3AccessDeniedError, S3BucketNotFoundError, S3Error

    kind = type(exc).__name__
    if isinstance(exc, S3AccessDeniedError):
        fail(Failure(ExitCode.CREDENTIALS, kind, str(exc)), output)
    if isinstance(exc, S3BucketNotFoundError):
        fail(Failure(ExitCode.USAGE, kind, str(exc)), output)
    if isinstance(exc, S3Error):
        code = ExitCode.NETWORK if exc.code is None else ExitCode.API_ERROR
        fail(Failure(code, kind, str(exc)), output)
    fail(classify(exc), output)


# -- logging ------------------------------------------------------------------------------


@logging_app.command("enable")
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
    s3_endpoint_url: S3Endpoint = None,
    cloudwatch_endpoint_url: Annotated[
        Str, _opt("--cloudwatch-endpoint-url", "CloudWatch Logs endpoint (default: AWS's).")
    ] = None,
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Switch invocation logging on, and keep the logs a rolling 30 days (or --retention-days).

    Exit code 1 if logging is on but a destination could not be given its retention.

    Examples:

      claude-bedrock logging enable --s3-bucket my-logs --s3-prefix bedrock

      claude-bedrock logging enable --cloudwatch-log-group /bedrock/invocations
      --role-arn arn:aws:iam::123456789012:role/BedrockLogs --retention-days 90
    """
    from .._exceptions import AnthropicError
    from ..logs._render import render_config, render_retention

    try:
        with build_client(ClientOptions(region, profile, endpoint_url)) as client:
            report = client.invocation_logging.enable(
                s3_bucket=s3_bucket, s3_prefix=s3_prefix,
                cloudwatch_log_group=cloudwatch_log_group, role_arn=role_arn,
                large_data_s3_bucket=large_data_s3_bucket, text=text, image=image,
                embedding=embedding, video=video, audio=audio, retention_days=retention_days,
                allow_short_retention=allow_short_retention, s3_endpoint_url=s3_endpoint_url,
                cloudwatch_endpoint_url=cloudwatch_endpoint_url,
            )  # fmt: skip
    except AnthropicError as exc:
        _fail(exc, output)
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
def status(
    s3_endpoint_url: S3Endpoint = None,
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Show where invocation logs go and how long each destination keeps them."""
    from .._exceptions import AnthropicError
    from ..logs._render import render_config, render_retention

    try:
        with build_client(ClientOptions(region, profile, endpoint_url)) as client:
            config = client.invocation_logging.get()
            kept = client.invocation_logging.retention(config, s3_endpoint_url=s3_endpoint_url)
    except AnthropicError as exc:
        _fail(exc, output)
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
def disable(
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Switch invocation logging off (logs already written stay, and still expire)."""
    from .._exceptions import AnthropicError

    try:
        with build_client(ClientOptions(region, profile, endpoint_url)) as client:
            client.invocation_logging.disable()
    except AnthropicError as exc:
        _fail(exc, output)
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
        fail(Failure(ExitCode.USAGE, "BadParameter", f"--since: {exc}"), output)


def _open(
    bucket: str | None, prefix: str | None, options: ClientOptions, s3_endpoint_url: str | None
) -> tuple[Any, str, str | None]:
    """An S3 client and the log bucket and prefix: as given, else from Bedrock's logging
    configuration (raises ``LookupError`` when it has no S3 destination)."""
    from .._config import resolve_region
    from .._s3 import s3_client

    if not bucket:
        with build_client(options) as client:
            config = client.invocation_logging.get()
        if config is None or config.s3_config is None:
            raise LookupError("Invocation logging has no S3 destination.")
        bucket = config.s3_config.bucket_name
        prefix = prefix if prefix is not None else config.s3_config.key_prefix
    region = resolve_region(options.region, options.profile)
    s3 = s3_client(region=region, endpoint_url=s3_endpoint_url, profile=options.profile,
                   max_pool_connections=16)  # fmt: skip
    return s3, bucket, prefix


def _progress(total: int) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("reading logs"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, console=err_console(), transient=True, disable=total < 2)


def _no_bucket(output: OutputFormat) -> NoReturn:
    fix = "Pass --bucket (and --prefix), or `claude-bedrock logging enable`."
    fail(Failure(ExitCode.USAGE, "NoLogBucket", "Logging has no S3 destination.", fix), output)


@logs_app.command("report")
def report(
    bucket: Bucket = None,
    prefix: Prefix = None,
    since: Since = None,
    html: Annotated[Path | None, _opt("--html", "Also write a self-contained HTML page.")] = None,
    workers: Annotated[int, _opt("--workers", "Objects read at once.")] = 8,
    s3_endpoint_url: S3Endpoint = None,
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Usage and cost per model, per day and per endpoint type, from the logs in S3.

    Examples:

      claude-bedrock logs report --bucket my-logs --prefix bedrock --since 7d

      claude-bedrock logs report --since 30d --html usage.html
    """
    from .._exceptions import AnthropicError
    from ..logs import ReadStats, build_report, html_page, list_log_objects, read_records
    from ..logs._render import render_report

    start = _since(since, output)
    stats = ReadStats()
    try:
        s3, bucket, prefix = _open(bucket, prefix, ClientOptions(region, profile, endpoint_url),
                                   s3_endpoint_url)  # fmt: skip
        objects = list_log_objects(s3, bucket, prefix, since=start)
        with _progress(len(objects)) as progress:
            task = progress.add_task("read", total=len(objects))
            records = read_records(
                s3, bucket, objects, since=start, workers=max(1, workers), stats=stats,
                on_object=lambda _o: progress.advance(task),
            )  # fmt: skip
            usage = build_report(records)
    except LookupError:
        _no_bucket(output)
    except AnthropicError as exc:
        _fail(exc, output)
    source = f"s3://{bucket}/{prefix or ''}" + (
        f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
    )
    if html is not None:
        html.write_text(html_page(usage, source=source), encoding="utf-8")
    if output is OutputFormat.json:
        print_json({"source": source, "objects": stats.objects, "records": stats.records,
                    "skipped_lines": stats.skipped_lines, **usage.to_dict()})  # fmt: skip
        return
    render_report(usage, out_console(), source=source)
    note = f"{stats.objects:,} objects, {stats.records:,} records"
    if stats.skipped_lines:
        note += f", {stats.skipped_lines:,} lines that are not invocation records skipped"
    err_console().print(note + (f"; page written to {html}" if html else ""))


@logs_app.command("show")
def show(
    request_id: Annotated[str, typer.Argument(help="The call's request ID (x-amzn-requestid).")],
    bucket: Bucket = None,
    prefix: Prefix = None,
    since: Since = None,
    s3_endpoint_url: S3Endpoint = None,
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Print one invocation (metadata, request and response bodies) by its request ID."""
    from .._exceptions import AnthropicError
    from ..logs import find_record, list_log_objects
    from ..logs._render import render_record

    start = _since(since, output)
    try:
        s3, bucket, prefix = _open(bucket, prefix, ClientOptions(region, profile, endpoint_url),
                                   s3_endpoint_url)  # fmt: skip
        objects = list_log_objects(s3, bucket, prefix, since=start)
        with _progress(len(objects)) as progress:
            task = progress.add_task("search", total=len(objects))
            record = find_record(s3, bucket, request_id, objects,
                                 on_object=lambda _o: progress.advance(task))  # fmt: skip
        bodies = _bodies(s3, record) if record is not None else {}
    except LookupError:
        _no_bucket(output)
    except AnthropicError as exc:
        _fail(exc, output)
    if record is None:
        fix = "Check the ID, --bucket/--prefix and --since; records arrive within seconds."
        message = f"No invocation log record for request {request_id}."
        fail(Failure(ExitCode.USAGE, "NotFound", message, fix), output)
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
