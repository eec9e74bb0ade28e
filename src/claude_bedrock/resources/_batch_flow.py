"""The ``messages.batches`` operations written once, without I/O.

Each operation (create, retrieve, list, cancel, results) is a generator that yields what
it needs done and receives the outcome, httpx's ``auth_flow`` pattern:

* :class:`Call`: one control-plane request; the generator receives the JSON answer.
* :class:`CallAll`: several requests that may run concurrently (a batch's jobs); a list.
* :class:`Blocking`: blocking work (S3 through botocore, the writer's files); its result.
* :class:`Feed`: hand the caller's requests to the batch writer.

A failed effect is thrown into the generator, so its ``try``/``except`` (stopping the jobs
already started when a later step fails) reads as straight-line code. :class:`~.batches.Batches`
drives the generators with blocking calls; :class:`~.batches.AsyncBatches` with awaits,
worker threads for blocking work and ``asyncio.gather`` for :class:`CallAll`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypedDict, TypeVar

from .._exceptions import APIStatusError
from .._s3 import put_object
from .._s3_errors import S3BucketNotFoundError, S3ObjectNotFoundError
from ..types.batches import (
    BATCH_ACTIVE_STATUSES,
    BedrockBatchJob,
    MessageBatch,
    MessageBatchIndividualResponse,
)
from ._batch_common import (
    S3Options,
    batch_limits,
    check_ended,
    create_body,
    finish_manifest,
    folders,
    job_path,
    list_path,
    read_manifest,
    start_writer,
)
from ._batch_layout import BatchManifest, BatchRef, batch_from_jobs, decode_batch_id, job_from_wire
from ._batch_results import iter_results
from ._batch_write import BatchWriter
from ._flow import Steps

__all__ = [
    "BatchCreateOptions",
    "BatchFlows",
    "Blocking",
    "Call",
    "CallAll",
    "Effect",
    "Feed",
    "Flow",
    "Steps",
]

T = TypeVar("T")
Requests = Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]]


class BatchCreateOptions(TypedDict, total=False):
    """Optional keywords of ``messages.batches.create`` (sync and async alike)."""

    prefix: str | None
    model: str | None
    job_name: str | None
    timeout_hours: int | None
    records_per_job: int | None
    min_records_per_job: int | None
    tags: Mapping[str, str] | None


_CREATE_OPTIONS = frozenset(BatchCreateOptions.__annotations__)


@dataclass(frozen=True, slots=True)
class Call:
    """One control-plane request; answered with its JSON body (``{}`` when empty)."""

    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class CallAll:
    """Requests that may run concurrently; answered with their bodies, in order."""

    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class Blocking:
    """Blocking work; answered with ``fn()``'s result (async: run in a worker thread)."""

    fn: Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Feed:
    """Add every request to the writer (async: in worker threads, slice by slice)."""

    writer: BatchWriter
    requests: Requests


Effect = Call | CallAll | Blocking | Feed
Flow = Generator[Effect, Any, T]


class BatchFlows:
    """The operations of one ``messages.batches`` (one client core, one way to reach S3)."""

    def __init__(self, core: Any, s3: S3Options) -> None:
        self._core = core
        self._s3 = s3

    def create(
        self, requests: Requests, bucket: str, role_arn: str, options: BatchCreateOptions
    ) -> Flow[MessageBatch]:
        """Write the requests to S3, start the job(s) and return the new batch."""
        unknown = options.keys() - _CREATE_OPTIONS
        if unknown:
            raise TypeError(f"batches.create: unexpected keyword argument(s): {sorted(unknown)}")
        s3 = yield Blocking(self._s3.client)
        limits = batch_limits(options.get("records_per_job"), options.get("min_records_per_job"))
        writer, token = start_writer(
            self._core, s3, bucket, options.get("prefix"), role_arn, limits, options.get("model")
        )
        name, hours = options.get("job_name"), options.get("timeout_hours")
        finish = partial(finish_manifest, writer, role_arn, name, hours)
        try:
            yield Feed(writer, requests)
            manifest: BatchManifest = yield Blocking(finish)
        except BaseException:
            yield Blocking(writer.abort)
            raise
        yield from self._submit(manifest, token, s3, options.get("tags"))
        return (yield from self.retrieve(manifest.ref.id))

    def _submit(
        self, manifest: BatchManifest, token: str, s3: Any, tags: Mapping[str, str] | None
    ) -> Flow[None]:
        """Create every job, then write the manifest; on any failure stop the jobs started."""
        try:
            for entry in manifest.jobs:
                body = create_body(manifest, entry, token, tags)
                answer = yield Call("POST", "/model-invocation-job", body)
                entry.arn = str(answer["jobArn"])
            yield Blocking(partial(_put_manifest, s3, manifest))
        except BaseException:
            for entry in manifest.jobs:
                if entry.arn:
                    yield from self._stop_quietly(entry.arn)
            raise

    def _stop_quietly(self, arn: str) -> Flow[None]:
        with contextlib.suppress(APIStatusError):  # already ended: nothing to stop
            yield Call("POST", job_path(arn, "/stop"))

    def _manifest(self, batch_id: str) -> Flow[tuple[Any, BatchManifest]]:
        s3 = yield Blocking(self._s3.client)
        manifest = yield Blocking(partial(read_manifest, s3, decode_batch_id(batch_id)))
        return s3, manifest

    def _jobs(self, manifest: BatchManifest) -> Flow[list[BedrockBatchJob]]:
        """Each job's GetModelInvocationJob (concurrently where the driver can)."""
        answers = yield CallAll(tuple(Call("GET", job_path(e.arn)) for e in manifest.jobs))
        return [job_from_wire(a, e) for a, e in zip(answers, manifest.jobs, strict=True)]

    def retrieve(self, batch_id: str) -> Flow[MessageBatch]:
        """The batch's state, from its manifest and each job's GetModelInvocationJob."""
        _, manifest = yield from self._manifest(batch_id)
        return batch_from_jobs(manifest, (yield from self._jobs(manifest)))

    def list(self, limit: int) -> Flow[list[MessageBatch]]:
        """The newest batches first, at most ``limit``, skipping folders deleted from S3.

        Pages of jobs are read only while more batches are wanted.
        """
        found: list[MessageBatch] = []
        seen: set[BatchRef] = set()
        token: str | None = None
        while True:
            page = yield Call("GET", list_path(token))
            for ref in _unseen(folders(page.get("invocationJobSummaries") or []), seen):
                if len(found) >= limit:
                    return found
                with contextlib.suppress(S3ObjectNotFoundError, S3BucketNotFoundError):
                    found.append((yield from self.retrieve(ref.id)))
            token = page.get("nextToken")
            if not token:
                return found

    def cancel(self, batch_id: str) -> Flow[MessageBatch]:
        """Stop every job of the batch that is still running (StopModelInvocationJob)."""
        batch = yield from self.retrieve(batch_id)
        for job in batch.jobs:
            if job.status in BATCH_ACTIVE_STATUSES and job.status != "Stopping":
                yield from self._stop_quietly(job.job_arn)
        return (yield from self.retrieve(batch_id))

    def results(self, batch_id: str) -> Flow[Iterator[MessageBatchIndividualResponse]]:
        """A blocking iterator over the results, once the batch has ended."""
        s3, manifest = yield from self._manifest(batch_id)
        states = yield from self._jobs(manifest)
        check_ended(batch_from_jobs(manifest, states))
        return iter_results(self._core, s3, manifest, states)


def _put_manifest(s3: Any, manifest: BatchManifest) -> None:
    """Written last: a batch whose manifest exists has all its jobs created."""
    ref = manifest.ref
    put_object(
        s3, ref.bucket, ref.manifest_key, manifest.to_json(), content_type="application/json"
    )


def _unseen(refs: Iterable[BatchRef], seen: set[BatchRef]) -> Iterator[BatchRef]:
    """The refs not met on an earlier page (a batch's jobs can span pages)."""
    for ref in refs:
        if ref not in seen:
            seen.add(ref)
            yield ref
