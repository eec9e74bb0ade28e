"""``messages.create_many``: many on-demand calls, as fast as the model's quota allows,
results one per request, never aborting on a request's error.

Each request is either ``create``'s keywords (``{"model": ..., "max_tokens": ...,
"messages": [...]}``) or a Message Batches request (``{"custom_id": ..., "params": {...}}``),
so the same list can go to ``messages.batches.create`` (half the price, up to a day) or
here (now). Each result is a :class:`~..types.batches.MessageBatchIndividualResponse`, as
``batches.results()`` gives: ``succeeded`` with the message, or ``errored`` with Bedrock's
error type and message. Results come in input order (``ordered=False``: as they finish).

Concurrency: the client's adaptive limiter (``throughput="adaptive"``; a client without it
gets an adaptive copy sharing its connections), so the calls in flight follow what the
model's quota lets through; ``concurrency=N`` fixes N calls in flight instead, without the
limiter. Workers wait on the limiter, not on Bedrock: there are more of them than calls in
flight, and the input is read only as far as they need (any length, never loaded whole).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

from .._exceptions import APIError, APIStatusError
from .._throughput import ADMITTED
from ..types.batches import (
    ErrorObject,
    ErrorResponse,
    MessageBatchErroredResult,
    MessageBatchIndividualResponse,
    MessageBatchSucceededResult,
)

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..types.message import Message

__all__ = ["acreate_many", "create_many", "errored", "split_request"]

#: Workers per client under the adaptive limiter: an upper bound on calls in flight (the
#: limiter decides how many are), threads for the sync client, tasks for the async one.
ADAPTIVE_WORKERS: Final = 64
ASYNC_ADAPTIVE_WORKERS: Final = 512


def split_request(request: Mapping[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    """``(custom_id, create keywords)`` of a request in either form (``request-N`` when a
    keywords request has no ``custom_id``)."""
    params = request.get("params")
    if isinstance(params, Mapping):
        return str(request.get("custom_id") or f"request-{index}"), dict(params)
    kwargs = dict(request)
    custom_id = kwargs.pop("custom_id", None)
    return str(custom_id or f"request-{index}"), kwargs


def errored(custom_id: str, error: BaseException) -> MessageBatchIndividualResponse:
    """A request's error as a batch result: Bedrock's error type when it answered (with its
    request id), else the exception's class (a bad keyword, a client-side check)."""
    kind = type(error).__name__
    code = None
    request_id = None
    if isinstance(error, APIError):
        kind = error.error_type or kind
        request_id = error.request_id
    if isinstance(error, APIStatusError):
        code = error.status_code
    message = error.message if isinstance(error, APIError) else str(error)
    body = ErrorResponse(
        error=ErrorObject(type=kind, message=message, bedrock_error_code=code),
        request_id=request_id,
    )
    return MessageBatchIndividualResponse(
        custom_id=custom_id, result=MessageBatchErroredResult(error=body)
    )


def _succeeded(custom_id: str, message: Message) -> MessageBatchIndividualResponse:
    result = MessageBatchSucceededResult(message=message)
    return MessageBatchIndividualResponse(custom_id=custom_id, result=result)


def _timing() -> tuple[float, list[float]]:
    """Start timing a call: now, and where the limiter notes its first admission (a context
    variable: per thread, and per task since each call runs in its own)."""
    admitted: list[float] = []
    ADMITTED.set(admitted)
    return time.perf_counter(), admitted


def _timed(
    result: MessageBatchIndividualResponse, started: float, admitted: list[float]
) -> MessageBatchIndividualResponse:
    first = admitted[0] if admitted else started
    result._queued = first - started
    result._elapsed = time.perf_counter() - first
    return result


def _limited(client: Any, concurrency: int | None) -> tuple[Any, int]:
    """The client the calls go through, and how many workers."""
    if concurrency is not None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, got {concurrency}")
        fixed = client.with_options(throughput=None) if client._sender.gate else client
        return fixed, concurrency
    adaptive = client if client._sender.gate else client.with_options(throughput="adaptive")
    return adaptive, 0


def create_many(
    client: AnthropicBedrock,
    requests: Iterable[Mapping[str, Any]],
    *,
    concurrency: int | None = None,
    ordered: bool = True,
) -> Iterator[MessageBatchIndividualResponse]:
    """See the module docstring (sync: a thread pool)."""
    runner, workers = _limited(client, concurrency)
    workers = workers or ADAPTIVE_WORKERS
    numbered = enumerate(requests)

    def one(index: int, request: Mapping[str, Any]) -> MessageBatchIndividualResponse:
        custom_id, kwargs = split_request(request, index)
        started, admitted = _timing()
        try:
            result = _succeeded(custom_id, runner.messages.create(**kwargs))
        except Exception as error:  # kept in the results, never aborting the run
            result = errored(custom_id, error)
        return _timed(result, started, admitted)

    pool = ThreadPoolExecutor(workers, thread_name_prefix="create_many")
    pending: deque[Future[MessageBatchIndividualResponse]] = deque()
    try:
        for index, request in itertools.islice(numbered, 2 * workers):
            pending.append(pool.submit(one, index, request))
        while pending:
            done = pending.popleft() if ordered else _first_done(pending)
            result = done.result()
            for index, request in itertools.islice(numbered, 1):
                pending.append(pool.submit(one, index, request))
            yield result
    finally:  # stopped early (break, Ctrl-C): calls not started are dropped, not sent
        pool.shutdown(wait=False, cancel_futures=True)


def _first_done(
    pending: deque[Future[MessageBatchIndividualResponse]],
) -> Future[MessageBatchIndividualResponse]:
    from concurrent.futures import FIRST_COMPLETED, wait

    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
    first = next(f for f in pending if f in finished)
    pending.remove(first)
    return first


async def acreate_many(
    client: AsyncAnthropicBedrock,
    requests: Iterable[Mapping[str, Any]],
    *,
    concurrency: int | None = None,
    ordered: bool = True,
) -> AsyncIterator[MessageBatchIndividualResponse]:
    """Async :func:`create_many` (tasks on the running loop)."""
    runner, workers = _limited(client, concurrency)
    workers = workers or ASYNC_ADAPTIVE_WORKERS
    numbered = enumerate(requests)

    async def one(index: int, request: Mapping[str, Any]) -> MessageBatchIndividualResponse:
        custom_id, kwargs = split_request(request, index)
        started, admitted = _timing()
        try:
            result = _succeeded(custom_id, await runner.messages.create(**kwargs))
        except Exception as error:
            result = errored(custom_id, error)
        return _timed(result, started, admitted)

    pending: deque[asyncio.Task[MessageBatchIndividualResponse]] = deque()
    try:
        for index, request in itertools.islice(numbered, 2 * workers):
            pending.append(asyncio.ensure_future(one(index, request)))
        while pending:
            if ordered:
                done = pending.popleft()
                result = await done
            else:
                finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                done = next(t for t in pending if t in finished)
                pending.remove(done)
                result = done.result()
            for index, request in itertools.islice(numbered, 1):
                pending.append(asyncio.ensure_future(one(index, request)))
            yield result
    finally:
        for task in pending:
            task.cancel()
