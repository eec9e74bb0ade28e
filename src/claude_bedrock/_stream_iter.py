"""The generators under the stream classes: bytes -> events -> helpers, text.

They take the response and the accumulator, never the stream object, so a dropped stream
is not kept alive by a reference cycle through its own iterator: reference counting
closes it (and its HTTP response) at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from ._exceptions import APIConnectionError, APIError, APIResponseValidationError
from ._request_core import connection_error
from ._stream_accumulate import Accumulator
from ._stream_decode import EventDecoder
from .resources._params import PreparedCall
from .types.message import Message, TextBlock
from .types.stream_events import (
    MessageStreamEvent,
    RawContentBlockDeltaEvent,
    RawMessageStreamEvent,
    TextDelta,
)
from .wire.eventstream import EventStreamError, TruncatedFrame

REQUEST_ID = "x-amzn-requestid"
_Chunks = TypeVar("_Chunks", Iterator[bytes], AsyncIterator[bytes])


@dataclass(slots=True)
class Primed(Generic[_Chunks]):
    """A stream read up to its first event: the decoder, the rest of the body, the events.

    Reading that far before handing the stream over is what makes a retry safe: a stream
    that fails before its first event (reset, timeout, ``throttlingException`` frame) has
    shown the caller nothing, so the client sends it again (see :mod:`._retry`).
    """

    decoder: EventDecoder
    chunks: _Chunks
    events: list[RawMessageStreamEvent]


def _nothing_yet(decoder: EventDecoder, response: httpx.Response) -> APIError:
    """The error of a body that ended before its first event."""
    try:
        decoder.close()
    except TruncatedFrame as exc:
        return APIConnectionError(
            f"Connection error: the event stream was cut inside a frame ({exc}).",
            response.request,
        )
    except EventStreamError as exc:
        return APIResponseValidationError(f"Bedrock sent a corrupt event stream: {exc}", response)
    return APIConnectionError(
        "Connection error: the event stream ended before its first event.", response.request
    )


def prime(response: httpx.Response) -> Primed[Iterator[bytes]]:
    """Read ``response`` up to its first event; raise what failed before it."""
    decoder = EventDecoder(response)
    chunks = response.iter_bytes()
    try:
        for chunk in chunks:
            events = decoder.feed(chunk)
            if events:
                return Primed(decoder, chunks, events)
            if decoder.error is not None:
                raise decoder.error
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from None
    raise _nothing_yet(decoder, response)


async def aprime(response: httpx.Response) -> Primed[AsyncIterator[bytes]]:
    """Async twin of :func:`prime`."""
    decoder = EventDecoder(response)
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            events = decoder.feed(chunk)
            if events:
                return Primed(decoder, chunks, events)
            if decoder.error is not None:
                raise decoder.error
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from None
    raise _nothing_yet(decoder, response)


def end_of_body(decoder: EventDecoder, accumulator: Accumulator, response: httpx.Response) -> None:
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


def sync_events(
    response: httpx.Response,
    accumulator: Accumulator,
    primed: Primed[Iterator[bytes]] | None = None,
) -> Generator[RawMessageStreamEvent]:
    """The raw events of a response, accumulated as they pass; closes the response."""
    if primed is None:
        decoder, chunks, first = EventDecoder(response), response.iter_bytes(), []
    else:
        decoder, chunks, first = primed.decoder, primed.chunks, primed.events
    feed, apply = decoder.feed, accumulator.apply
    try:
        for event in first:
            apply(event)
            yield event
        if decoder.error is not None:
            raise decoder.error
        for chunk in chunks:
            for event in feed(chunk):
                apply(event)
                yield event
            if decoder.error is not None:
                raise decoder.error
        end_of_body(decoder, accumulator, response)
    except httpx.TransportError as exc:
        accumulator.error = connection_error(exc, response.request)
        raise accumulator.error from None
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        response.close()


async def async_events(
    response: httpx.Response,
    accumulator: Accumulator,
    primed: Primed[AsyncIterator[bytes]] | None = None,
) -> AsyncGenerator[RawMessageStreamEvent]:
    """Async twin of :func:`sync_events`."""
    if primed is None:
        decoder, chunks, first = EventDecoder(response), response.aiter_bytes(), []
    else:
        decoder, chunks, first = primed.decoder, primed.chunks, primed.events
    feed, apply = decoder.feed, accumulator.apply
    try:
        for event in first:
            apply(event)
            yield event
        if decoder.error is not None:
            raise decoder.error
        async for chunk in chunks:
            for event in feed(chunk):
                apply(event)
                yield event
            if decoder.error is not None:
                raise decoder.error
        end_of_body(decoder, accumulator, response)
    except httpx.TransportError as exc:
        accumulator.error = connection_error(exc, response.request)
        raise accumulator.error from None
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        await response.aclose()


def accumulated(
    source: Iterator[RawMessageStreamEvent], response: httpx.Response, accumulator: Accumulator
) -> Generator[RawMessageStreamEvent]:
    """Events from another source (e.g. Converse translated), accumulated the same way."""
    apply = accumulator.apply
    try:
        for event in source:
            apply(event)
            yield event
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        response.close()


async def async_accumulated(
    source: AsyncIterator[RawMessageStreamEvent],
    response: httpx.Response,
    accumulator: Accumulator,
) -> AsyncGenerator[RawMessageStreamEvent]:
    apply = accumulator.apply
    try:
        async for event in source:
            apply(event)
            yield event
    except APIError as exc:
        accumulator.error = exc
        raise
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
        await response.aclose()


def finisher(response: httpx.Response, call: PreparedCall | None) -> Callable[[Message], None]:
    """What the final message gets besides the events: request id and cost."""
    request_id = response.headers.get(REQUEST_ID)

    def finish(message: Message) -> None:
        message._request_id = request_id
        if call is not None:
            from .resources.messages import cost_of

            message._cost = cost_of(message, call)

    return finish


def helper_events(
    raw: Iterator[RawMessageStreamEvent], accumulator: Accumulator
) -> Generator[MessageStreamEvent]:
    expand = accumulator.expand
    for event in raw:
        yield from expand(event)


async def async_helper_events(
    raw: AsyncIterator[RawMessageStreamEvent], accumulator: Accumulator
) -> AsyncGenerator[MessageStreamEvent]:
    expand = accumulator.expand
    async for event in raw:
        for helper in expand(event):
            yield helper


def text_deltas(raw: Iterator[RawMessageStreamEvent]) -> Generator[str]:
    for event in raw:
        if event.__class__ is RawContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is TextDelta:
                yield delta.text


async def async_text_deltas(
    raw: AsyncIterator[RawMessageStreamEvent],
) -> AsyncGenerator[str]:
    async for event in raw:
        if event.__class__ is RawContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is TextDelta:
                yield delta.text


def final_text(message: Message) -> str:
    texts = [block.text for block in message.content if isinstance(block, TextBlock)]
    if not texts:
        kinds = ",".join(str(getattr(block, "type", "?")) for block in message.content)
        raise RuntimeError(
            ".get_final_text() can only be called when the API returns a `text` content "
            f"block.\nThe API returned {kinds} content block type(s) that you can access by "
            "calling get_final_message().content"
        )
    return "".join(texts)
