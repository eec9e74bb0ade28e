"""Delivering invocation log records to S3 in small gzip objects, losing none.

Records arrive one per finished invocation, from many requests at once, on the event
loop. They are grouped per destination and UTC hour (Bedrock's key layout puts each
object in one hour's directory) and cut into a batch every ``flush_interval`` seconds or
as soon as a group reaches ``max_records`` / ``max_bytes``. Each batch becomes one gzip
NDJSON object, uploaded by botocore in a worker thread (at most ``max_concurrent`` at a
time), so the loop never blocks on S3.

Nothing lost, nothing twice:

* a batch's key and bytes are fixed when it is cut (the key is the earliest timestamp and
  a hash of its request IDs; gzip's header time is zeroed), so a failed upload is retried
  with the very same object: a retry after a lost answer overwrites, never duplicates;
* a failed batch is retried with backoff until it succeeds; :meth:`LogWriter.close` (on
  graceful shutdown, after the server has finished its in-flight requests) cuts what is
  pending and waits for every upload until the close deadline. Uploads still stalled then
  are abandoned (each runs on a daemon thread with a total deadline of its own, see
  :mod:`._daemon`), so a stalled S3 cannot hold the process; a batch S3 refuses for good
  (no such bucket, access denied) is given up at once at close. What is not delivered is
  counted and logged as an error, and stays in the spool (:mod:`.log_spool`: every record
  is on disk before its call is answered) to be delivered at the next start;
* bodies delivered on their own (``data/`` objects) are uploaded before the batch that
  points at them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..wire.log_layout import object_key
from ..wire.s3 import S3Client, S3Error, put_object
from ._daemon import in_daemon_thread
from .log_spool import LogSpool, SpoolRef

__all__ = ["Destination", "LogWriter", "WriterStats"]

logger = logging.getLogger("claude_bedrock.emulator.invocation_logging")

#: The objects are gzip files (``.json.gz``), not gzip-encoded JSON: no Content-Encoding, so
#: that no HTTP layer unpacks them on the way and every reader sees the same bytes.
_CONTENT_TYPE = "application/gzip"
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0
#: S3's answers that no retry will change: at close, such a batch is left in the spool.
_PERMANENT = frozenset(
    {"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
     "AllAccessDisabled", "InvalidBucketName"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one account's records go (Bedrock's configuration is per account and Region)."""

    bucket: str
    prefix: str | None
    account: str
    region: str


@dataclass(slots=True)
class _Entry:
    line: bytes
    request_id: str
    when: datetime
    attachments: tuple[tuple[str, bytes], ...] = ()
    ref: SpoolRef | None = None


@dataclass(slots=True)
class _Batch:
    destination: Destination
    entries: list[_Entry]
    key: str = ""
    body: bytes = b""

    def seal(self) -> None:
        """Fix the key and the bytes once, so every retry uploads the same object."""
        first = min(entry.when for entry in self.entries)
        digest = hashlib.sha256()
        for entry in sorted(self.entries, key=lambda e: e.request_id):
            digest.update(entry.request_id.encode())
            digest.update(b"\n")
        dest = self.destination
        self.key = object_key(
            dest.prefix, dest.account, dest.region, first, digest.hexdigest()[:16]
        )
        self.body = gzip.compress(b"".join(entry.line for entry in self.entries), mtime=0)


@dataclass
class WriterStats:
    """Counters for the emulator's status route and for tests (no secrets here)."""

    submitted: int = 0
    delivered: int = 0
    objects: int = 0
    retries: int = 0
    dropped: int = 0
    last_error: str | None = None
    pending: int = 0
    uploading: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "delivered": self.delivered,
            "objects": self.objects,
            "retries": self.retries,
            "dropped": self.dropped,
            "pending": self.pending,
            "uploading": self.uploading,
            "lastError": self.last_error,
        }


@dataclass
class _Group:
    entries: list[_Entry] = field(default_factory=list)
    size: int = 0


class LogWriter:
    """Batches records and uploads them; use from one event loop."""

    def __init__(
        self,
        client_factory: Callable[[], S3Client],
        *,
        flush_interval: float = 0.2,
        max_records: int = 500,
        max_bytes: int = 1024 * 1024,
        max_concurrent: int = 4,
        spool: LogSpool | None = None,
        call_timeout: float | None = None,
    ) -> None:
        self._client_factory = client_factory
        self._client: S3Client | None = None
        self._client_lock = threading.Lock()
        self.flush_interval = flush_interval
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._slots = asyncio.Semaphore(max_concurrent)
        self._groups: dict[tuple[Destination, datetime], _Group] = {}
        self._uploads: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._deadline: float | None = None
        self.spool = spool
        self.call_timeout = call_timeout  # the total deadline of one upload (None: botocore's)
        self.stats = WriterStats()

    # -- intake -----------------------------------------------------------------------------

    def submit(
        self,
        destination: Destination,
        record: dict[str, Any] | bytes,
        *,
        request_id: str,
        when: datetime,
        attachments: tuple[tuple[str, bytes], ...] = (),
        ref: SpoolRef | None = None,
    ) -> None:
        """Queue one record (a JSON object, or its NDJSON line); it is uploaded within
        ``flush_interval``; ``ref`` (its place in the spool) is acknowledged once it is."""
        if isinstance(record, bytes):
            line = record
        else:
            line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        hour = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        group = self._groups.setdefault((destination, hour), _Group())
        group.entries.append(_Entry(line, request_id, when, attachments, ref))
        group.size += len(line)
        self.stats.submitted += 1
        self.stats.pending += 1
        if len(group.entries) >= self.max_records or group.size >= self.max_bytes:
            self._cut((destination, hour))
        self._ensure_ticker()

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while self._groups:
            await asyncio.sleep(self.flush_interval)
            self._cut_all()

    def _cut_all(self) -> None:
        for key in list(self._groups):
            self._cut(key)

    def _cut(self, key: tuple[Destination, datetime]) -> None:
        group = self._groups.pop(key, None)
        if group is None or not group.entries:
            return
        batch = _Batch(key[0], group.entries)
        batch.seal()
        self.stats.pending -= len(batch.entries)
        self.stats.uploading += len(batch.entries)
        task = asyncio.get_running_loop().create_task(self._deliver(batch))
        self._uploads.add(task)
        task.add_done_callback(self._uploads.discard)

    # -- delivery -----------------------------------------------------------------------------

    async def _deliver(self, batch: _Batch) -> None:
        delay = _BACKOFF_FIRST
        count = len(batch.entries)
        try:
            while True:
                try:
                    async with self._slots:
                        upload = functools.partial(self._upload, batch)
                        await in_daemon_thread(upload, timeout=self.call_timeout)
                except Exception as exc:  # any failure: same object again, later
                    self.stats.retries += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    logger.warning(
                        "invocation log upload to s3://%s/%s failed (%s); retrying",
                        batch.destination.bucket, batch.key, type(exc).__name__,
                    )  # fmt: skip
                    if self._deadline is not None and (
                        time.monotonic() + delay > self._deadline
                        or (isinstance(exc, S3Error) and exc.code in _PERMANENT)
                    ):
                        raise _GiveUp from exc
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _BACKOFF_MAX)
                    continue
                self.stats.delivered += count
                self.stats.objects += 1
                refs = [entry.ref for entry in batch.entries if entry.ref is not None]
                if self.spool is not None and refs:
                    self.spool.ack(refs)
                return
        except _GiveUp:
            self._dropped(batch)
        except asyncio.CancelledError:
            self._dropped(batch)
            raise
        finally:
            self.stats.uploading -= count

    def _dropped(self, batch: _Batch) -> None:
        self.stats.dropped += len(batch.entries)
        kept = sum(1 for entry in batch.entries if entry.ref is not None)
        where = (f"; {kept} kept in the spool {self.spool.directory}, delivered at the next "
                 "start") if self.spool is not None and kept else ""  # fmt: skip
        logger.error(
            "%d invocation log records were not delivered to s3://%s/%s (S3 unreachable "
            "at shutdown: %s)%s", len(batch.entries), batch.destination.bucket, batch.key,
            self.stats.last_error or "no answer before the shutdown deadline", where,
        )  # fmt: skip

    def client(self) -> S3Client:
        """The botocore S3 client, made on first use (blocking: call from a thread)."""
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def _upload(self, batch: _Batch) -> None:
        client = self.client()
        bucket = batch.destination.bucket
        for key, body in (a for entry in batch.entries for a in entry.attachments):
            put_object(client, bucket, key, body, content_type=_CONTENT_TYPE)
        put_object(client, bucket, batch.key, batch.body, content_type=_CONTENT_TYPE)

    # -- draining ------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Cut everything pending and wait until it is uploaded (retrying as needed)."""
        self._cut_all()
        while self._uploads:
            await asyncio.gather(*list(self._uploads), return_exceptions=True)

    async def close(self, timeout: float = 30.0) -> None:
        """Deliver everything; give up on S3 only after ``timeout`` seconds of failures."""
        self._deadline = time.monotonic() + timeout
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        self._cut_all()
        if self._uploads:
            _done, late = await asyncio.wait(set(self._uploads), timeout=timeout)
            for task in late:  # stalled in an upload: abandoned (the thread is a daemon)
                task.cancel()
            if late:
                await asyncio.wait(late)


class _GiveUp(Exception):
    """Raised inside a delivery when the close deadline has passed."""
