"""``client.messages.batches``: the Message Batches API over Bedrock batch inference.

The Anthropic SDK refuses batches on Bedrock; Bedrock has its own batch service instead
(JSONL in S3, ``CreateModelInvocationJob``, results in S3, half the on-demand price).
This module puts the Message Batches interface on it:

* ``create(requests=..., bucket=..., role_arn=...)`` streams the requests into Bedrock's
  input format in S3 and starts the jobs. Bedrock runs one model per job and caps records
  and bytes per job, so one batch may become several jobs (grouped by model, split at the
  catalogue's limits); each model needs at least the catalogue's minimum records per job
  (100 by default; Bedrock refuses smaller jobs). Requests are any iterable, consumed
  once, never held in memory.
* ``retrieve``, ``list``, ``cancel`` (``StopModelInvocationJob`` on every running job).
* ``results(id)`` yields one result per request, **in input order**, including requests
  that Bedrock (or this client, before sending) refused, with flat memory.

A batch is a folder in S3 (see :mod:`._batch_layout`); its ID encodes where, so nothing
is kept locally. S3 is reached with botocore, as the client's identity by default (its
explicit keys or profile, else the default chain) at ``AWS_ENDPOINT_URL_S3`` if set;
:meth:`Batches.with_s3` chooses another endpoint, identity or S3 client.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .._exceptions import APIStatusError, ClientValidationError
from .._s3 import get_object, s3_client
from .._s3_errors import S3BucketNotFoundError, S3ObjectNotFoundError
from ..types.batches import (
    BATCH_ACTIVE_STATUSES,
    BatchCostEstimate,
    BedrockBatchJob,
    MessageBatch,
    MessageBatchIndividualResponse,
)
from ._batch_cost import estimate_cost
from ._batch_layout import (
    BatchManifest,
    BatchRef,
    JobEntry,
    batch_folder,
    batch_from_jobs,
    decode_batch_id,
    job_from_wire,
    job_name,
    new_token,
)
from ._batch_results import iter_results
from ._batch_write import BatchTooSmallError, BatchWriter, Limits

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock

__all__ = ["AsyncBatches", "Batches", "BatchNotEndedError", "BatchTooSmallError"]

_LIST_PAGE = 1000


class BatchNotEndedError(ClientValidationError):
    """Results were asked for while the batch is still running."""


class _S3Options:
    """How to reach S3; the botocore client is built on first use and then shared."""

    def __init__(self, core: Any, **options: Any) -> None:
        self._core = core
        self._options = options
        self._client: Any = options.pop("client", None)

    def client(self) -> Any:
        if self._client is None:
            core = self._core
            credentials = self._options.get("credentials")
            profile = self._options.get("profile")
            if credentials is None and profile is None and core.api_key is None:
                source = core._credentials
                if source is not None and source.method == "explicit":
                    credentials = source.get()  # the client's own keys sign S3 too
                profile = core.aws_profile
            self._client = s3_client(
                region=self._options.get("region") or core.aws_region,
                endpoint_url=self._options.get("endpoint_url"),
                credentials=credentials,
                profile=profile,
            )
        return self._client


# -- wire helpers shared by both clients ----------------------------------------------------


def _job_path(arn: str, suffix: str = "") -> str:
    return f"/model-invocation-job/{quote(arn, safe='')}{suffix}"


def _create_body(
    manifest: BatchManifest, entry: JobEntry, token: str, tags: Mapping[str, str] | None
) -> bytes:
    ref = manifest.ref
    body: dict[str, Any] = {
        "jobName": job_name(manifest.name, token, entry.index),
        "roleArn": manifest.role_arn,
        "clientRequestToken": f"{token}-{entry.index}",  # retried creates stay one job
        "modelId": entry.model_id,
        "inputDataConfig": {
            "s3InputDataConfig": {"s3Uri": ref.uri(entry.input_key), "s3InputFormat": "JSONL"}
        },
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": ref.output_uri}},
    }
    if manifest.timeout_hours is not None:
        body["timeoutDurationInHours"] = manifest.timeout_hours
    if tags:
        body["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return json.dumps(body).encode()


def _check_role(role_arn: str) -> None:
    if not isinstance(role_arn, str) or ":role/" not in role_arn:
        raise ClientValidationError(
            "role_arn must be the ARN of an IAM role Bedrock may assume to read and write the "
            f"bucket (arn:aws:iam::123456789012:role/NAME), got {role_arn!r}."
        )


def _read_manifest(s3: Any, ref: BatchRef) -> BatchManifest:
    raw = get_object(s3, ref.bucket, ref.manifest_key)
    return BatchManifest.from_json(raw, ref.uri(ref.manifest_key))


def _list_path(token: str | None) -> str:
    query = {"maxResults": str(_LIST_PAGE), "sortOrder": "Descending"}
    if token:
        query["nextToken"] = token
    return f"/model-invocation-jobs?{urlencode(query)}"


def _folders(summaries: Iterable[Mapping[str, Any]]) -> list[BatchRef]:
    """Batch folders of listed jobs, newest first, each once (jobs of other tools skipped)."""
    seen: dict[BatchRef, None] = {}
    for job in summaries:
        uri = ((job.get("inputDataConfig") or {}).get("s3InputDataConfig") or {}).get("s3Uri")
        if not isinstance(uri, str) or "/input/" not in uri or not uri.startswith("s3://"):
            continue
        bucket, _, key = uri[5:].partition("/")
        folder = key[: key.rfind("input/")]
        seen.setdefault(BatchRef(bucket, folder), None)
    return list(seen)


def _start(
    core: Any,
    s3: Any,
    bucket: str,
    prefix: str | None,
    role_arn: str,
    limits: Limits,
    model: str | None,
) -> tuple[BatchWriter, str]:
    """A writer for a new batch folder (arguments checked before anything is written)."""
    _check_role(role_arn)
    bucket_name, folder = batch_folder(bucket, prefix)
    token = new_token()
    ref = BatchRef(bucket_name, f"{folder}{token}/")
    return BatchWriter(core, s3, ref, limits, model), token


def _manifest(writer: BatchWriter, role_arn: str, name: str | None, hours: int | None) -> Any:
    from datetime import UTC, datetime

    jobs = writer.finish()
    if not jobs:
        raise ClientValidationError(
            f"None of the {writer.total} requests could be sent (every one was refused "
            "before sending); nothing was submitted."
        )
    return BatchManifest(
        bucket=writer.ref.bucket,
        folder=writer.ref.folder,
        created_at=datetime.now(UTC).isoformat(),
        total=writer.total,
        local_errors=writer.local_errors,
        role_arn=role_arn,
        timeout_hours=hours,
        name=name,
        jobs=jobs,
    )


def _limits(records_per_job: int | None, min_records_per_job: int | None) -> Limits:
    from ..catalog import Catalog

    return Limits.from_catalog(Catalog.default().batch_limits, records_per_job, min_records_per_job)


class Batches:
    """Synchronous ``client.messages.batches``."""

    def __init__(self, client: AnthropicBedrock, s3: _S3Options | None = None) -> None:
        self._client = client
        self._s3 = s3 or _S3Options(client._core)

    def with_s3(
        self,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        credentials: tuple[str, str, str | None] | None = None,
        profile: str | None = None,
    ) -> Batches:
        """The same API reaching S3 another way: a botocore/boto3 S3 ``client``, or an
        endpoint, region, ``(access_key, secret_key, token)`` or profile for a new one."""
        options = _S3Options(self._client._core, client=client, endpoint_url=endpoint_url,
                             region=region, credentials=credentials, profile=profile)  # fmt: skip
        return type(self)(self._client, options)

    # -- control plane -------------------------------------------------------------------

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        core = self._client._core
        response = self._client._sender.send(method, core.url("control", path), body)
        data: dict[str, Any] = response.json() if response.content else {}
        return data

    def _job(self, entry: JobEntry) -> BedrockBatchJob:
        return job_from_wire(self._call("GET", _job_path(entry.arn)), entry)

    # -- API -----------------------------------------------------------------------------

    def create(
        self,
        *,
        requests: Iterable[Mapping[str, Any]],
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
        """Write ``requests`` to S3 as Bedrock batch input and start the job(s).

        Each request is ``{"custom_id": str, "params": {...}}`` with the keyword arguments
        of ``messages.create`` in ``params`` (``model`` may be left out if ``model=`` is
        given). ``bucket`` is ``"s3://bucket/prefix"`` (or a bucket name and ``prefix=``);
        the batch gets its own folder under it. ``role_arn`` is the service role Bedrock
        assumes to read and write there. ``records_per_job`` lowers the per-job record
        limit; ``min_records_per_job`` matches an adjusted Bedrock quota; ``tags`` are
        put on every job.
        """
        s3 = self._s3.client()
        limits = _limits(records_per_job, min_records_per_job)
        writer, token = _start(self._client._core, s3, bucket, prefix, role_arn, limits, model)
        try:
            for request in requests:
                writer.add(request)
            manifest = _manifest(writer, role_arn, job_name, timeout_hours)
        except BaseException:
            writer.abort()
            raise
        self._submit(manifest, token, tags)
        return self.retrieve(manifest.ref.id)

    def _submit(self, manifest: BatchManifest, token: str, tags: Mapping[str, str] | None) -> None:
        from .._s3 import put_object

        try:
            for entry in manifest.jobs:
                answer = self._call("POST", "/model-invocation-job",
                                    _create_body(manifest, entry, token, tags))  # fmt: skip
                entry.arn = str(answer["jobArn"])
            ref = manifest.ref
            s3 = self._s3.client()
            put_object(s3, ref.bucket, ref.manifest_key, manifest.to_json(),
                       content_type="application/json")  # fmt: skip
        except BaseException:
            for entry in manifest.jobs:
                if entry.arn:
                    self._stop_quietly(entry.arn)
            raise

    def _stop_quietly(self, arn: str) -> None:
        with contextlib.suppress(APIStatusError):  # already ended: nothing to stop
            self._call("POST", _job_path(arn, "/stop"))

    def retrieve(self, batch_id: str) -> MessageBatch:
        """The batch's state, from its manifest and each job's GetModelInvocationJob."""
        manifest = _read_manifest(self._s3.client(), decode_batch_id(batch_id))
        return batch_from_jobs(manifest, [self._job(entry) for entry in manifest.jobs])

    def list(self, *, limit: int = 20) -> list[MessageBatch]:
        """The most recent batches of this library (newest first), at most ``limit``.

        Batches whose folder was deleted from S3 are skipped.
        """
        found: list[MessageBatch] = []
        for ref in self._refs():
            if len(found) >= limit:
                break
            with contextlib.suppress(S3ObjectNotFoundError, S3BucketNotFoundError):
                found.append(self.retrieve(ref.id))
        return found

    def _refs(self) -> Iterator[BatchRef]:
        seen: set[BatchRef] = set()
        token: str | None = None
        while True:
            page = self._call("GET", _list_path(token))
            for ref in _folders(page.get("invocationJobSummaries") or []):
                if ref not in seen:
                    seen.add(ref)
                    yield ref
            token = page.get("nextToken")
            if not token:
                return

    def cancel(self, batch_id: str) -> MessageBatch:
        """Stop every job of the batch that is still running (StopModelInvocationJob)."""
        batch = self.retrieve(batch_id)
        for job in batch.jobs:
            if job.status in BATCH_ACTIVE_STATUSES and job.status != "Stopping":
                self._stop_quietly(job.job_arn)
        return self.retrieve(batch_id)

    def results(self, batch_id: str) -> Iterator[MessageBatchIndividualResponse]:
        """One result per request, in input order, streamed (the batch must have ended)."""
        s3 = self._s3.client()
        manifest = _read_manifest(s3, decode_batch_id(batch_id))
        states = [self._job(entry) for entry in manifest.jobs]
        _check_ended(batch_from_jobs(manifest, states))
        return iter_results(self._client._core, s3, manifest, states)

    def estimate(
        self, requests: Iterable[Mapping[str, Any]], *, model: str | None = None
    ) -> BatchCostEstimate:
        """What ``create`` with these requests would cost at most, at batch prices."""
        return estimate_cost(self._client._core, requests, model)


def _check_ended(batch: MessageBatch) -> None:
    if batch.processing_status != "ended":
        raise BatchNotEndedError(
            f"Batch {batch.id} is still {batch.processing_status} ({batch.processed} of "
            f"{batch.total} requests processed); results are available once it has ended."
        )


class AsyncBatches:
    """Asynchronous ``client.messages.batches``; S3 work runs in worker threads."""

    def __init__(self, client: AsyncAnthropicBedrock, s3: _S3Options | None = None) -> None:
        self._client = client
        self._s3 = s3 or _S3Options(client._core)

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
        options = _S3Options(self._client._core, client=client, endpoint_url=endpoint_url,
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
            *(self._call("GET", _job_path(entry.arn)) for entry in manifest.jobs)
        )
        return [job_from_wire(a, e) for a, e in zip(answers, manifest.jobs, strict=True)]

    async def _manifest(self, batch_id: str) -> tuple[Any, BatchManifest]:
        import asyncio

        s3 = await asyncio.to_thread(self._s3.client)
        return s3, await asyncio.to_thread(_read_manifest, s3, decode_batch_id(batch_id))

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
        limits = _limits(records_per_job, min_records_per_job)
        writer, token = _start(self._client._core, s3, bucket, prefix, role_arn, limits, model)
        try:
            await _feed(writer, requests)
            manifest = await asyncio.to_thread(_manifest, writer, role_arn, job_name,
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
                                          _create_body(manifest, entry, token, tags))  # fmt: skip
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
            await self._call("POST", _job_path(arn, "/stop"))

    async def retrieve(self, batch_id: str) -> MessageBatch:
        """See :meth:`Batches.retrieve` (the jobs are asked concurrently)."""
        _, manifest = await self._manifest(batch_id)
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
            page = await self._call("GET", _list_path(token))
            for ref in _folders(page.get("invocationJobSummaries") or []):
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
        s3, manifest = await self._manifest(batch_id)
        states = await self._jobs(manifest)
        _check_ended(batch_from_jobs(manifest, states))
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
