"""Streaming a batch's requests into Bedrock batch input files, within Bedrock's limits.

Requests are consumed one at a time and never all held: each one becomes a JSONL record
(``recordId`` = ``custom_id``, ``modelInput`` = the InvokeModel body ``prepare`` builds for
``messages.create``) appended to its model's current input file, a :class:`MultipartWriter`
(one S3 part in memory). Bedrock runs one model per job, so requests are grouped by model
(resolved ID), and a group's file is closed and a new one (a new job) started when it
reaches the catalogue's records-per-job or file-size limit.

Bedrock also refuses jobs of fewer than ``min_records_per_job`` records (``m``), and a
stream's length is unknown until it ends, so the last ``2m`` requests of each group are
held back. At the end, they go to the current file if they fit; if not, the current file
takes as many as it can while leaving ``m`` of them for one last job. Every job then has
between ``m`` and the per-job maximum (which must be at least ``2m``), whatever the count.
(A file closed early by the byte limit, with requests of megabytes each, can be smaller.)

The order file records which group each request went to, in input order, so that
``results`` can give results back in input order even though Bedrock only promises one
output line per input line, not their order. Requests refused here (unknown model,
bad parameters) are recorded there with their error: they get an ``errored`` result in
their place without costing a Bedrock record.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ClientValidationError
from .._placeholders import drop_placeholders
from .._s3 import MultipartWriter
from .._s3_errors import S3Error, s3_errors
from ._batch_layout import BatchRef, JobEntry
from ._params import BODY_FIELDS, PreparedCall, prepare

if TYPE_CHECKING:
    from .._request_core import RequestCore
    from ..catalog import BatchLimits

__all__ = ["BatchTooSmallError", "BatchWriter", "Limits", "encode_request", "prepare_request"]

_CUSTOM_ID_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}\Z")
#: Keys a request's ``params`` may have besides the body fields.
_EXTRA_PARAMS = frozenset(
    {"model", "stream", "service_tier", "betas", "context_1m", "endpoint", "extra_body"}
)
_ALLOWED_PARAMS = frozenset(BODY_FIELDS) | _EXTRA_PARAMS
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class BatchTooSmallError(ClientValidationError):
    """A model's group has fewer requests than Bedrock accepts in one batch job."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-job limits (from the catalogue, optionally lowered by the caller)."""

    max_records: int
    min_records: int
    max_file_bytes: int

    @classmethod
    def from_catalog(
        cls,
        batch: BatchLimits,
        records_per_job: int | None = None,
        min_records_per_job: int | None = None,
    ) -> Limits:
        most = min(batch.max_records_per_job, batch.max_records_per_file)
        least = batch.min_records_per_job if min_records_per_job is None else min_records_per_job
        if least < 1:
            raise ClientValidationError(f"min_records_per_job must be >= 1, got {least}.")
        if records_per_job is not None:
            if not 2 * least <= records_per_job <= most:
                raise ClientValidationError(
                    f"records_per_job must be between {2 * least} (twice the minimum, so that "
                    f"no job falls under it) and {most} (Bedrock's limit), got "
                    f"{records_per_job}."
                )
            most = records_per_job
        return cls(max_records=most, min_records=least, max_file_bytes=batch.max_input_file_bytes)


def check_custom_id(request: object) -> str:
    """The request's ``custom_id``; a request without a usable one is a programming error."""
    if not isinstance(request, Mapping):
        raise TypeError(
            f"Each batch request must be a mapping {{'custom_id': ..., 'params': {{...}}}}, "
            f"got {type(request).__name__}."
        )
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not _CUSTOM_ID_RE.match(custom_id):
        raise ClientValidationError(
            f"custom_id must be 1-64 letters, digits, '_' or '-', got {custom_id!r}."
        )
    return custom_id


def prepare_request(
    core: RequestCore, request: Mapping[str, Any], default_model: str | None
) -> tuple[str, PreparedCall]:
    """``(custom_id, InvokeModel call)``; raises ``ClientValidationError`` for bad params."""
    custom_id = check_custom_id(request)
    raw = request.get("params")
    if not isinstance(raw, Mapping):
        raise ClientValidationError("params: a mapping of Messages API parameters is required.")
    unknown = sorted(set(raw) - _ALLOWED_PARAMS)
    if unknown:
        raise ClientValidationError(f"params: unknown parameter(s) {', '.join(unknown)}.")
    # The official SDK's NOT_GIVEN / omit (and ours) mean "not set", as in messages.create.
    params = dict(drop_placeholders(raw))
    if params.get("stream"):
        raise ClientValidationError("params.stream: batch requests cannot stream.")
    params.pop("service_tier", None)  # a record has no headers: the job's tier applies
    params.setdefault("model", default_model)
    if params["model"] is None:
        raise ClientValidationError("params.model: no model (pass model= to create()).")
    messages = params.get("messages")
    if messages is not None and not isinstance(messages, list):
        params["messages"] = list(messages)
    call = prepare(
        core,
        params,
        betas=params.get("betas"),
        extra_headers=None,
        extra_body=params.get("extra_body"),
        context_1m=params.get("context_1m"),
        endpoint=params.get("endpoint"),
    )
    return custom_id, call


def encode_request(
    core: RequestCore, request: Mapping[str, Any], default_model: str | None
) -> tuple[str, str, bytes]:
    """``(custom_id, model_id, JSONL record)`` (``recordId`` + ``modelInput``)."""
    custom_id, call = prepare_request(core, request, default_model)
    record = {"recordId": custom_id, "modelInput": call.body}
    return custom_id, call.resolved.model_id, (_compact(record) + "\n").encode()


@dataclass
class _Group:
    """One model's requests: the held-back tail and the input file being written."""

    index: int
    model_id: str
    held: deque[bytes] = field(default_factory=deque)
    writer: MultipartWriter | None = None
    job: JobEntry | None = None


class BatchWriter:
    """Writes one batch's input files and order file; :meth:`finish` returns the jobs."""

    def __init__(
        self, core: RequestCore, s3: Any, ref: BatchRef, limits: Limits, model: str | None
    ) -> None:
        self._core = core
        self._s3 = s3
        self.ref = ref
        self.limits = limits
        self._model = model
        self._groups: dict[str, _Group] = {}
        self.jobs: list[JobEntry] = []
        self._closed_keys: list[str] = []
        self.total = 0
        self.local_errors = 0
        self._order = MultipartWriter(
            s3, ref.bucket, ref.order_key, content_type="text/tab-separated-values"
        )
        self._order_lines: list[str] = []

    # -- input --------------------------------------------------------------------------

    def add(self, request: Mapping[str, Any]) -> None:
        """Take one request (see :meth:`Batches.create` for its shape)."""
        try:
            custom_id, model_id, line = encode_request(self._core, request, self._model)
        except (ClientValidationError, TypeError) as exc:
            custom_id = check_custom_id(request)  # a bad custom_id stops the whole batch
            self._note(f"!\t{custom_id}\t{json.dumps(str(exc), ensure_ascii=False)}\n")
            self.local_errors += 1
            self.total += 1
            return
        group = self._groups.get(model_id)
        if group is None:
            group = self._groups[model_id] = _Group(len(self._groups), model_id)
        self._note(f"{group.index}\t{custom_id}\n")
        self.total += 1
        group.held.append(line)
        if len(group.held) > 2 * self.limits.min_records:
            self._place(group, group.held.popleft())

    def _note(self, text: str) -> None:
        lines = self._order_lines
        lines.append(text)
        if len(lines) >= 512:  # one write per 512 lines: fewer calls, same memory
            self._order.write("".join(lines).encode())
            lines.clear()

    def _place(self, group: _Group, line: bytes) -> None:
        job = group.job
        if job is None or not self._fits(job, line):
            self._roll(group)
            job = group.job
            assert job is not None and group.writer is not None
        else:
            assert group.writer is not None
        group.writer.write(line)
        job.records += 1
        job.bytes += len(line)

    def _fits(self, job: JobEntry, line: bytes) -> bool:
        limits = self.limits
        return job.records < limits.max_records and job.bytes + len(line) <= limits.max_file_bytes

    def _roll(self, group: _Group) -> None:
        """Close the group's current file (if any) and start the next job's."""
        self._close_file(group)
        index = len(self.jobs) + 1
        key = self.ref.input_key(index)
        group.job = JobEntry(index=index, group=group.index, model_id=group.model_id,
                             input_key=key, records=0, bytes=0)  # fmt: skip
        self.jobs.append(group.job)
        group.writer = MultipartWriter(
            self._s3, self.ref.bucket, key, content_type="application/jsonl"
        )

    def _close_file(self, group: _Group) -> None:
        if group.writer is not None:
            group.writer.close()
            self._closed_keys.append(group.writer.key)
            group.writer = None

    # -- end ------------------------------------------------------------------------------

    def finish(self) -> list[JobEntry]:
        """Write the held-back requests, close every file; the jobs to create, in order."""
        small = [
            g
            for g in self._groups.values()
            if g.job is None and len(g.held) < self.limits.min_records
        ]
        if small:
            group = small[0]
            raise BatchTooSmallError(
                f"Bedrock batch inference needs at least {self.limits.min_records} records "
                f"per job; model {group.model_id} has {len(group.held)}. Add requests, group "
                "fewer models, or call messages.create for small sets."
            )
        for group in self._groups.values():
            self._flush_held(group)
            self._close_file(group)
        if self._order_lines:
            self._order.write("".join(self._order_lines).encode())
            self._order_lines.clear()
        self._order.close()
        self._closed_keys.append(self._order.key)
        return self.jobs

    def _flush_held(self, group: _Group) -> None:
        """Place the held-back requests so that no job ends under the minimum."""
        job, held, limits = group.job, group.held, self.limits
        if job is None:
            self._roll(group)
        elif job.records + len(held) > limits.max_records:
            fill = min(limits.max_records - job.records, len(held) - limits.min_records)
            for _ in range(fill):
                self._place(group, held.popleft())
            self._roll(group)
        while held:
            self._place(group, held.popleft())

    def abort(self) -> None:
        """Drop everything written: open uploads are aborted, finished objects deleted."""
        self._order.abort()
        for group in self._groups.values():
            if group.writer is not None:
                group.writer.abort()
        for key in self._closed_keys:
            try:
                with s3_errors("DeleteObject", self.ref.bucket, key):
                    self._s3.delete_object(Bucket=self.ref.bucket, Key=key)
            except S3Error:
                pass  # best effort: the error that made us abort matters more
