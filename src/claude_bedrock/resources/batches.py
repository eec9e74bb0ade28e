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

The operations are written once, without I/O, in :mod:`._batch_flow`; :class:`Batches`
drives them with blocking calls and :class:`AsyncBatches` with awaits (S3 work, which
botocore does blocking, in worker threads; a batch's jobs asked about concurrently).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, Unpack, cast

from ..types.batches import BatchCostEstimate, MessageBatch, MessageBatchIndividualResponse
from ._batch_answers import read_answer
from ._batch_common import BatchNotEndedError, S3Options
from ._batch_cost import estimate_cost
from ._batch_flow import (
    BatchCreateOptions,
    BatchFlows,
    Blocking,
    Call,
    CallAll,
    Effect,
    Flow,
    Steps,
)
from ._batch_write import BatchTooSmallError, BatchWriter
from ._raw import RawResponses

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock

    pass

__all__ = [
    "AsyncBatches",
    "BatchCreateOptions",
    "Batches",
    "BatchNotEndedError",
    "BatchTooSmallError",
]

T = TypeVar("T")
_Request = Mapping[str, Any]


class _HasCore(Protocol):
    _core: Any


class _BatchesBase(RawResponses):
    """What needs no I/O: construction, :meth:`with_s3` and :meth:`estimate`."""

    _client: _HasCore

    def __init__(self, client: _HasCore, s3: S3Options | None = None) -> None:
        self._client = client
        self._s3 = s3 or S3Options(client._core)
        self._flows = BatchFlows(client._core, self._s3)

    def with_s3(
        self,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        credentials: tuple[str, str, str | None] | None = None,
        profile: str | None = None,
    ) -> Self:
        """The same API reaching S3 another way: a botocore/boto3 S3 ``client``, or an
        endpoint, region, ``(access_key, secret_key, token)`` or profile for a new one."""
        options = S3Options(self._client._core, client=client, endpoint_url=endpoint_url,
                             region=region, credentials=credentials, profile=profile)  # fmt: skip
        return type(self)(self._client, options)

    def estimate(
        self, requests: Iterable[_Request], *, model: str | None = None
    ) -> BatchCostEstimate:
        """What ``create`` with these requests would cost at most, at batch prices (no I/O)."""
        return estimate_cost(self._client._core, requests, model)


class Batches(_BatchesBase):
    """Synchronous ``client.messages.batches``."""

    _client: AnthropicBedrock

    def create(
        self,
        *,
        requests: Iterable[_Request],
        bucket: str,
        role_arn: str,
        **options: Unpack[BatchCreateOptions],
    ) -> MessageBatch:
        """Write ``requests`` to S3 as Bedrock batch input and start the job(s).

        Each request is ``{"custom_id": str, "params": {...}}`` with the keyword arguments
        of ``messages.create`` in ``params`` (``model`` may be left out if ``model=`` is
        given). ``bucket`` is ``"s3://bucket/prefix"`` (or a bucket name and ``prefix=``);
        the batch gets its own folder under it. ``role_arn`` is the service role Bedrock
        assumes to read and write there. ``records_per_job`` lowers the per-job record
        limit; ``min_records_per_job`` matches an adjusted Bedrock quota; ``tags`` are
        put on every job; ``job_name`` and ``timeout_hours`` are passed to Bedrock.
        """
        return self._run(self._flows.create(requests, bucket, role_arn, options))

    def retrieve(self, batch_id: str) -> MessageBatch:
        """The batch's state, from its manifest and each job's GetModelInvocationJob."""
        return self._run(self._flows.retrieve(batch_id))

    def list(self, *, limit: int = 20) -> list[MessageBatch]:
        """The most recent batches of this library (newest first), at most ``limit``.

        Batches whose folder was deleted from S3 are skipped.
        """
        return self._run(self._flows.list(limit))

    def cancel(self, batch_id: str) -> MessageBatch:
        """Stop every job of the batch that is still running (StopModelInvocationJob)."""
        return self._run(self._flows.cancel(batch_id))

    def results(self, batch_id: str) -> Iterator[MessageBatchIndividualResponse]:
        """One result per request, in input order, streamed (the batch must have ended)."""
        return self._run(self._flows.results(batch_id))

    # -- the driver ------------------------------------------------------------------------

    def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow``: do each effect it yields, send back the result or throw the error."""
        steps = Steps(flow)
        while (effect := steps.next()) is not None:
            try:
                steps.answer(self._do(effect))
            except BaseException as exc:  # the flow decides (it may clean up and re-raise)
                steps.fail(exc)
        return steps.result

    def _do(self, effect: Effect) -> Any:
        if isinstance(effect, Call):
            return self._call(effect)
        if isinstance(effect, CallAll):
            return [self._call(call) for call in effect.calls]
        if isinstance(effect, Blocking):
            return effect.fn()
        return _add_all(effect.writer, cast(Iterable[_Request], effect.requests))

    def _call(self, call: Call) -> dict[str, Any]:
        url = self._client._core.url("control", call.path)
        response = self._client._sender.send(call.method, url, call.body)
        return read_answer(call.method, call.path, response)


class AsyncBatches(_BatchesBase):
    """Asynchronous ``client.messages.batches``; S3 work runs in worker threads."""

    _client: AsyncAnthropicBedrock

    async def create(
        self,
        *,
        requests: Iterable[_Request] | AsyncIterable[_Request],
        bucket: str,
        role_arn: str,
        **options: Unpack[BatchCreateOptions],
    ) -> MessageBatch:
        """See :meth:`Batches.create`; ``requests`` may also be an async iterable."""
        return await self._run(self._flows.create(requests, bucket, role_arn, options))

    async def retrieve(self, batch_id: str) -> MessageBatch:
        """See :meth:`Batches.retrieve` (the jobs are asked concurrently)."""
        return await self._run(self._flows.retrieve(batch_id))

    async def list(self, *, limit: int = 20) -> list[MessageBatch]:
        """See :meth:`Batches.list`."""
        return await self._run(self._flows.list(limit))

    async def cancel(self, batch_id: str) -> MessageBatch:
        """See :meth:`Batches.cancel`."""
        return await self._run(self._flows.cancel(batch_id))

    async def results(self, batch_id: str) -> AsyncIterator[MessageBatchIndividualResponse]:
        """See :meth:`Batches.results`: an async iterator, read in a worker thread."""
        return _athread(await self._run(self._flows.results(batch_id)))

    # -- the driver ------------------------------------------------------------------------

    async def _run(self, flow: Flow[T]) -> T:
        """:meth:`Batches._run` with awaits."""
        steps = Steps(flow)
        while (effect := steps.next()) is not None:
            try:
                steps.answer(await self._do(effect))
            except BaseException as exc:  # cancellation too: the flow cleans up, re-raises
                steps.fail(exc)
        return steps.result

    async def _do(self, effect: Effect) -> Any:
        import asyncio  # here, not at the top: the sync client never needs it

        if isinstance(effect, Call):
            return await self._call(effect)
        if isinstance(effect, CallAll):
            return await asyncio.gather(*(self._call(call) for call in effect.calls))
        if isinstance(effect, Blocking):
            return await asyncio.to_thread(effect.fn)
        return await _feed(effect.writer, effect.requests)

    async def _call(self, call: Call) -> dict[str, Any]:
        url = self._client._core.url("control", call.path)
        response = await self._client._sender.send(call.method, url, call.body)
        return read_answer(call.method, call.path, response)


async def _feed(
    writer: BatchWriter, requests: Iterable[_Request] | AsyncIterable[_Request]
) -> None:
    """Hand requests to the writer in slices, each written in a worker thread."""
    import asyncio

    if not isinstance(requests, AsyncIterable):
        await asyncio.to_thread(_add_all, writer, requests)
        return
    chunk: list[_Request] = []
    async for request in requests:
        chunk.append(request)
        if len(chunk) >= 1000:
            await asyncio.to_thread(_add_all, writer, chunk)
            chunk = []
    if chunk:
        await asyncio.to_thread(_add_all, writer, chunk)


def _add_all(writer: BatchWriter, requests: Iterable[_Request]) -> None:
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
