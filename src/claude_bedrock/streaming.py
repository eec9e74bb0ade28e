"""Streaming: ``messages.create(stream=True)`` and ``messages.stream(...)``.

``create(stream=True)`` returns a :class:`Stream` (:class:`AsyncStream`): an iterator of
the raw typed events. ``messages.stream(...)`` returns a :class:`MessageStreamManager`
whose ``with`` block sends the request and gives a :class:`MessageStream` with the
Anthropic SDK's helpers (``text_stream``, ``get_final_message()``, ``get_final_text()``,
``until_done()``, ``current_message_snapshot``, helper events such as ``text``).

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
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from ._base_client import connection_error
from ._exceptions import APIConnectionError, APIError, APIResponseValidationError
from ._stream_accumulate import Accumulator
from ._stream_decode import EventDecoder
from .eventstream import EventStreamError, TruncatedFrame
from .resources._params import PreparedCall, model_path
from .types.message import Message, TextBlock
from .types.stream_events import (
    MessageStreamEvent,
    RawContentBlockDeltaEvent,
    RawMessageStreamEvent,
    TextDelta,
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
_REQUEST_ID = "x-amzn-requestid"


def _stream_url(client: AnthropicBedrock | AsyncAnthropicBedrock, call: PreparedCall) -> str:
    model_id = call.resolved.model_id
    return client._core.url("runtime", model_path(model_id, "invoke-with-response-stream"))


def open_stream(
    client: AnthropicBedrock, call: PreparedCall, *, timeout: float | httpx.Timeout | None = None
) -> Stream:
    """Send an InvokeModelWithResponseStream call; errors before the stream are raised here."""
    response = client._sender.send(
        "POST", _stream_url(client, call), call.encode(), stream=True,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return Stream(response, call)


async def aopen_stream(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    timeout: float | httpx.Timeout | None = None,
) -> AsyncStream:
    """Async twin of :func:`open_stream`."""
    response = await client._sender.send(
        "POST", _stream_url(client, call), call.encode(), stream=True,
        extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
    )  # fmt: skip
    return AsyncStream(response, call)


# --------------------------------------------------------------------------- event loops


def _end_of_body(decoder: EventDecoder, accumulator: Accumulator, response: httpx.Response) -> None:
    """The body ended: it must have ended on a frame boundary, after ``message_stop``."""
    try:
        decoder.close()
    except TruncatedFrame as exc:
        raise APIConnectionError(
            f"Connection error: the event stream was cut inside a frame ({exc}).",
            response.request,
        ) from exc
    except EventStreamError as exc:
        raise APIResponseValidationError(
            f"Bedrock sent a corrupt event stream: {exc}", response
        ) from exc
    if not accumulator.done:
        raise APIConnectionError(
            "Connection error: the event stream ended before its message_stop event.",
            response.request,
        )


def _sync_events(
    response: httpx.Response, accumulator: Accumulator
) -> Generator[RawMessageStreamEvent]:
    """The raw events of a response, accumulated as they pass; closes the response."""
    decoder = EventDecoder(response)
    feed, apply = decoder.feed, accumulator.apply
    try:
        for chunk in response.iter_bytes():
            for event in feed(chunk):
                apply(event)
                yield event
            if decoder.error is not None:
                raise decoder.error
        _end_of_body(decoder, accumulator, response)
    except httpx.TransportError as exc:
        accumulator.error = connection_error(exc, response.request)
        raise accumulator.error from None
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        response.close()


async def _async_events(
    response: httpx.Response, accumulator: Accumulator
) -> AsyncGenerator[RawMessageStreamEvent]:
    """Async twin of :func:`_sync_events`."""
    decoder = EventDecoder(response)
    feed, apply = decoder.feed, accumulator.apply
    try:
        async for chunk in response.aiter_bytes():
            for event in feed(chunk):
                apply(event)
                yield event
            if decoder.error is not None:
                raise decoder.error
        _end_of_body(decoder, accumulator, response)
    except httpx.TransportError as exc:
        accumulator.error = connection_error(exc, response.request)
        raise accumulator.error from None
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        await response.aclose()


def _finisher(response: httpx.Response, call: PreparedCall | None) -> Callable[[Message], None]:
    """What the final message gets besides the events: request id and cost."""
    request_id = response.headers.get(_REQUEST_ID)

    def finish(message: Message) -> None:
        message._request_id = request_id
        if call is not None:
            from .resources.messages import cost_of

            message._cost = cost_of(message, call)

    return finish


# --------------------------------------------------------------------------- raw streams


class _StreamBase:
    """What the raw and helper streams, sync and async, all expose."""

    response: httpx.Response
    _accumulator: Accumulator

    @property
    def request_id(self) -> str | None:
        """Bedrock's ``x-amzn-RequestId`` for this call."""
        request_id: str | None = self.response.headers.get(_REQUEST_ID)
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

    def __init__(self, response: httpx.Response, call: PreparedCall | None = None) -> None:
        self.response = response
        self._accumulator = Accumulator(_finisher(response, call))
        self._iterator = _sync_events(response, self._accumulator)

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

    def __init__(self, response: httpx.Response, call: PreparedCall | None = None) -> None:
        self.response = response
        self._accumulator = Accumulator(_finisher(response, call))
        self._iterator = _async_events(response, self._accumulator)

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


def _helper_events(
    raw: Iterator[RawMessageStreamEvent], accumulator: Accumulator
) -> Generator[MessageStreamEvent]:
    expand = accumulator.expand
    for event in raw:
        yield from expand(event)


async def _async_helper_events(
    raw: AsyncIterator[RawMessageStreamEvent], accumulator: Accumulator
) -> AsyncGenerator[MessageStreamEvent]:
    expand = accumulator.expand
    async for event in raw:
        for helper in expand(event):
            yield helper


def _text_deltas(raw: Iterator[RawMessageStreamEvent]) -> Generator[str]:
    for event in raw:
        if event.__class__ is RawContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is TextDelta:
                yield delta.text


async def _async_text_deltas(
    raw: AsyncIterator[RawMessageStreamEvent],
) -> AsyncGenerator[str]:
    async for event in raw:
        if event.__class__ is RawContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is TextDelta:
                yield delta.text


def _final_text(message: Message) -> str:
    texts = [block.text for block in message.content if isinstance(block, TextBlock)]
    if not texts:
        kinds = ",".join(str(getattr(block, "type", "?")) for block in message.content)
        raise RuntimeError(
            ".get_final_text() can only be called when the API returns a `text` content "
            f"block.\nThe API returned {kinds} content block type(s) that you can access by "
            "calling get_final_message().content"
        )
    return "".join(texts)


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
        self._iterator = _helper_events(self._raw, self._accumulator)
        self.text_stream = _text_deltas(self._raw)

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
        return _final_text(self.get_final_message())


class AsyncMessageStream(_StreamBase):
    """Async twin of :class:`MessageStream`."""

    #: The text deltas only (the other events still go into the final message).
    text_stream: AsyncGenerator[str]

    def __init__(self, stream: AsyncStream) -> None:
        self._stream = stream
        self.response = stream.response
        self._accumulator = stream._accumulator
        self._raw = stream._iterator
        self._iterator = _async_helper_events(self._raw, self._accumulator)
        self.text_stream = _async_text_deltas(self._raw)

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
        return _final_text(await self.get_final_message())


# --------------------------------------------------------------------------- managers


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
    ) -> None:
        self._client = client
        self._call = call
        self._timeout = timeout
        self._stream: MessageStream | None = None

    def __enter__(self) -> MessageStream:
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
    ) -> None:
        self._client = client
        self._call = call
        self._timeout = timeout
        self._stream: AsyncMessageStream | None = None

    async def __aenter__(self) -> AsyncMessageStream:
        raw = await aopen_stream(self._client, self._call, timeout=self._timeout)
        self._stream = AsyncMessageStream(raw)
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._stream is not None:
            await self._stream.close()
