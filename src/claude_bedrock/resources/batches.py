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
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import APIStatusError
from .._s3 import put_object
from .._s3_errors import S3BucketNotFoundError, S3ObjectNotFoundError
from ..types.batches import (
    BATCH_ACTIVE_STATUSES,
    BatchCostEstimate,
    BedrockBatchJob,
    MessageBatch,
    MessageBatchIndividualResponse,
)
from ._batch_async import AsyncBatches
from ._batch_common import (
    BatchNotEndedError,
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
from ._batch_layout import (
    BatchManifest,
    BatchRef,
    JobEntry,
    batch_from_jobs,
    decode_batch_id,
    job_from_wire,
)
from ._batch_results import iter_results
from ._batch_write import BatchTooSmallError

if TYPE_CHECKING:
    from .._client import AnthropicBedrock

__all__ = ["AsyncBatches", "Batches", "BatchNotEndedError", "BatchTooSmallError"]


class Batches:
    """Synchronous ``client.messages.batches``."""

    def __init__(self, client: AnthropicBedrock, s3: S3Options | None = None) -> None:
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
    ) -> Batches:
        """The same API reaching S3 another way: a botocore/boto3 S3 ``client``, or an
        endpoint, region, ``(access_key, secret_key, token)`` or profile for a new one."""
        options = S3Options(self._client._core, client=client, endpoint_url=endpoint_url,
                             region=region, credentials=credentials, profile=profile)  # fmt: skip
        return type(self)(self._client, options)

    # -- control plane -------------------------------------------------------------------

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        core = self._client._core
        response = self._client._sender.send(method, core.url("control", path), body)
        data: dict[str, Any] = response.json() if response.content else {}
        return data

    def _job(self, entry: JobEntry) -> BedrockBatchJob:
        return job_from_wire(self._call("GET", job_path(entry.arn)), entry)

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
        limits = batch_limits(records_per_job, min_records_per_job)
        writer, token = start_writer(
            self._client._core, s3, bucket, prefix, role_arn, limits, model
        )
        try:
            for request in requests:
                writer.add(request)
            manifest = finish_manifest(writer, role_arn, job_name, timeout_hours)
        except BaseException:
            writer.abort()
            raise
        self._submit(manifest, token, tags)
        return self.retrieve(manifest.ref.id)

    def _submit(self, manifest: BatchManifest, token: str, tags: Mapping[str, str] | None) -> None:

        try:
            for entry in manifest.jobs:
                answer = self._call("POST", "/model-invocation-job",
                                    create_body(manifest, entry, token, tags))  # fmt: skip
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
            self._call("POST", job_path(arn, "/stop"))

    def retrieve(self, batch_id: str) -> MessageBatch:
        """The batch's state, from its manifest and each job's GetModelInvocationJob."""
        manifest = read_manifest(self._s3.client(), decode_batch_id(batch_id))
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
            page = self._call("GET", list_path(token))
            for ref in folders(page.get("invocationJobSummaries") or []):
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
        manifest = read_manifest(s3, decode_batch_id(batch_id))
        states = [self._job(entry) for entry in manifest.jobs]
        check_ended(batch_from_jobs(manifest, states))
        return iter_results(self._client._core, s3, manifest, states)

    def estimate(
        self, requests: Iterable[Mapping[str, Any]], *, model: str | None = None
    ) -> BatchCostEstimate:
        """What ``create`` with these requests would cost at most, at batch prices."""
        return estimate_cost(self._client._core, requests, model)
