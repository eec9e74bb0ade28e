"""The report and single records in the terminal (rich tables and a bar chart).

Bars use the eighth-block characters, so a 30-column bar shows 240 distinct lengths: small
differences between days stay visible without a plotting library.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._report import Totals, UsageReport

if TYPE_CHECKING:
    from rich.console import Console

    from ..types.invocation_logging import InvocationLogRecord, LoggingConfig, RetentionSetting

__all__ = [
    "bar",
    "format_usd",
    "render_config",
    "render_record",
    "render_report",
    "render_retention",
]

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(value: float, largest: float, width: int = 30) -> str:
    """A horizontal bar of ``value`` relative to ``largest`` (``width`` columns at most)."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def format_usd(amount: Decimal) -> str:
    """Dollars with cents; under a dollar, enough digits to tell small amounts apart."""
    if amount == 0:
        return "$0.00"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    if abs(amount) >= Decimal("0.0001"):
        return f"${amount:.4f}"
    return f"${amount:.8f}".rstrip("0")


def _measure(report: UsageReport) -> tuple[str, Any]:
    """Chart cost when anything is priced, else tokens (unknown models only)."""
    if report.total.cost > 0:
        return "cost", lambda t: float(t.cost)
    return "tokens", lambda t: float(t.total_tokens)


def _table(title: str, first: str, rows: list[tuple[str, Totals]]) -> Any:
    from rich import box
    from rich.table import Table

    errors = any(t.errors for _, t in rows)
    cache = any(t.cache_write_tokens or t.cache_read_tokens for _, t in rows)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(first)  # the one column allowed to wrap when the terminal is narrow
    names = ["calls", *(["errors"] if errors else []), "input", "output"]
    for name in [*names, *(["cache write", "cache read"] if cache else []), "cost"]:
        table.add_column(name, justify="right", no_wrap=True)
    for label, t in rows:
        counts = [t.invocations, *([t.errors] if errors else []), t.input_tokens, t.output_tokens]
        if cache:
            counts += [t.cache_write_tokens, t.cache_read_tokens]
        cost = format_usd(t.cost) + ("*" if t.unpriced else "")
        table.add_row(label, *(f"{n:,}" for n in counts), cost)
    return table


def _chart(
    title: str, rows: list[tuple[str, Totals]], what: str, measure: Any, columns: int
) -> Any:
    """A horizontal bar chart: label, bar, value (bars fill what the terminal has left)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE, show_header=False,
                  pad_edge=False)  # fmt: skip
    table.add_column(no_wrap=True)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    largest = max((measure(t) for _, t in rows), default=0.0)
    labels = max((len(label) for label, _ in rows), default=0)
    width = max(10, min(50, columns - labels - 18))
    for label, totals in rows:
        value = measure(totals)
        shown = format_usd(totals.cost) if what == "cost" else f"{int(value):,}"
        table.add_row(label, bar(value, largest, width), shown)
    return table


def render_report(report: UsageReport, console: Console, *, source: str) -> None:
    """Tables per model, per day and per endpoint type, bar charts of cost (or tokens when
    nothing is priced) per day and per model, and the totals."""
    what, measure = _measure(report)
    total = report.total
    console.print(f"[bold]Invocation logs[/] {source}")
    if report.first is not None and report.last is not None:
        console.print(f"from {report.first:%Y-%m-%d %H:%M} to {report.last:%Y-%m-%d %H:%M} UTC")
    models = [(report.model_names.get(m, m), report.by_model[m]) for m in report.sorted_models()]
    days = [(d, report.by_day[d]) for d in report.sorted_days()]
    kinds = sorted(report.by_endpoint.items())
    console.print(_table("Per model", "model", models))
    console.print(_table("Per day", "day (UTC)", days))
    console.print(_table("Per endpoint type", "endpoint", kinds))
    console.print(_chart(f"{what.capitalize()} per day", days, what, measure, console.width))
    console.print(_chart(f"{what.capitalize()} per model", models, what, measure, console.width))
    console.print(
        f"[bold]Total[/]: {total.invocations:,} invocations ({total.errors:,} failed), "
        f"{total.input_tokens:,} input + {total.output_tokens:,} output tokens, "
        f"{total.cache_write_tokens:,} cache writes, {total.cache_read_tokens:,} cache reads, "
        f"[bold]{format_usd(total.cost)}[/]"
    )
    if total.unpriced:
        console.print(
            f"* {total.unpriced:,} invocations of models the catalogue does not price are "
            "counted without cost."
        )


def render_record(record: InvocationLogRecord, console: Console, bodies: dict[str, Any]) -> None:
    """One invocation: its metadata as a table, then its bodies as JSON."""
    from rich.json import JSON
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    usage = record.usage()
    rows = [
        ("request id", record.request_id),
        ("time", record.timestamp.isoformat()),
        ("operation", record.operation or ""),
        ("model", record.model_id),
        ("account / region", f"{record.account_id} / {record.region}"),
        ("caller", str((record.identity or {}).get("arn", ""))),
        ("error", record.error_code or ""),
        ("input tokens", f"{usage['input_tokens']:,}"),
        ("output tokens", f"{usage['output_tokens']:,}"),
        ("cache write / read", f"{usage['cache_creation_input_tokens']:,} / "
                               f"{usage['cache_read_input_tokens']:,}"),
    ]  # fmt: skip
    for name, value in rows:
        if value:
            table.add_row(name, value)
    console.print(table)
    for name, body in bodies.items():
        console.rule(name)
        import json

        console.print(JSON(json.dumps(body, ensure_ascii=False)))


def render_config(config: LoggingConfig, console: Console) -> None:
    """Where logs go and what they contain."""
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    if config.s3_config is not None:
        s3 = config.s3_config
        table.add_row("S3", f"s3://{s3.bucket_name}/{s3.key_prefix or ''}")
    cloudwatch = config.cloud_watch_config
    if cloudwatch is not None:
        table.add_row(
            "CloudWatch Logs", f"{cloudwatch.log_group_name} (role {cloudwatch.role_arn})"
        )
        large = cloudwatch.large_data_delivery_s3_config
        if large is not None:
            table.add_row("large bodies", f"s3://{large.bucket_name}/{large.key_prefix or ''}")
    flags = {
        "text": config.text_data_delivery_enabled,
        "image": config.image_data_delivery_enabled,
        "embedding": config.embedding_data_delivery_enabled,
        "video": config.video_data_delivery_enabled,
        "audio": config.audio_data_delivery_enabled,
    }
    table.add_row("data logged", ", ".join(k for k, on in flags.items() if on) or "metadata only")
    console.print(table)


_MARKS = {
    "set": "[green]✓[/]",
    "shorter": "[yellow]![/]",
    "not_set": "[yellow]–[/]",
    "failed": "[red]✗[/]",
}


def render_retention(settings: list[RetentionSetting], console: Console) -> None:
    """One line per destination: how long it keeps logs, and why."""
    from rich.markup import escape

    for item in settings:
        kept = f"{item.effective_days} days" if item.effective_days else "not set"
        console.print(
            f"{_MARKS.get(item.status, '?')} retention of {escape(item.target)}: {kept} "
            f"({escape(item.detail)})"
        )
