"""The quota table and the ``--quotas`` setting: facts as data, read by code that knows no model.

The table is JSON (:data:`DEFAULT_FILE`, shipped with the package; ``--quotas PATH`` reads
another file of the same form). Each row gives, for the models whose Anthropic name starts
with ``match`` (first matching row wins):

* ``runtime`` rows (the ``bedrock-runtime`` endpoint: InvokeModel, Converse, their streams,
  and the Messages API served there): ``tpm``, tokens per minute (input + output, output
  counted ``burndown`` times) per *scope* (``on-demand``: a base model ID in its Region;
  ``cross-region``: a geographic inference profile such as ``us.``; ``global``: a
  ``global.`` profile), optionally ``rpm``, requests per minute, and ``tpd``, tokens per
  day for the model in its Region, shared by every scope (default: the row's largest
  per-minute figure times the day's ``windows``, 24 x 60, AWS's default);
* ``mantle`` rows (``bedrock-mantle``'s Messages API): ``input_tpm`` and ``output_tpm``
  (``null``: no limit).

The setting is ``default`` or a path, then ``,name=value`` options (see :func:`parse_spec`),
e.g. ``default,window=2,tpm=400000,rpm=200,seed=7``: the benchmark's one-line quota.

The file's ``day`` object says how long a quota day is in windows (``windows``, 1440) and
what Bedrock answers when the day's tokens are spent (``message``), each with its sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "DEFAULT_FILE",
    "SCOPES",
    "MantleRow",
    "QuotaSettings",
    "QuotaTable",
    "RuntimeRow",
    "load_table",
    "parse_spec",
]

DEFAULT_FILE: Final = Path(__file__).with_name("quotas.json")
Scope = Literal["on-demand", "cross-region", "global"]
SCOPES: Final[tuple[Scope, ...]] = ("on-demand", "cross-region", "global")
#: ``name=value`` options of the setting that take a number, and the bounds they accept.
_NUMBERS: Final[dict[str, tuple[float, float]]] = {
    "window": (0.001, 86_400.0),
    "capacity": (0.0, 1.0),
    "retry_after": (0.0, 3_600.0),
    "tpm": (1.0, 1e12),
    "tpd": (1.0, 1e15),
    "rpm": (1.0, 1e9),
    "input_tpm": (1.0, 1e12),
    "output_tpm": (1.0, 1e12),
    "burndown": (1.0, 100.0),
}
_INTEGERS: Final = frozenset({"seed", "capacity_every"})
_CLOCKS: Final = frozenset({"system", "manual"})
#: Bedrock's words when a model's tokens per day are spent (``day.message`` in the file).
DAY_MESSAGE: Final = "Too many tokens per day, please wait before trying again."


@dataclass(frozen=True, slots=True)
class RuntimeRow:
    """One ``runtime`` row: the combined token quota per scope, RPM, output burndown."""

    match: str
    tpm: dict[str, float | None]
    burndown: float = 1.0
    rpm: float | None = None
    tpd: float | None = None


@dataclass(frozen=True, slots=True)
class MantleRow:
    """One ``mantle`` row: the separate input and output token quotas."""

    match: str
    input_tpm: float | None
    output_tpm: float | None


@dataclass(frozen=True, slots=True)
class QuotaTable:
    """The parsed table: a window length, the rows of both endpoints, and the quota day
    (its length in windows, and Bedrock's words when its tokens are spent)."""

    window: float
    runtime: tuple[RuntimeRow, ...]
    mantle: tuple[MantleRow, ...]
    day_windows: float = 1440.0
    day_message: str = DAY_MESSAGE

    def runtime_row(self, model: str) -> RuntimeRow | None:
        """The first runtime row whose prefix ``model`` (an Anthropic name) starts with."""
        return next((row for row in self.runtime if model.startswith(row.match)), None)

    def mantle_row(self, model: str) -> MantleRow | None:
        """The first mantle row whose prefix ``model`` starts with."""
        return next((row for row in self.mantle if model.startswith(row.match)), None)


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """Everything ``--quotas`` says: the table plus the run's options.

    ``window`` is the length of a quota "minute" in seconds of the emulator's clock (60
    unless scaled down so a benchmark's minutes pass quickly); ``clock="manual"`` makes
    that clock stand still until ``POST /_emulator/clock`` advances it (tests).
    ``capacity`` is the probability that a request meets a capacity error (503
    ``ServiceUnavailableException``; 529 ``overloaded_error`` on the Messages API), drawn
    from a RNG seeded with ``seed``; ``capacity_every=N`` fails every N-th request instead
    (a schedule, for tests). ``retry_after`` adds ``Retry-After: S`` to the emulator's 429,
    503 and 529 answers (Bedrock sends none: off by default).
    """

    table: QuotaTable
    source: str = "default"
    seed: int | None = None
    clock: str = "system"
    capacity: float = 0.0
    capacity_every: int = 0
    retry_after: float | None = None
    overrides: dict[str, float] = field(default_factory=dict)

    @property
    def window(self) -> float:
        return self.table.window


def load_table(path: Path | None = None) -> QuotaTable:
    """The table in ``path`` (default: the shipped one); ``ValueError`` says what is wrong."""
    if path is None:
        return _default_table()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read quota file {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise ValueError(f"quota file {str(path)!r} is not JSON: {exc}") from None
    return _table(document, str(path))


@lru_cache(maxsize=1)
def _default_table() -> QuotaTable:
    return _table(json.loads(DEFAULT_FILE.read_text(encoding="utf-8")), "the default table")


def _table(document: Any, where: str) -> QuotaTable:
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected a JSON object")
    window = _number(document.get("window_seconds", 60), f"{where}: window_seconds")
    runtime = tuple(_runtime_row(row, where) for row in _rows(document, "runtime", where))
    mantle = tuple(_mantle_row(row, where) for row in _rows(document, "mantle", where))
    day = document.get("day", {})
    if not isinstance(day, dict):
        raise ValueError(f"{where}: 'day' must be an object")
    message = day.get("message", DAY_MESSAGE)
    if not isinstance(message, str) or not message:
        raise ValueError(f"{where}: day.message must be a non-empty string")
    windows = _number(day.get("windows", 1440), f"{where}: day.windows")
    return QuotaTable(window, runtime, mantle, day_windows=windows, day_message=message)


def _rows(document: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    rows = document.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{where}: {name!r} must be a list of objects")
    for row in rows:
        if not isinstance(row.get("match"), str):
            raise ValueError(f"{where}: every {name} row needs a 'match' string")
    return rows


def _runtime_row(row: dict[str, Any], where: str) -> RuntimeRow:
    label = f"{where}: runtime row {row['match']!r}"
    tpm = row.get("tpm", {})
    if not isinstance(tpm, dict) or not set(tpm) <= set(SCOPES):
        raise ValueError(f"{label}: 'tpm' maps scopes ({', '.join(SCOPES)}) to numbers")
    return RuntimeRow(
        match=row["match"],
        tpm={scope: _optional(tpm.get(scope), f"{label}: tpm.{scope}") for scope in SCOPES},
        burndown=_number(row.get("burndown", 1), f"{label}: burndown"),
        rpm=_optional(row.get("rpm"), f"{label}: rpm"),
        tpd=_optional(row.get("tpd"), f"{label}: tpd"),
    )


def _mantle_row(row: dict[str, Any], where: str) -> MantleRow:
    label = f"{where}: mantle row {row['match']!r}"
    return MantleRow(
        match=row["match"],
        input_tpm=_optional(row.get("input_tpm"), f"{label}: input_tpm"),
        output_tpm=_optional(row.get("output_tpm"), f"{label}: output_tpm"),
    )


def _optional(value: object, label: str) -> float | None:
    return None if value is None else _number(value, label)


def _number(value: object, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{label}: expected a positive number, got {value!r}")
    return float(value)


def parse_spec(text: str) -> QuotaSettings:
    """``default|PATH[,name=value...]`` -> :class:`QuotaSettings` (``ValueError`` if wrong).

    Options: ``window=S`` (seconds per quota minute), ``seed=N``, ``clock=system|manual``,
    ``capacity=P`` (0..1), ``capacity_every=N``, ``retry_after=S``; and figures that replace
    every row's: ``tpm=N`` (every runtime scope), ``rpm=N``, ``tpd=N`` (tokens per day),
    ``burndown=X``, ``input_tpm=N``, ``output_tpm=N`` (mantle).
    """
    parts = [part.strip() for part in text.split(",")]
    head = parts[0] if parts and "=" not in parts[0] else "default"
    options = parts[1:] if parts and "=" not in parts[0] else parts
    table = load_table(None if head in ("", "default", "on") else Path(head))
    values: dict[str, str] = {}
    for part in filter(None, options):
        name, sep, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or (name not in _NUMBERS and name not in _INTEGERS and name != "clock"):
            known = ", ".join(sorted({*_NUMBERS, *_INTEGERS, "clock"}))
            raise ValueError(f"quotas: unknown option {part!r} (known: {known})")
        values[name] = value.strip()
    numbers = {name: _option_number(name, v) for name, v in values.items() if name in _NUMBERS}
    integers = {name: _option_integer(name, v) for name, v in values.items() if name in _INTEGERS}
    clock = values.get("clock", "system")
    if clock not in _CLOCKS:
        raise ValueError(f"quotas: clock must be 'system' or 'manual', got {clock!r}")
    if "window" in numbers:
        table = replace(table, window=numbers.pop("window"))
    capacity = numbers.pop("capacity", 0.0)
    retry_after = numbers.pop("retry_after", None)
    return QuotaSettings(
        table=table,
        source=head or "default",
        seed=integers.get("seed"),
        clock=clock,
        capacity=capacity,
        capacity_every=integers.get("capacity_every", 0),
        retry_after=retry_after,
        overrides=numbers,
    )


def _option_number(name: str, value: str) -> float:
    low, high = _NUMBERS[name]
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"quotas: {name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"quotas: {name} must be between {low:g} and {high:g}, got {value}")
    return number


def _option_integer(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"quotas: {name} must be an integer, got {value!r}") from None
    if number < 0:
        raise ValueError(f"quotas: {name} must not be negative, got {value}")
    return number
