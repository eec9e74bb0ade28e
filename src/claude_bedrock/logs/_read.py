"""Reading invocation log records back from S3.

Listing uses the key layout to skip whole hours outside the ``since``/``until`` window
without downloading them; ``data/`` objects (large bodies) are not records and are skipped.
Objects are read by a few threads at once (each one streamed line by line, gunzipped on
the fly, under :class:`~._bounded.ReadLimits`). Lines that are not invocation records
(another schema, a truncated or over-long line, JSON nested too deeply) are counted by
reason, not fatal: a report must survive one bad line among millions. An object that
cannot be read to the end (not gzip, truncated, over its size budget, mostly not records)
is skipped whole and named in :attr:`ReadStats.skipped_objects`: a report then covers
exactly the objects it lists as read, never half of one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pydantic

from .._s3 import S3Client, S3Object, S3ObjectNotFoundError, get_object, iter_chunks, list_objects
from ..catalog import Catalog
from ..types.invocation_logging import InvocationLogRecord
from ..wire.log_layout import log_root, parse_key
from ._bounded import ObjectSkipped, ReadLimits, bounded_lines, format_size
from ._report import Pricer, UsageReport

__all__ = [
    "ReadStats",
    "SkippedObject",
    "fetch_body",
    "find_record",
    "list_log_objects",
    "parse_since",
    "read_records",
    "report_records",
]

_HOUR = timedelta(hours=1)
_T = TypeVar("_T")


@dataclass(frozen=True)
class SkippedObject:
    """An object left out of a read, and why (``not gzip``, ``truncated``...)."""

    key: str
    reason: str


@dataclass
class ReadStats:
    """What a read went through (shown under the report)."""

    objects: int = 0  # objects looked at, skipped ones included
    bytes: int = 0
    records: int = 0
    skipped_lines: int = 0
    #: Skipped lines per reason ("not JSON", "nested too deeply", ...).
    line_reasons: dict[str, int] = field(default_factory=dict)
    skipped_objects: list[SkippedObject] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every object was read (lines may still have been skipped)."""
        return not self.skipped_objects

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "records": self.records,
            "skipped_lines": self.skipped_lines,
            "skipped_line_reasons": dict(sorted(self.line_reasons.items())),
            "skipped_objects": [{"key": s.key, "reason": s.reason} for s in self.skipped_objects],
            "complete": self.complete,
        }


def _search_root(prefix: str | None) -> str:
    """The listing prefix: the log root of a configured ``keyPrefix``, or a path already
    inside it (``.../AWSLogs/123/...``) taken as is."""
    if prefix and "AWSLogs/" in prefix:
        return prefix.lstrip("/")
    return log_root(prefix)


def list_log_objects(
    client: S3Client,
    bucket: str,
    prefix: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[S3Object]:
    """The record objects whose hour overlaps ``[since, until)``, in key order."""
    found: list[S3Object] = []
    for obj in list_objects(client, bucket, _search_root(prefix)):
        key = parse_key(obj.key)
        if key is None or key.is_data:
            continue
        if since is not None and key.hour + _HOUR <= since:
            continue
        if until is not None and key.hour >= until:
            continue
        found.append(obj)
    return found


#: A record line names its schema; a line without this is not one (no JSON parse needed).
_MARKER = b"ModelInvocationLog"


def _parse(line: bytes) -> InvocationLogRecord | str:
    """The record, or why the line is not one."""
    if _MARKER not in line:
        return "not an invocation log record"
    try:
        data: Any = json.loads(line)
    except RecursionError:
        return "JSON nested too deeply"
    except ValueError:
        return "not JSON (or not UTF-8)"
    if not isinstance(data, dict) or data.get("schemaType") != "ModelInvocationLog":
        return "not an invocation log record"
    try:
        return InvocationLogRecord.model_validate(data)
    except (pydantic.ValidationError, RecursionError):
        return "an invocation log record with invalid fields"


@dataclass
class _Scan:
    """One object's outcome: lines skipped per reason, or why the whole object was."""

    records: int = 0
    bad: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None


def _scan_object(
    client: S3Client,
    bucket: str,
    key: str,
    limits: ReadLimits,
    window: Callable[[InvocationLogRecord], bool],
    take: Callable[[InvocationLogRecord], None],
) -> _Scan:
    """Feed the object's in-window records to ``take``; the caller drops what ``take``
    gathered if the scan comes back ``skipped``."""
    scan = _Scan()
    bad_total = 0
    long_line = f"longer than {format_size(limits.max_line_bytes)} (--max-line-bytes)"
    try:
        for line in bounded_lines(iter_chunks(client, bucket, key), limits):
            got = _parse(line) if line else long_line
            if isinstance(got, str):
                scan.bad[got] = scan.bad.get(got, 0) + 1
                bad_total += 1
                if bad_total > limits.max_bad_lines:
                    raise ObjectSkipped(
                        f"more than {limits.max_bad_lines:,} lines that are not invocation "
                        "log records (not a log object?)"
                    )
            elif window(got):
                scan.records += 1
                take(got)
    except ObjectSkipped as exc:
        return _Scan(skipped=exc.reason)
    except S3ObjectNotFoundError:
        return _Scan(skipped="deleted while the report was read")
    return scan


def _window(
    since: datetime | None, until: datetime | None
) -> Callable[[InvocationLogRecord], bool]:
    def inside(record: InvocationLogRecord) -> bool:
        stamp = record.timestamp
        when = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        return (since is None or when >= since) and (until is None or when < until)

    return inside


def _each_object(
    objects: list[S3Object],
    work: Callable[[S3Object], tuple[_Scan, _T]],
    workers: int,
    stats: ReadStats,
    on_object: Callable[[S3Object], None] | None,
) -> Iterator[_T]:
    """``work`` on every object, ``workers`` at a time, results in key order; the stats
    are kept here and skipped objects' results are not yielded."""
    workers = max(1, workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        queue: list[tuple[S3Object, Future[tuple[_Scan, _T]]]] = []
        pending = iter(objects)
        for obj in pending:
            queue.append((obj, pool.submit(work, obj)))
            if len(queue) >= workers * 2:
                break
        while queue:
            obj, future = queue.pop(0)
            scan, result = future.result()
            nxt = next(pending, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(work, nxt)))
            stats.objects += 1
            if on_object is not None:
                on_object(obj)
            if scan.skipped is not None:
                stats.skipped_objects.append(SkippedObject(obj.key, scan.skipped))
                continue
            stats.bytes += obj.size
            stats.records += scan.records
            for reason, count in scan.bad.items():
                stats.skipped_lines += count
                stats.line_reasons[reason] = stats.line_reasons.get(reason, 0) + count
            yield result


def read_records(
    client: S3Client,
    bucket: str,
    objects: list[S3Object],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: int = 8,
    stats: ReadStats | None = None,
    on_object: Callable[[S3Object], None] | None = None,
    limits: ReadLimits | None = None,
) -> Iterator[InvocationLogRecord]:
    """The records of ``objects`` within the window, objects read ``workers`` at a time.

    An object's records are held until it has been read to the end (so a skipped object
    gives none): for totals over many large objects, :func:`report_records` holds none.
    ``on_object`` is called as each object is done (progress bars).
    """
    stats = stats if stats is not None else ReadStats()
    limits = limits or ReadLimits()
    inside = _window(since, until)

    def work(obj: S3Object) -> tuple[_Scan, list[InvocationLogRecord]]:
        found: list[InvocationLogRecord] = []
        return _scan_object(client, bucket, obj.key, limits, inside, found.append), found

    for records in _each_object(objects, work, workers, stats, on_object):
        yield from records


def report_records(
    client: S3Client,
    bucket: str,
    objects: list[S3Object],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: int = 8,
    stats: ReadStats | None = None,
    on_object: Callable[[S3Object], None] | None = None,
    limits: ReadLimits | None = None,
    catalog: Catalog | None = None,
) -> UsageReport:
    """``build_report(read_records(...))`` without holding records: each object is added
    up on its own (memory: one line per worker) and merged in once it was read whole."""
    stats = stats if stats is not None else ReadStats()
    limits = limits or ReadLimits()
    inside = _window(since, until)
    pricer = Pricer(catalog or Catalog.default())

    def work(obj: S3Object) -> tuple[_Scan, UsageReport]:
        part = UsageReport()
        scan = _scan_object(client, bucket, obj.key, limits, inside, lambda r: pricer.add(part, r))
        return scan, part

    report = UsageReport()
    for part in _each_object(objects, work, workers, stats, on_object):
        report.merge(part)
    return report


def find_record(
    client: S3Client,
    bucket: str,
    request_id: str,
    objects: list[S3Object],
    *,
    on_object: Callable[[S3Object], None] | None = None,
    limits: ReadLimits | None = None,
) -> InvocationLogRecord | None:
    """The record of one request, searched newest object first (a request ID is usually
    recent); lines are matched as bytes before any JSON is parsed. Objects that cannot be
    read (see :func:`read_records`) are passed over."""
    needle = request_id.encode()
    limits = limits or ReadLimits()
    for obj in reversed(objects):
        try:
            for line in bounded_lines(iter_chunks(client, bucket, obj.key), limits):
                if needle in line:
                    record = _parse(line)
                    if not isinstance(record, str) and record.request_id == request_id:
                        return record
        except (ObjectSkipped, S3ObjectNotFoundError):
            pass
        if on_object is not None:
            on_object(obj)
    return None


def fetch_body(client: S3Client, s3_path: str) -> Any:
    """A body Bedrock delivered on its own (``inputBodyS3Path`` / ``outputBodyS3Path``)."""
    import gzip

    from .._s3 import parse_s3_uri

    bucket, key = parse_s3_uri(s3_path)
    return json.loads(gzip.decompress(get_object(client, bucket, key)))


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}  # fmt: skip


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"2w"`` (ago), or an ISO date/time (UTC if naive)."""
    text = value.strip()
    now = now or datetime.now(UTC)
    unit = _UNITS.get(text[-1:].lower())
    if unit is not None and text[:-1].isdigit():
        return now - int(text[:-1]) * unit
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither a duration (7d, 12h, 30m, 2w) nor a date (2025-01-31)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
