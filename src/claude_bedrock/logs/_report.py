"""Adding invocation records up: usage and cost per model, per day, per endpoint type.

Costs come from the catalogue (:func:`claude_bedrock.catalog.cost_breakdown`), in exact
decimal USD, with the endpoint type read from the model ID as Bedrock bills it: a
``global.`` profile (or an ARN naming one) is the global endpoint, anything else (a
geography profile such as ``us.``, or a bare in-Region model ID) is regional. Failed
invocations are counted but cost nothing. A model the catalogue does not know is
reported with its tokens and counted as ``unpriced`` rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..catalog import Catalog, EndpointType, ModelInfo, cost_breakdown
from ..types.invocation_logging import InvocationLogRecord

__all__ = ["Pricer", "Totals", "UsageReport", "build_report", "endpoint_type"]


def endpoint_type(model_id: str) -> EndpointType:
    """``global`` for a global profile (ID or ARN), else ``regional``."""
    if model_id.startswith("arn:"):
        return "global" if "/global." in model_id else "regional"
    return "global" if model_id.startswith("global.") else "regional"


@dataclass
class Totals:
    """One row of the report."""

    invocations: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0

    def add(self, record: InvocationLogRecord, cost: Decimal | None) -> None:
        self.invocations += 1
        if record.failed:
            self.errors += 1
            return
        usage = record.usage()
        self.input_tokens += usage["input_tokens"]
        self.output_tokens += usage["output_tokens"]
        self.cache_write_tokens += usage["cache_creation_input_tokens"]
        self.cache_read_tokens += usage["cache_read_input_tokens"]
        if cost is None:
            self.unpriced += 1
        else:
            self.cost += cost

    def merge(self, other: Totals) -> None:
        """Add ``other``'s counts (one object's totals into the report's)."""
        for name in ("invocations", "errors", "input_tokens", "output_tokens",
                     "cache_write_tokens", "cache_read_tokens", "cost", "unpriced"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_write_tokens
            + self.cache_read_tokens
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_input_tokens": self.cache_write_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
            "cost_usd": str(self.cost),
            "unpriced_invocations": self.unpriced,
        }


@dataclass
class UsageReport:
    """Totals overall and broken down three ways, plus day x model for the charts."""

    total: Totals = field(default_factory=Totals)
    by_model: dict[str, Totals] = field(default_factory=dict)
    by_day: dict[str, Totals] = field(default_factory=dict)
    by_endpoint: dict[str, Totals] = field(default_factory=dict)
    by_day_model: dict[str, dict[str, Totals]] = field(default_factory=dict)
    model_names: dict[str, str] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, record: InvocationLogRecord, model_key: str, cost: Decimal | None) -> None:
        when = record.timestamp if record.timestamp.tzinfo else record.timestamp.replace(tzinfo=UTC)
        day = when.astimezone(UTC).strftime("%Y-%m-%d")
        kind = endpoint_type(record.model_id)
        self.total.add(record, cost)
        for table, key in (
            (self.by_model, model_key),
            (self.by_day, day),
            (self.by_endpoint, kind),
        ):
            table.setdefault(key, Totals()).add(record, cost)
        self.by_day_model.setdefault(day, {}).setdefault(model_key, Totals()).add(record, cost)
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def merge(self, other: UsageReport) -> None:
        """Add ``other`` (a report over other records) into this one."""
        self.total.merge(other.total)
        for mine, theirs in (
            (self.by_model, other.by_model),
            (self.by_day, other.by_day),
            (self.by_endpoint, other.by_endpoint),
        ):
            for key, totals in theirs.items():
                mine.setdefault(key, Totals()).merge(totals)
        for day, models in other.by_day_model.items():
            row = self.by_day_model.setdefault(day, {})
            for model, totals in models.items():
                row.setdefault(model, Totals()).merge(totals)
        self.model_names.update(other.model_names)
        for when in (other.first, other.last):
            if when is not None:
                self.first = when if self.first is None else min(self.first, when)
                self.last = when if self.last is None else max(self.last, when)

    def sorted_days(self) -> list[str]:
        return sorted(self.by_day)

    def sorted_models(self) -> list[str]:
        """Most expensive first, then most tokens."""
        return sorted(
            self.by_model, key=lambda m: (-self.by_model[m].cost, -self.by_model[m].total_tokens, m)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "total": self.total.to_dict(),
            "by_model": {
                m: {"name": self.model_names.get(m, m), **self.by_model[m].to_dict()}
                for m in self.sorted_models()
            },
            "by_day": {d: self.by_day[d].to_dict() for d in self.sorted_days()},
            "by_endpoint": {k: v.to_dict() for k, v in sorted(self.by_endpoint.items())},
        }


class Pricer:
    """Model lookups cached per model ID (a report sees few distinct IDs, many records).

    Shared by the threads that add objects up: a lookup done twice by a race gives the
    same answer, so the cache needs no lock."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._info: dict[str, ModelInfo | None] = {}

    def info(self, model_id: str) -> ModelInfo | None:
        if model_id not in self._info:
            self._info[model_id] = self.catalog.identify(model_id)
        return self._info[model_id]

    def cost(self, record: InvocationLogRecord, info: ModelInfo | None) -> Decimal | None:
        if info is None or record.failed:
            return None
        try:
            return cost_breakdown(info, record.usage(), endpoint_type(record.model_id)).total
        except ValueError:  # a count that is not a whole number: leave it unpriced
            return None

    def add(self, report: UsageReport, record: InvocationLogRecord) -> None:
        """Add ``record`` to ``report``, keyed by the catalogue's model when known."""
        info = self.info(record.model_id)
        key = info.id if info is not None else record.model_id
        if info is not None:
            report.model_names[key] = info.name
        report.add(record, key, self.cost(record, info))


def build_report(
    records: Iterable[InvocationLogRecord], catalog: Catalog | None = None
) -> UsageReport:
    """Add ``records`` up (one pass; the records are not kept)."""
    pricer = Pricer(catalog or Catalog.default())
    report = UsageReport()
    for record in records:
        pricer.add(report, record)
    return report
