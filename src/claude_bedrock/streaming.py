"""Streaming: ``messages.create(stream=True)`` and ``messages.stream(...)``.

``create(stream=True)`` returns a :class:`Stream` (:class:`AsyncStream`): an iterator of
the raw typed events. ``messages.stream(...)`` returns a :class:`MessageStreamManager`
whose ``with`` block sends the request and gives a :class:`MessageStream` with the
Anthropic SDK's helpers (``text_stream``, ``get_final_message()``, ``get_final_text()``,
``until_done()``, ``current_message_snapshot``, helper events such as ``text``).

Opening a stream reads it up to its first event: a failure before it (an error status, a
reset, a timeout, a ``throttlingException`` frame) is raised by ``create`` / the ``with``
statement, after the retries it allows (:mod:`._retry`). After the first event a stream is
never sent again: its errors are raised while iterating.

Both accumulate the message as events arrive, so what was received before a failure stays
readable (``current_message_snapshot``) after the error is raised: an exception frame in
the stream (``throttlingException``...) raises its error class, a corrupt frame
:class:`APIResponseValidationError`, a connection lost mid-stream
:class:`APIConnectionError` (also when the body ends before ``message_stop``).

Closing a stream (``close()``, leaving the ``with`` block, or dropping the object) closes
the HTTP response: a half-read connection cannot be reused, so httpx discards it instead
of returning it to the pool. The iteration generators never refer to the stream object,
so a dropped stream is closed by reference counting at once, not by a later GC pass.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import httpx

from ._stream_accumulate import Accumulator
from ._stream_decode import invoke_pipeline
from ._stream_iter import (
    REQUEST_ID,
    AsyncReader,
    Primed,
    SyncReader,
    aexpand,
    aprime,
    arun,
    atexts,
    expand,
    final_text,
    finisher,
    prime,
    run,
    texts,
)
from ._stream_pipeline import Relay
from ._tracing import opened_stream
from .resources._params import PreparedCall, model_path
from .types.message import Message
from .types.stream_events import MessageStreamEvent, RawMessageStreamEvent
from .wire import eventstream

if TYPE_CHECKING:
    from ._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ._stream_pipeline import Pipeline

__all__ = [
    "AsyncMessageStream",
    "AsyncMessageStreamManager",
    "AsyncStream",
    "MessageStream",
    "MessageStreamManager",
    "Stream",
    "aopen_stream",
    "open_stream",
]

EVENTSTREAM = eventstream.CONTENT_TYPE


def _stream_url(client: AnthropicBedrock | AsyncAnthropicBedrock, call: PreparedCall) -> str:
    model_id = call.resolved.model_id
    path = model_path(model_id, "invoke-with-response-stream")
    return client._core.url("runtime", path) + call.query


def _prime(response: httpx.Response) -> Primed[Iterator[bytes]]:
    return prime(invoke_pipeline(response), response)


async def _aprime(response: httpx.Response) -> Primed[AsyncIterator[bytes]]:
    return await aprime(invoke_pipeline(response), response)


def open_stream(
    client: AnthropicBedrock, call: PreparedCall, *, timeout: float | httpx.Timeout | None = None
) -> Stream:
    """Send an InvokeModelWithResponseStream call and read it up to its first event.

    Errors before that event (an error status, a reset, a timeout, an exception frame) are
    raised here, after the retries they allow: nothing has reached the caller yet.
    """
    response, primed = client._sender.send_stream(
        "POST", _stream_url(client, call), call.encode(), _prime,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return Stream(response, call, primed)


async def aopen_stream(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    timeout: float | httpx.Timeout | None = None,
) -> AsyncStream:
    """Async :func:`open_stream`."""
    response, primed = await client._sender.send_stream(
        "POST", _stream_url(client, call), call.encode(), _aprime,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return AsyncStream(response, call, primed)


# --------------------------------------------------------------------------- raw streams


class _StreamBase:
    """What the raw and helper streams, sync and async, all expose."""

    response: httpx.Response
    _accumulator: Accumulator
    _generators: tuple[Any, ...]

    def _attach(self, response: httpx.Response, pipeline: Pipeline[Any, Any] | Relay[Any],
                call: PreparedCall | None) -> None:  # fmt: skip
        self.response = response
        accumulator = pipeline.sink
        assert isinstance(accumulator, Accumulator)
        accumulator._finish = finisher(response, call)
        self._accumulator = accumulator

    @property
    def request_id(self) -> str | None:
        """Bedrock's ``x-amzn-RequestId`` for this call."""
        request_id: str | None = self.response.headers.get(REQUEST_ID)
        return request_id

    @property
    def invocation_metrics(self) -> dict[str, Any] | None:
        """Bedrock's ``amazon-bedrock-invocationMetrics`` (set once ``message_stop`` arrived)."""
        return self._accumulator.invocation_metrics

    @property
    def current_message_snapshot(self) -> Message:
        """The message accumulated so far (all of it after the end, or after an error)."""
        snapshot = self._accumulator.snapshot
        if snapshot is None:
            if self._accumulator.error is not None:
                raise self._accumulator.error
            raise RuntimeError("no message_start event has been received yet")
        return snapshot

    def _final_message(self) -> Message:
        message = self.current_message_snapshot
        if message._request_id is None:  # a partial message (the stream failed)
            self._accumulator.finish(message)
        return message


class _RawStream(_StreamBase):
    """How :class:`Stream` and :class:`AsyncStream` start: the same, with their driver."""

    _drive: ClassVar[Callable[..., Any]]  # _stream_iter.run or arun
    _body: ClassVar[Callable[..., Any]]  # iter_bytes or aiter_bytes

    def __init__(
        self, response: httpx.Response, call: PreparedCall | None = None,
        primed: Primed[Any] | None = None,
    ) -> None:  # fmt: skip
        if primed is None:
            primed = Primed(invoke_pipeline(response), type(self)._body(response))
        self._start(response, primed.pipeline, primed.chunks, call)

    @classmethod
    def from_events(
        cls, response: httpx.Response, events: Any, call: PreparedCall | None = None
    ) -> Self:
        """A stream of events decoded elsewhere (the Converse translation): same helpers.

        ``events``: an iterator (an async iterator for :class:`AsyncStream`) of raw events.
        """
        stream = cls.__new__(cls)
        stream._start(response, Relay(Accumulator(response=response), response), events, call)
        return stream

    def _start(
        self, response: httpx.Response, stage: Pipeline[Any, Any] | Relay[Any], items: Any,
        call: PreparedCall | None,
    ) -> None:  # fmt: skip
        self._attach(response, stage, call)
        self._iterator = self._source = type(self)._drive(stage, items, response)
        self._generators = (self._iterator,)


class Stream(_RawStream, SyncReader[RawMessageStreamEvent]):
    """The raw events of a streamed call (``messages.create(stream=True)``)."""

    _drive = staticmethod(run)
    _body = staticmethod(httpx.Response.iter_bytes)


class AsyncStream(_RawStream, AsyncReader[RawMessageStreamEvent]):
    """The raw events of a streamed call, for ``async for``."""

    _drive = staticmethod(arun)
    _body = staticmethod(httpx.Response.aiter_bytes)


# --------------------------------------------------------------------------- helper streams


class _HelperStream(_StreamBase):
    """How :class:`MessageStream` and :class:`AsyncMessageStream` wrap a raw stream.

    Iterating it, ``text_stream`` and ``until_done()`` all read the same underlying
    stream: each event is consumed once, by whichever reads first.
    """

    _expand: ClassVar[Callable[..., Any]]  # _stream_iter.expand or aexpand
    _texts: ClassVar[Callable[..., Any]]  # _stream_iter.texts or atexts

    def __init__(self, stream: Stream | AsyncStream) -> None:
        self.response = stream.response
        self._accumulator = stream._accumulator
        self._source = stream._iterator
        self._iterator = type(self)._expand(self._source, self._accumulator.expand)
        #: The text deltas only (the other events still go into the final message).
        self.text_stream = type(self)._texts(self._source)
        self._generators = (self._iterator, self.text_stream, self._source)


class MessageStream(_HelperStream, SyncReader[MessageStreamEvent]):
    """A streamed call with the Anthropic SDK's helpers (from ``messages.stream``)."""

    _expand = staticmethod(expand)
    _texts = staticmethod(texts)
    text_stream: Generator[str]

    def get_final_message(self) -> Message:
        """Read to the end and return the accumulated message, with cost and request id.

        If the stream failed, the first call raises the error; later calls return the
        partial message (as the Anthropic SDK does; ``stop_reason`` is then None).
        """
        self.until_done()
        return self._final_message()

    def get_final_text(self) -> str:
        """All the text blocks of the final message, joined."""
        return final_text(self.get_final_message())


class AsyncMessageStream(_HelperStream, AsyncReader[MessageStreamEvent]):
    """Async :class:`MessageStream` (``async for``, ``async with``)."""

    _expand = staticmethod(aexpand)
    _texts = staticmethod(atexts)
    text_stream: AsyncGenerator[str]

    async def get_final_message(self) -> Message:
        """Async :meth:`MessageStream.get_final_message`."""
        await self.until_done()
        return self._final_message()

    async def get_final_text(self) -> str:
        """All the text blocks of the final message, joined."""
        return final_text(await self.get_final_message())


# --------------------------------------------------------------------------- managers


def _converse(client: Any, call: PreparedCall, timeout: Any, sync: bool) -> Any:
    """``api="converse"``: the Converse module sends the call and returns a (async) stream.

    Imported by name: that module is optional here and may import this one.
    """
    converse = import_module(".converse", __package__)
    function = converse.messages_via_converse if sync else converse.amessages_via_converse
    return function(client, call, stream=True, timeout=timeout)


class _Manager:
    """What ``messages.stream(...)`` returns: the request is sent when the block is entered."""

    def __init__(
        self,
        client: Any,
        call: PreparedCall,
        *,
        timeout: float | httpx.Timeout | None = None,
        api: Literal["invoke", "converse"] = "invoke",
    ) -> None:
        self._client = client
        self._call = call
        self._timeout = timeout
        self._api = api
        self._stream: Any = None
        #: ``fallbacks=``: the requested model, then (model, prepared call) of each fallback,
        #: tried in turn on entering after a capacity error (``resources._fallbacks``).
        self._model = ""
        self._fallbacks: list[tuple[str, PreparedCall]] = []

    def _opener(self) -> Any:
        """:meth:`_open`, or with fallbacks the same over each model's call in turn."""
        if not self._fallbacks:
            return self._open
        from .resources._fallbacks import open_with_fallbacks

        return partial(open_with_fallbacks, self)

    def _open(self, sync: bool) -> Any:
        """The raw stream (a coroutine of it for the async client)."""
        if self._api == "converse":
            return _converse(self._client, self._call, self._timeout, sync)
        opener = open_stream if sync else aopen_stream
        return opener(self._client, self._call, timeout=self._timeout)


class MessageStreamManager(_Manager):
    """What ``messages.stream(...)`` returns: the request is sent when the block is entered.

    ::

        with client.messages.stream(model=..., max_tokens=..., messages=...) as stream:
            for text in stream.text_stream:
                print(text, end="", flush=True)
        message = stream.get_final_message()
    """

    _client: AnthropicBedrock

    def __enter__(self) -> MessageStream:
        opened = opened_stream(self._client, self._call, self._opener(), sync=True)
        self._stream = MessageStream(opened)
        return self._stream  # type: ignore[no-any-return]

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncMessageStreamManager(_Manager):
    """Async :class:`MessageStreamManager` (``async with``)."""

    _client: AsyncAnthropicBedrock

    async def __aenter__(self) -> AsyncMessageStream:
        opened = opened_stream(self._client, self._call, self._opener(), sync=False)
        self._stream = AsyncMessageStream(await opened)
        return self._stream  # type: ignore[no-any-return]

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            await self._stream.close()
