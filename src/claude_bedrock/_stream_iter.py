"""The thin sync and async drivers of the stream pipeline: read, hand on, close.

All the decoding, checking and accumulating is in :mod:`._stream_pipeline` (no I/O); what
is left here is what differs between ``for`` and ``async for``: reading the body (up to
its first event when a stream is opened: :func:`prime`), handing the events on, and
closing the response. Each driver is written once per flavour and serves every stream
(InvokeModel, Converse, Messages API SSE, Converse translated to Anthropic events).

The generators take the pipeline and the response, never the stream object, so a dropped
stream is not kept alive by a reference cycle through its own iterator: reference counting
closes it (and its HTTP response) at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import httpx

from ._stream_pipeline import Pipeline, Sink
from ._transports._deadline import progress_of
from .types.message import Message, TextBlock
from .types.stream_events import RawContentBlockDeltaEvent, TextDelta

if TYPE_CHECKING:
    from .resources._params import PreparedCall

__all__ = [
    "REQUEST_ID", "AsyncReader", "Primed", "SyncReader", "aexpand", "aprime", "arun",
    "atexts", "expand", "final_text", "finisher", "prime", "run", "texts",
]  # fmt: skip

REQUEST_ID = "x-amzn-requestid"
T = TypeVar("T")
U = TypeVar("U")
_Chunks = TypeVar("_Chunks", Iterator[bytes], AsyncIterator[bytes])
T_in = TypeVar("T_in", contravariant=True)
U_out = TypeVar("U_out", covariant=True)


class _Stage(Protocol[T_in, U_out]):
    """A :class:`~._stream_pipeline.Pipeline` or :class:`~._stream_pipeline.Relay`."""

    sink: Sink

    def pending(self) -> Iterable[U_out]: ...

    def decode(self, item: T_in, /) -> Iterable[U_out]: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, kind: object, exc: BaseException | None, tb: object, /) -> None: ...

    def end(self) -> None: ...

    def fail(self, exc: Exception, /) -> Exception: ...


@dataclass(slots=True)
class Primed(Generic[_Chunks]):
    """A stream read up to its first event: the pipeline (holding it) and the rest of the body.

    Reading that far before handing the stream over is what makes a retry safe: a stream
    that fails before its first event (reset, timeout, ``throttlingException`` frame) has
    shown the caller nothing, so the sender sends it again (``send_stream``).
    """

    pipeline: Pipeline[Any, Any]
    chunks: _Chunks


# --------------------------------------------------------------------------- drivers


def prime(pipeline: Pipeline[Any, Any], response: httpx.Response) -> Primed[Iterator[bytes]]:
    """Read ``response`` up to its first event; raise what failed before it."""
    chunks = response.iter_bytes()
    with pipeline:
        for chunk in chunks:
            if pipeline.prime(chunk):
                return Primed(pipeline, chunks)
        raise pipeline.nothing_yet()


async def aprime(
    pipeline: Pipeline[Any, Any], response: httpx.Response
) -> Primed[AsyncIterator[bytes]]:
    """Async :func:`prime`."""
    chunks = response.aiter_bytes()
    with pipeline:
        async for chunk in chunks:
            if pipeline.prime(chunk):
                return Primed(pipeline, chunks)
        raise pipeline.nothing_yet()


def run(stage: _Stage[T, U], items: Iterator[T], response: httpx.Response) -> Generator[U]:
    """Feed ``items`` (body chunks, or events) through ``stage``; close all at the end.

    The events are accumulated one by one as they are handed on (not a chunk at a time),
    so a helper event's snapshot is the message as of that event.
    """
    decode, apply = stage.decode, stage.sink.apply
    progress = progress_of(response)  # real events move the idle deadline; pings do not
    try:
        with stage:
            for events in chain((stage.pending(),), map(decode, items)):
                handed = False
                for event in events:
                    apply(event)
                    yield event
                    handed = True
                if handed:
                    progress()
            stage.end()
    finally:
        getattr(items, "close", _nothing)()
        response.close()


async def arun(
    stage: _Stage[T, U], items: AsyncIterator[T], response: httpx.Response
) -> AsyncGenerator[U]:
    """Async :func:`run`."""
    decode, apply = stage.decode, stage.sink.apply
    progress = progress_of(response)  # real events move the idle deadline; pings do not
    try:
        with stage:
            for event in stage.pending():
                apply(event)
                yield event
            progress()
            async for item in items:
                handed = False
                for event in decode(item):
                    apply(event)
                    yield event
                    handed = True
                if handed:
                    progress()
            stage.end()
    finally:
        await getattr(items, "aclose", _anothing)()
        await response.aclose()


def expand(source: Iterator[T], step: Callable[[T], Iterable[U]]) -> Generator[U]:
    """What ``step`` makes of each item of ``source`` (helper events, text deltas)."""
    for item in source:
        yield from step(item)


async def aexpand(source: AsyncIterator[T], step: Callable[[T], Iterable[U]]) -> AsyncGenerator[U]:
    """Async :func:`expand`."""
    async for item in source:
        for out in step(item):
            yield out


def _nothing() -> None:
    return None


async def _anothing() -> None:
    return None


# --------------------------------------------------------------------------- stream objects


class _Reader:
    response: httpx.Response
    #: What the stream yields; what :meth:`until_done` drains; what closing closes.
    _iterator: Any
    _source: Any
    _generators: tuple[Any, ...]


class SyncReader(_Reader, Generic[T]):
    """Iteration, ``with`` and closing of a sync stream object (over :func:`run`)."""

    _iterator: Generator[T]
    _source: Generator[Any]

    def __iter__(self) -> Iterator[T]:
        return self._iterator

    def __next__(self) -> T:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection (also done at the end of the stream)."""
        for generator in self._generators:
            generator.close()
        self.response.close()

    def until_done(self) -> None:
        """Read the stream to its end (every event still counts for the final answer)."""
        deque(self._source, maxlen=0)


class AsyncReader(_Reader, Generic[T]):
    """Iteration, ``async with`` and closing of an async stream object (over :func:`arun`)."""

    _iterator: AsyncGenerator[T]
    _source: AsyncGenerator[Any]

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterator

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop reading and release the connection (also done at the end of the stream)."""
        for generator in self._generators:
            await generator.aclose()
        await self.response.aclose()

    async def until_done(self) -> None:
        """Read the stream to its end (every event still counts for the final answer)."""
        async for _ in self._source:
            pass


# --------------------------------------------------------------------------- helpers


def finisher(response: httpx.Response, call: PreparedCall | None) -> Callable[[Message], None]:
    """What the final message gets besides the events: request id and cost."""
    request_id = response.headers.get(REQUEST_ID)

    def finish(message: Message) -> None:
        message._request_id = request_id
        if call is not None:
            message._cost = call.cost(message)

    return finish


def texts(raw: Iterator[Any]) -> Generator[str]:
    """The text of the text deltas among ``raw``'s events: ``text_stream``."""
    for event in raw:
        if event.__class__ is _DELTA_EVENT and event.delta.__class__ is TextDelta:
            yield event.delta.text


async def atexts(raw: AsyncIterator[Any]) -> AsyncGenerator[str]:
    """Async :func:`texts`."""
    async for event in raw:
        if event.__class__ is _DELTA_EVENT and event.delta.__class__ is TextDelta:
            yield event.delta.text


_DELTA_EVENT = RawContentBlockDeltaEvent


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
