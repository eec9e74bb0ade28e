"""``AsyncAnthropicBedrock().messages.batches``: :class:`~.batches.Batches` for asyncio.

Control-plane calls go through the async sender (a batch's jobs are asked about
concurrently); S3 work, which botocore does blocking, runs in worker threads, and
``create`` takes async iterables of requests too.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import APIStatusError
from .._s3_errors import S3BucketNotFoundError, S3ObjectNotFoundError
from ..types.batches import (
    BATCH_ACTIVE_STATUSES,
    BatchCostEstimate,
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
from ._batch_cost import estimate_cost
from ._batch_layout import BatchManifest, BatchRef, batch_from_jobs, decode_batch_id, job_from_wire
from ._batch_results import iter_results
from ._batch_write import BatchWriter

if TYPE_CHECKING:
    from .._client import AsyncAnthropicBedrock

__all__ = ["AsyncBatches"]


class AsyncBatches:
    """Asynchronous ``client.messages.batches``; S3 work runs in worker threads."""

    def __init__(self, client: AsyncAnthropicBedrock, s3: S3Options | None = None) -> None:
        self._client = client
        self._s3 = s3 or S3Options(client._core)

    def with_s3(
        self,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        credentials: tuple[str, str, str | None] | None = None,
        profile: str | None = None,
    ) -> AsyncBatches:
        """See :meth:`Batches.with_s3`."""
        options = S3Options(self._client._core, client=client, endpoint_url=endpoint_url,
                             region=region, credentials=credentials, profile=profile)  # fmt: skip
        return type(self)(self._client, options)

    async def _call(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        core = self._client._core
        response = await self._client._sender.send(method, core.url("control", path), body)
        data: dict[str, Any] = response.json() if response.content else {}
        return data

    async def _jobs(self, manifest: BatchManifest) -> list[BedrockBatchJob]:
        import asyncio

        answers = await asyncio.gather(
            *(self._call("GET", job_path(entry.arn)) for entry in manifest.jobs)
        )
        return [job_from_wire(a, e) for a, e in zip(answers, manifest.jobs, strict=True)]

    async def _load_manifest(self, batch_id: str) -> tuple[Any, BatchManifest]:
        import asyncio

        s3 = await asyncio.to_thread(self._s3.client)
        return s3, await asyncio.to_thread(read_manifest, s3, decode_batch_id(batch_id))

    async def create(
        self,
        *,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        bucket: str,
        role_arn: str,
        prefix: str | None = None,
        model: str | None = None,
        job_name: str | None = None,
        timeout_hours: int | None = None,
        records_per_job: int | None = None,
        min_records_per_job: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> MessageBatch:
        """See :meth:`Batches.create`; ``requests`` may also be an async iterable."""
        import asyncio

        s3 = await asyncio.to_thread(self._s3.client)
        limits = batch_limits(records_per_job, min_records_per_job)
        writer, token = start_writer(
            self._client._core, s3, bucket, prefix, role_arn, limits, model
        )
        try:
            await _feed(writer, requests)
            manifest = await asyncio.to_thread(finish_manifest, writer, role_arn, job_name,
                                               timeout_hours)  # fmt: skip
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        await self._submit(manifest, token, s3, tags)
        return await self.retrieve(manifest.ref.id)

    async def _submit(
        self, manifest: BatchManifest, token: str, s3: Any, tags: Mapping[str, str] | None
    ) -> None:
        import asyncio

        from .._s3 import put_object

        try:
            for entry in manifest.jobs:
                answer = await self._call("POST", "/model-invocation-job",
                                          create_body(manifest, entry, token, tags))  # fmt: skip
                entry.arn = str(answer["jobArn"])
            ref = manifest.ref
            body = manifest.to_json()
            await asyncio.to_thread(put_object, s3, ref.bucket, ref.manifest_key, body,
                                    content_type="application/json")  # fmt: skip
        except BaseException:
            for entry in manifest.jobs:
                if entry.arn:
                    await self._stop_quietly(entry.arn)
            raise

    async def _stop_quietly(self, arn: str) -> None:
        with contextlib.suppress(APIStatusError):
            await self._call("POST", job_path(arn, "/stop"))

    async def retrieve(self, batch_id: str) -> MessageBatch:
        """See :meth:`Batches.retrieve` (the jobs are asked concurrently)."""
        _, manifest = await self._load_manifest(batch_id)
        return batch_from_jobs(manifest, await self._jobs(manifest))

    async def list(self, *, limit: int = 20) -> list[MessageBatch]:
        """See :meth:`Batches.list`."""
        found: list[MessageBatch] = []
        async for ref in self._refs():
            if len(found) >= limit:
                break
            with contextlib.suppress(S3ObjectNotFoundError, S3BucketNotFoundError):
                found.append(await self.retrieve(ref.id))
        return found

    async def _refs(self) -> AsyncIterator[BatchRef]:
        seen: set[BatchRef] = set()
        token: str | None = None
        while True:
            page = await self._call("GET", list_path(token))
            for ref in folders(page.get("invocationJobSummaries") or []):
                if ref not in seen:
                    seen.add(ref)
                    yield ref
            token = page.get("nextToken")
            if not token:
                return

    async def cancel(self, batch_id: str) -> MessageBatch:
        """See :meth:`Batches.cancel`."""
        batch = await self.retrieve(batch_id)
        for job in batch.jobs:
            if job.status in BATCH_ACTIVE_STATUSES and job.status != "Stopping":
                await self._stop_quietly(job.job_arn)
        return await self.retrieve(batch_id)

    async def results(self, batch_id: str) -> AsyncIterator[MessageBatchIndividualResponse]:
        """See :meth:`Batches.results`: an async iterator, read in a worker thread."""
        s3, manifest = await self._load_manifest(batch_id)
        states = await self._jobs(manifest)
        check_ended(batch_from_jobs(manifest, states))
        return _athread(iter_results(self._client._core, s3, manifest, states))

    def estimate(
        self, requests: Iterable[Mapping[str, Any]], *, model: str | None = None
    ) -> BatchCostEstimate:
        """See :meth:`Batches.estimate` (no I/O: synchronous)."""
        return estimate_cost(self._client._core, requests, model)


async def _feed(
    writer: BatchWriter,
    requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
) -> None:
    """Hand requests to the writer in slices, each written in a worker thread."""
    import asyncio

    if not isinstance(requests, AsyncIterable):
        await asyncio.to_thread(_add_all, writer, requests)
        return
    chunk: list[Mapping[str, Any]] = []
    async for request in requests:
        chunk.append(request)
        if len(chunk) >= 1000:
            await asyncio.to_thread(_add_all, writer, chunk)
            chunk = []
    if chunk:
        await asyncio.to_thread(_add_all, writer, chunk)


def _add_all(writer: BatchWriter, requests: Iterable[Mapping[str, Any]]) -> None:
    for request in requests:
        writer.add(request)


async def _athread(
    items: Iterator[MessageBatchIndividualResponse],
) -> AsyncIterator[MessageBatchIndividualResponse]:
    """An async iterator over a blocking one, 500 items per worker-thread hop."""
    import asyncio

    def take() -> list[MessageBatchIndividualResponse]:
        return [item for _, item in zip(range(500), items, strict=False)]

    try:
        while True:
            chunk = await asyncio.to_thread(take)
            if not chunk:
                return
            for item in chunk:
                yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
