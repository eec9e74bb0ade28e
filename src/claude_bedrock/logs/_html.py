"""The report as one self-contained HTML page: tables and SVG charts drawn here.

No script and no external resource (no CDN, no font, no image): the page opens offline,
can be mailed or archived as a single file, and shows the same thing in ten years. Every
text from the logs (model IDs, days) is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from ._render import format_usd
from ._report import Totals, UsageReport

__all__ = ["html_page"]

_COLORS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
)  # fmt: skip
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #666; font-size: .9rem; }
svg text { font-size: 11px; fill: #333; }
"""

Measure = Callable[[Totals], float]


def _measure(report: UsageReport) -> tuple[str, Measure]:
    if report.total.cost > 0:
        return "cost (USD)", lambda t: float(t.cost)
    return "tokens", lambda t: float(t.total_tokens)


def _label(report: UsageReport, model: str) -> str:
    return report.model_names.get(model, model)


def _daily_chart(report: UsageReport, what: str, measure: Measure) -> str:
    """Stacked columns: one per day, one colour per model."""
    days = report.sorted_days()
    models = report.sorted_models()
    if not days:
        return ""
    height, top, left, bottom = 220, 20, 70, 40
    step = max(18, min(60, 720 // len(days)))
    width = left + step * len(days) + 20
    largest = max(measure(report.by_day[d]) for d in days) or 1.0
    parts = [_svg_open(width, height + top + bottom, f"{what} per day")]
    parts.append(f'<line x1="{left}" y1="{top + height}" x2="{width - 10}" y2="{top + height}" '
                 'stroke="#999"/>')  # fmt: skip
    parts.append(f'<text x="4" y="{top + 8}">{escape(_axis(largest, what))}</text>')
    for i, day in enumerate(days):
        x = left + i * step + 2
        y = float(top + height)
        for j, model in enumerate(models):
            totals = report.by_day_model.get(day, {}).get(model)
            value = measure(totals) if totals else 0.0
            if value <= 0:
                continue
            h = value / largest * height
            y -= h
            tip = f"{day} {_label(report, model)}: {_value(value, what)}"
            parts.append(
                f'<rect x="{x}" y="{y:.2f}" width="{step - 4}" height="{h:.2f}" '
                f'fill="{_COLORS[j % len(_COLORS)]}"><title>{escape(tip)}</title></rect>'
            )
        if len(days) <= 31 or i % max(1, len(days) // 15) == 0:
            parts.append(
                f'<text x="{x}" y="{top + height + 14}" transform="rotate(30 {x} '
                f'{top + height + 14})">{escape(day[5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts) + _legend(report, models)


def _model_chart(report: UsageReport, what: str, measure: Measure) -> str:
    """Horizontal bars, one per model."""
    models = report.sorted_models()
    if not models:
        return ""
    row, label_w, bar_w = 22, 230, 420
    largest = max(measure(report.by_model[m]) for m in models) or 1.0
    parts = [_svg_open(label_w + bar_w + 120, row * len(models) + 10, f"{what} per model")]
    for i, model in enumerate(models):
        value = measure(report.by_model[model])
        y = i * row + 5
        w = value / largest * bar_w
        parts.append(f'<text x="0" y="{y + 14}">{escape(_label(report, model))}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.2f}" height="{row - 6}" '
            f'fill="{_COLORS[i % len(_COLORS)]}"/>'
        )
        parts.append(f'<text x="{label_w + w + 6:.2f}" y="{y + 14}">'
                     f"{escape(_value(value, what))}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">'
    )


def _legend(report: UsageReport, models: list[str]) -> str:
    items = "".join(
        f'<span style="margin-right:1rem"><span style="display:inline-block;width:10px;'
        f'height:10px;background:{_COLORS[j % len(_COLORS)]}"></span> '
        f"{escape(_label(report, m))}</span>"
        for j, m in enumerate(models)
    )
    return f'<p class="note">{items}</p>'


def _axis(largest: float, what: str) -> str:
    return _value(largest, what)


def _value(value: float, what: str) -> str:
    if what.startswith("cost"):
        return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
    return f"{value:,.0f}"


def _table(first: str, rows: list[tuple[str, Totals]]) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (first, "calls", "errors", "input", "output", "cache write", "cache read", "cost")
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(v))}</td>"
            for v in (
                label,
                f"{t.invocations:,}",
                f"{t.errors:,}",
                f"{t.input_tokens:,}",
                f"{t.output_tokens:,}",
                f"{t.cache_write_tokens:,}",
                f"{t.cache_read_tokens:,}",
                format_usd(t.cost) + ("*" if t.unpriced else ""),
            )
        )  # fmt: skip
        + "</tr>"
        for label, t in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(report: UsageReport, *, source: str, generated: datetime | None = None) -> str:
    """The whole page (UTF-8 text)."""
    what, measure = _measure(report)
    generated = generated or datetime.now(UTC)
    total = report.total
    models = [(_label(report, m), report.by_model[m]) for m in report.sorted_models()]
    days = [(d, report.by_day[d]) for d in report.sorted_days()]
    kinds = sorted(report.by_endpoint.items())
    span = ""
    if report.first is not None and report.last is not None:
        span = f"{report.first:%Y-%m-%d %H:%M} to {report.last:%Y-%m-%d %H:%M} UTC"
    unpriced = (
        f'<p class="note">* {total.unpriced:,} invocations of models the catalogue does not '
        "price are counted without cost.</p>"
        if total.unpriced
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Bedrock invocation logs: {escape(source)}</title><style>{_CSS}</style></head>
<body>
<h1>Bedrock invocation logs</h1>
<p>{escape(source)}<br>{escape(span)}</p>
<p><strong>{total.invocations:,}</strong> invocations ({total.errors:,} failed),
{total.input_tokens:,} input and {total.output_tokens:,} output tokens,
{total.cache_write_tokens:,} cache writes, {total.cache_read_tokens:,} cache reads:
<strong>{escape(format_usd(total.cost))}</strong></p>
<h2>{escape(what.capitalize())} per day</h2>
{_daily_chart(report, what, measure)}
<h2>{escape(what.capitalize())} per model</h2>
{_model_chart(report, what, measure)}
<h2>Per model</h2>{_table("model", models)}
<h2>Per day (UTC)</h2>{_table("day", days)}
<h2>Per endpoint type</h2>{_table("endpoint", kinds)}
{unpriced}
<p class="note">Generated {generated:%Y-%m-%d %H:%M} UTC by claude-bedrock.</p>
</body></html>
"""
