"""Reading a batch's results back: one typed result per request, in input order, streamed.

The order file (see :mod:`._batch_layout`) lists the requests in input order with the
model group each went to; each group's jobs hold its requests in that order. So the
results are a merge: walk the order file and take the next output line of the request's
group, job after job. One output stream per model group is open at a time, whatever the
batch's size, so memory stays flat.

Bedrock documents that output lines may come in another order than the input's. A line
that is not the one expected is parked until its turn (by ``recordId``); parked lines
beyond ``_PARK_BYTES`` go to a temporary file, so even a shuffled output costs disk, not
memory. A request without an output line (stopped, expired or failed job) gets a
``canceled``, ``expired`` or ``errored`` result in its place.
"""

from __future__ import annotations

import json
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from .._s3 import iter_lines, list_keys, parse_s3_uri
from ..types.batches import (
    ErrorObject,
    ErrorResponse,
    MessageBatchCanceledResult,
    MessageBatchErroredResult,
    MessageBatchExpiredResult,
    MessageBatchIndividualResponse,
    MessageBatchSucceededResult,
)
from ..types.message import Cost, Message

if TYPE_CHECKING:
    from .._request_core import RequestCore
    from ..types.batches import BedrockBatchJob, MessageBatchResult
    from ._batch_layout import BatchManifest, JobEntry

__all__ = ["iter_results", "error_type_for"]

_PARK_BYTES = 16 * 1024 * 1024
_CHUNK = 256 * 1024  # per open output stream
_ORDER_CHUNK = 64 * 1024  # ~5,000 order lines, split into a list at once
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_type_for(code: int | None) -> str:
    """Anthropic's error type for a Bedrock batch ``errorCode`` (an HTTP status)."""
    return _ERROR_TYPES.get(code or 0, "api_error")


def _errored(
    custom_id: str, kind: str, message: str, code: int | None = None
) -> MessageBatchIndividualResponse:
    detail = ErrorObject(type=kind, message=message)
    if code is not None:
        detail.bedrock_error_code = code
    error = ErrorResponse(type="error", error=detail)
    return MessageBatchIndividualResponse(
        custom_id=custom_id, result=MessageBatchErroredResult(type="errored", error=error)
    )


class _Parked:
    """Output lines that arrived before their turn, by recordId; spills to disk when big."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lines: dict[str, deque[bytes | tuple[int, int]]] = {}
        self._bytes = 0
        self._file: IO[bytes] | None = None

    def __len__(self) -> int:
        return len(self._lines)

    def put(self, record_id: str, line: bytes) -> None:
        item: bytes | tuple[int, int] = line
        if self._bytes + len(line) > self._limit:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
            self._file.seek(0, 2)
            item = (self._file.tell(), len(line))
            self._file.write(line)
        else:
            self._bytes += len(line)
        self._lines.setdefault(record_id, deque()).append(item)

    def take(self, record_id: str) -> bytes | None:
        queue = self._lines.get(record_id)
        if not queue:
            return None
        item = queue.popleft()
        if not queue:
            del self._lines[record_id]
        if isinstance(item, bytes):
            self._bytes -= len(item)
            return item
        assert self._file is not None
        self._file.seek(item[0])
        return self._file.read(item[1])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._lines.clear()


@dataclass
class _Job:
    entry: JobEntry
    state: BedrockBatchJob
    cost: _Pricer | None


class _GroupReader:
    """The output lines of one model group's jobs, one job after the other."""

    def __init__(self, s3: Any, manifest: BatchManifest, jobs: list[_Job], park: int) -> None:
        self._s3 = s3
        self._park = park
        self._manifest = manifest
        self._jobs = deque(jobs)
        self._lines: Iterator[bytes] | None = None
        self._taken = 0
        self._parked = _Parked(park)

    def next(self, custom_id: str) -> MessageBatchIndividualResponse:
        job = self._jobs[0]
        if self._lines is None:
            self._lines = self._open(job)
        result = self._find(custom_id, job)
        self._taken += 1
        if self._taken >= job.entry.records:
            self._next_job()
        return result

    def _find(self, custom_id: str, job: _Job) -> MessageBatchIndividualResponse:
        parked = self._parked.take(custom_id)
        if parked is not None:
            return _build(_load(parked), custom_id, job)
        assert self._lines is not None
        for line in self._lines:
            if not line.strip():
                continue
            record = _load(line)  # parsed once: the usual in-order line is used right away
            record_id = record.get("recordId")
            if record_id == custom_id:
                return _build(record, custom_id, job)
            self._parked.put(record_id if isinstance(record_id, str) else "", line)
        return _missing(custom_id, job.state)

    def _next_job(self) -> None:
        self._jobs.popleft()
        self._close_lines()
        self._parked.close()
        self._parked = _Parked(self._park)
        self._taken = 0

    def _open(self, job: _Job) -> Iterator[bytes]:
        bucket, prefix = parse_s3_uri(job.state.output_s3_uri or self._manifest.ref.output_uri)
        folder = f"{prefix.rstrip('/')}/{job.state.job_id}/" if prefix else f"{job.state.job_id}/"
        wanted = job.entry.input_key.rsplit("/", 1)[-1] + ".out"
        for key in list_keys(self._s3, bucket, folder):
            if key.rsplit("/", 1)[-1] == wanted:
                return iter_lines(self._s3, bucket, key, chunk_size=_CHUNK)
        return iter(())

    def _close_lines(self) -> None:
        lines, self._lines = self._lines, None
        close = getattr(lines, "close", None)
        if close is not None:
            close()

    def close(self) -> None:
        self._close_lines()
        self._parked.close()


def _load(line: bytes) -> dict[str, Any]:
    """An output line as a dict; an unreadable one as ``{"_unreadable": reason}``."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return {"_unreadable": str(exc)}
    return record if isinstance(record, dict) else {"_unreadable": "not a JSON object"}


def _build(record: dict[str, Any], custom_id: str, job: _Job) -> MessageBatchIndividualResponse:
    """The typed result of one output line (``modelOutput`` or ``error``)."""
    output = record.get("modelOutput")
    if isinstance(output, dict):
        try:
            message = Message.model_validate(output)
        except ValueError as exc:
            return _errored(custom_id, "api_error", f"Unreadable modelOutput: {exc}")
        if job.cost is not None:
            message._cost = job.cost.of(message)
        result: MessageBatchResult = MessageBatchSucceededResult(type="succeeded", message=message)
        return MessageBatchIndividualResponse(custom_id=custom_id, result=result)
    if "_unreadable" in record:
        return _errored(custom_id, "api_error", f"Unreadable output line: {record['_unreadable']}")
    error = record.get("error") or {}
    code = _int(error.get("errorCode"))
    text = str(error.get("errorMessage") or "Bedrock returned no output for this record.")
    return _errored(custom_id, error_type_for(code), text, code)


def _int(value: object) -> int | None:
    if isinstance(value, int | str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


class _Pricer:
    """Batch-price costs of one model's messages, remembered by usage: the exact Decimal
    arithmetic is half of the time spent per result (measured: 50 of 100 us), and the
    same token counts come back often (short answers, templated prompts)."""

    def __init__(self, info: Any, endpoint_type: str) -> None:
        self._info = info
        self._endpoint_type = endpoint_type
        self._known: dict[tuple[Any, ...], Cost | None] = {}

    def of(self, message: Message) -> Cost | None:
        usage = message.usage
        key = (usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens,
               usage.cache_read_input_tokens, getattr(usage, "cache_creation", None))  # fmt: skip
        if key in self._known:
            return self._known[key]
        from ..catalog import cost

        try:
            usd = cost(self._info, usage, self._endpoint_type, batch=True)
            found: Cost | None = Cost(
                usd=usd, model=self._info.id, batch=True, endpoint_type=self._endpoint_type
            )
        except (ValueError, TypeError):
            found = None
        if len(self._known) >= 4096:
            self._known.clear()
        self._known[key] = found
        return found


def _missing(custom_id: str, state: BedrockBatchJob) -> MessageBatchIndividualResponse:
    if state.status in ("Stopped", "Stopping"):
        return MessageBatchIndividualResponse(
            custom_id=custom_id, result=MessageBatchCanceledResult(type="canceled")
        )
    if state.status == "Expired":
        return MessageBatchIndividualResponse(
            custom_id=custom_id, result=MessageBatchExpiredResult(type="expired")
        )
    reason = f": {state.message}" if state.message else ""
    return _errored(
        custom_id,
        "api_error",
        f"No output for this record (Bedrock job {state.job_id} ended {state.status}{reason}).",
    )


def iter_results(
    core: RequestCore,
    s3: Any,
    manifest: BatchManifest,
    states: list[BedrockBatchJob],
    *,
    park_bytes: int = _PARK_BYTES,
) -> Iterator[MessageBatchIndividualResponse]:
    """Every request's result, in input order (``states`` aligned with ``manifest.jobs``).

    ``park_bytes``: how much out-of-order output is kept in memory before spilling to disk.
    """
    by_group: dict[int, list[_Job]] = {}
    for entry, state in zip(manifest.jobs, states, strict=True):
        by_group.setdefault(entry.group, []).append(_Job(entry, state, _pricing(core, entry)))
    readers = {g: _GroupReader(s3, manifest, jobs, park_bytes) for g, jobs in by_group.items()}
    try:
        ref = manifest.ref
        for line in iter_lines(s3, ref.bucket, ref.order_key, chunk_size=_ORDER_CHUNK):
            head, _, rest = line.decode("utf-8").partition("\t")
            if head == "!":
                custom_id, _, message = rest.partition("\t")
                yield _errored(custom_id, "invalid_request_error", json.loads(message))
            else:
                yield readers[int(head)].next(rest)
    finally:
        for reader in readers.values():
            reader.close()


def _pricing(core: RequestCore, entry: JobEntry) -> _Pricer | None:
    try:
        resolved = core.resolve_model(entry.model_id)
    except ValueError:
        return None
    if resolved.info is None:
        return None
    return _Pricer(resolved.info, resolved.endpoint_type)
