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

from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import httpx

from ._stream_accumulate import Accumulator
from ._stream_iter import (
    REQUEST_ID,
    Primed,
    accumulated,
    aprime,
    async_accumulated,
    async_events,
    async_helper_events,
    async_text_deltas,
    final_text,
    finisher,
    helper_events,
    prime,
    sync_events,
    text_deltas,
)
from .resources._params import PreparedCall, model_path
from .types.message import Message
from .types.stream_events import (
    MessageStreamEvent,
    RawMessageStreamEvent,
)

if TYPE_CHECKING:
    from ._client import AnthropicBedrock, AsyncAnthropicBedrock

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

EVENTSTREAM = "application/vnd.amazon.eventstream"


def _stream_url(client: AnthropicBedrock | AsyncAnthropicBedrock, call: PreparedCall) -> str:
    model_id = call.resolved.model_id
    return client._core.url("runtime", model_path(model_id, "invoke-with-response-stream"))


def open_stream(
    client: AnthropicBedrock, call: PreparedCall, *, timeout: float | httpx.Timeout | None = None
) -> Stream:
    """Send an InvokeModelWithResponseStream call and read it up to its first event.

    Errors before that event (an error status, a reset, a timeout, an exception frame) are
    raised here, after the retries they allow: nothing has reached the caller yet.
    """
    response, primed = client._sender.send_stream(
        "POST", _stream_url(client, call), call.encode(), prime,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return Stream(response, call, primed)


async def aopen_stream(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    timeout: float | httpx.Timeout | None = None,
) -> AsyncStream:
    """Async twin of :func:`open_stream`."""
    response, primed = await client._sender.send_stream(
        "POST", _stream_url(client, call), call.encode(), aprime,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return AsyncStream(response, call, primed)


# --------------------------------------------------------------------------- raw streams


class _StreamBase:
    """What the raw and helper streams, sync and async, all expose."""

    response: httpx.Response
    _accumulator: Accumulator

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


class Stream(_StreamBase):
    """The raw events of a streamed call (``messages.create(stream=True)``)."""

    def __init__(
        self,
        response: httpx.Response,
        call: PreparedCall | None = None,
        primed: Primed[Iterator[bytes]] | None = None,
    ) -> None:
        self.response = response
        self._accumulator = Accumulator(finisher(response, call))
        self._iterator = sync_events(response, self._accumulator, primed)

    @classmethod
    def from_events(
        cls,
        response: httpx.Response,
        events: Iterator[RawMessageStreamEvent],
        call: PreparedCall | None = None,
    ) -> Stream:
        """A stream of events decoded elsewhere (the Converse translation): same helpers."""
        stream = cls.__new__(cls)
        stream.response = response
        stream._accumulator = Accumulator(finisher(response, call))
        stream._iterator = accumulated(events, response, stream._accumulator)
        return stream

    def __iter__(self) -> Iterator[RawMessageStreamEvent]:
        return self._iterator

    def __next__(self) -> RawMessageStreamEvent:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection (also done at the end of the stream)."""
        self._iterator.close()
        self.response.close()


class AsyncStream(_StreamBase):
    """The raw events of a streamed call, for ``async for``."""

    def __init__(
        self,
        response: httpx.Response,
        call: PreparedCall | None = None,
        primed: Primed[AsyncIterator[bytes]] | None = None,
    ) -> None:
        self.response = response
        self._accumulator = Accumulator(finisher(response, call))
        self._iterator = async_events(response, self._accumulator, primed)

    @classmethod
    def from_events(
        cls,
        response: httpx.Response,
        events: AsyncIterator[RawMessageStreamEvent],
        call: PreparedCall | None = None,
    ) -> AsyncStream:
        """Async twin of :meth:`Stream.from_events`."""
        stream = cls.__new__(cls)
        stream.response = response
        stream._accumulator = Accumulator(finisher(response, call))
        stream._iterator = async_accumulated(events, response, stream._accumulator)
        return stream

    def __aiter__(self) -> AsyncIterator[RawMessageStreamEvent]:
        return self._iterator

    async def __anext__(self) -> RawMessageStreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.close()

    async def close(self) -> None:
        """Stop reading and release the connection (also done at the end of the stream)."""
        await self._iterator.aclose()
        await self.response.aclose()


# --------------------------------------------------------------------------- helper streams


class MessageStream(_StreamBase):
    """A streamed call with the Anthropic SDK's helpers (from ``messages.stream``).

    Iterating it, ``text_stream`` and ``until_done()`` all read the same underlying
    stream: each event is consumed once, by whichever reads first.
    """

    #: The text deltas only (the other events still go into the final message).
    text_stream: Generator[str]

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self.response = stream.response
        self._accumulator = stream._accumulator
        self._raw = stream._iterator
        self._iterator = helper_events(self._raw, self._accumulator)
        self.text_stream = text_deltas(self._raw)

    def __iter__(self) -> Iterator[MessageStreamEvent]:
        return self._iterator

    def __next__(self) -> MessageStreamEvent:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._iterator.close()
        self.text_stream.close()
        self._stream.close()

    def until_done(self) -> None:
        """Read the stream to its end (the events still go into the final message)."""
        deque(self._raw, maxlen=0)

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


class AsyncMessageStream(_StreamBase):
    """Async twin of :class:`MessageStream`."""

    #: The text deltas only (the other events still go into the final message).
    text_stream: AsyncGenerator[str]

    def __init__(self, stream: AsyncStream) -> None:
        self._stream = stream
        self.response = stream.response
        self._accumulator = stream._accumulator
        self._raw = stream._iterator
        self._iterator = async_helper_events(self._raw, self._accumulator)
        self.text_stream = async_text_deltas(self._raw)

    def __aiter__(self) -> AsyncIterator[MessageStreamEvent]:
        return self._iterator

    async def __anext__(self) -> MessageStreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.close()

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._iterator.aclose()
        await self.text_stream.aclose()
        await self._stream.close()

    async def until_done(self) -> None:
        """Read the stream to its end (the events still go into the final message)."""
        async for _ in self._raw:
            pass

    async def get_final_message(self) -> Message:
        """Async twin of :meth:`MessageStream.get_final_message`."""
        await self.until_done()
        return self._final_message()

    async def get_final_text(self) -> str:
        """All the text blocks of the final message, joined."""
        return final_text(await self.get_final_message())


# --------------------------------------------------------------------------- managers


def _converse(client: Any, call: PreparedCall, timeout: Any, expected: type) -> Any:
    """``api="converse"``: the Converse module sends the call and returns a (async) stream.

    Imported by name: that module is optional here and may import this one.
    """
    converse = import_module(".converse", __package__)
    function = (
        converse.messages_via_converse if expected is Stream else converse.amessages_via_converse
    )
    return function(client, call, stream=True, timeout=timeout)


class MessageStreamManager:
    """What ``messages.stream(...)`` returns: the request is sent when the block is entered.

    ::

        with client.messages.stream(model=..., max_tokens=..., messages=...) as stream:
            for text in stream.text_stream:
                print(text, end="", flush=True)
        message = stream.get_final_message()
    """

    def __init__(
        self,
        client: AnthropicBedrock,
        call: PreparedCall,
        *,
        timeout: float | httpx.Timeout | None = None,
        api: Literal["invoke", "converse"] = "invoke",
    ) -> None:
        self._client = client
        self._call = call
        self._timeout = timeout
        self._api = api
        self._stream: MessageStream | None = None

    def __enter__(self) -> MessageStream:
        if self._api == "converse":
            raw = _converse(self._client, self._call, self._timeout, Stream)
        else:
            raw = open_stream(self._client, self._call, timeout=self._timeout)
        self._stream = MessageStream(raw)
        return self._stream

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._stream is not None:
            self._stream.close()


class AsyncMessageStreamManager:
    """Async twin of :class:`MessageStreamManager` (``async with``)."""

    def __init__(
        self,
        client: AsyncAnthropicBedrock,
        call: PreparedCall,
        *,
        timeout: float | httpx.Timeout | None = None,
        api: Literal["invoke", "converse"] = "invoke",
    ) -> None:
        self._client = client
        self._call = call
        self._timeout = timeout
        self._api = api
        self._stream: AsyncMessageStream | None = None

    async def __aenter__(self) -> AsyncMessageStream:
        if self._api == "converse":
            raw = await _converse(self._client, self._call, self._timeout, AsyncStream)
        else:
            raw = await aopen_stream(self._client, self._call, timeout=self._timeout)
        self._stream = AsyncMessageStream(raw)
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._stream is not None:
            await self._stream.close()
