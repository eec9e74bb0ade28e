"""Reading invocation log records back from S3.

Listing uses the key layout to skip whole hours outside the ``since``/``until`` window
without downloading them; ``data/`` objects (large bodies) are not records and are skipped.
Objects are read by a few threads at once (each one streamed line by line, gunzipped on
the fly), and records come out as they are parsed: memory stays at a few objects whatever
the size of the log. Lines that are not invocation records (another schema, a truncated
line) are counted, not fatal: a report must survive one bad line among millions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic

from .._s3 import S3Client, S3Object, get_object, iter_lines, list_objects
from ..types.invocation_logging import InvocationLogRecord
from ..wire.log_layout import log_root, parse_key

__all__ = [
    "ReadStats",
    "fetch_body",
    "find_record",
    "list_log_objects",
    "parse_since",
    "read_records",
]

_HOUR = timedelta(hours=1)


@dataclass
class ReadStats:
    """What a read went through (shown under the report)."""

    objects: int = 0
    bytes: int = 0
    records: int = 0
    skipped_lines: int = 0


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


def _parse(line: bytes) -> InvocationLogRecord | None:
    try:
        data: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("schemaType") != "ModelInvocationLog":
        return None
    try:
        return InvocationLogRecord.model_validate(data)
    except pydantic.ValidationError:
        return None


def _read_object(client: S3Client, bucket: str, key: str) -> tuple[list[InvocationLogRecord], int]:
    records: list[InvocationLogRecord] = []
    bad = 0
    for line in iter_lines(client, bucket, key, gzip=True):
        if not line.strip():
            continue
        record = _parse(line)
        if record is None:
            bad += 1
        else:
            records.append(record)
    return records, bad


def _in_window(record: InvocationLogRecord, since: datetime | None, until: datetime | None) -> bool:
    when = record.timestamp if record.timestamp.tzinfo else record.timestamp.replace(tzinfo=UTC)
    return (since is None or when >= since) and (until is None or when < until)


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
) -> Iterator[InvocationLogRecord]:
    """The records of ``objects`` within the window, objects read ``workers`` at a time.

    ``on_object`` is called as each object is done (progress bars).
    """
    stats = stats if stats is not None else ReadStats()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        queue: list[tuple[S3Object, Future[tuple[list[InvocationLogRecord], int]]]] = []
        pending = iter(objects)
        for obj in pending:
            queue.append((obj, pool.submit(_read_object, client, bucket, obj.key)))
            if len(queue) >= workers * 2:
                break
        while queue:
            obj, future = queue.pop(0)
            records, bad = future.result()
            nxt = next(pending, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(_read_object, client, bucket, nxt.key)))
            stats.objects += 1
            stats.bytes += obj.size
            stats.skipped_lines += bad
            if on_object is not None:
                on_object(obj)
            for record in records:
                if _in_window(record, since, until):
                    stats.records += 1
                    yield record


def find_record(
    client: S3Client,
    bucket: str,
    request_id: str,
    objects: list[S3Object],
    *,
    on_object: Callable[[S3Object], None] | None = None,
) -> InvocationLogRecord | None:
    """The record of one request, searched newest object first (a request ID is usually
    recent); lines are matched as bytes before any JSON is parsed."""
    needle = request_id.encode()
    for obj in reversed(objects):
        for line in iter_lines(client, bucket, obj.key, gzip=True):
            if needle in line:
                record = _parse(line)
                if record is not None and record.request_id == request_id:
                    return record
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
