"""The stream pipeline, without I/O: bytes -> frames -> typed events -> accumulated answer.

Every streamed surface is one :class:`Pipeline`: a frame decoder from :mod:`.wire`
(the AWS event stream for InvokeModel and Converse, Server-Sent Events for the Messages
API), a *reader* that turns one frame into one typed event (or raises the error a
failure frame carries), and a *sink* that accumulates the events into the answer. It is
fed the body's bytes as they arrive (h11's pattern) and never reads a socket, so sync and
async streams share it: the drivers in :mod:`._stream_iter` only read, hand the events on
and close.

Failures keep what came before them: the events of a chunk that also holds an exception
frame are handed on first, then the error is raised. The end of the body is checked: it
must end on a frame boundary (else :class:`APIConnectionError`, the connection was cut)
and after the answer's last event (``message_stop``, Converse's ``metadata``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, Self, TypeVar

import httpx

from ._body import invalid
from ._exceptions import APIConnectionError, APIError, APIResponseValidationError
from ._request_core import connection_error
from .wire.eventstream import CONTENT_TYPE, EventStreamError, TruncatedFrame
from .wire.sse import SSEError, TruncatedEvent

__all__ = ["Discard", "FrameDecoder", "Pipeline", "Reader", "Relay", "Sink"]

F = TypeVar("F")
E = TypeVar("E")
_FRAME_ERRORS = (EventStreamError, SSEError)
_CUT = (TruncatedFrame, TruncatedEvent)
#: The content types of the streams read here (Bedrock's event stream, Server-Sent Events).
_STREAM_TYPES = frozenset({CONTENT_TYPE, "text/event-stream"})
#: What a reader raises on bytes it was not written for, if its own checks let them through.
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
               RecursionError)  # fmt: skip


class FrameDecoder(Protocol[F]):
    """``wire.eventstream.Decoder`` or ``wire.sse.Decoder``: bytes in, frames out."""

    def feed(self, data: bytes, /) -> list[F]: ...

    def close(self) -> None: ...


class Sink(Protocol):
    """What accumulates the events (the answer so far) and keeps the error that ended them."""

    error: Exception | None

    def apply(self, event: Any, /) -> None: ...


class Reader:
    """The base of a pipeline's readers (one frame -> one event): they need the response
    only to attach it to the errors they raise."""

    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response


class Discard:
    """A sink that keeps nothing (a stream whose events the caller accumulates)."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Exception | None = None

    def apply(self, event: Any) -> None:
        """Nothing to keep."""


def _suppressed(error: APIError) -> APIError:
    """``error`` raised without the transport exception it replaces as its context."""
    error.__suppress_context__ = True
    return error


class _Stage(Generic[E]):
    """What both pipelines give the drivers: ``step`` per item, ``end``, ``fail``."""

    sink: Sink
    response: httpx.Response

    def fail(self, exc: Exception) -> Exception:
        """The error to raise for ``exc`` (a lost connection becomes ours), kept in the sink."""
        if isinstance(exc, httpx.TransportError):
            exc = _suppressed(connection_error(exc, self.response.request))
        if isinstance(exc, APIError):
            self.sink.error = exc
        return exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        """``with stage:`` around a driver's reading: what fails inside goes through
        :meth:`fail` (so sync and async drivers map errors the same way)."""
        if isinstance(exc, Exception):
            error = self.fail(exc)
            if error is not exc:
                raise error

    def end(self) -> None:
        """The source ended (nothing to check by default)."""


class Pipeline(_Stage[E], Generic[F, E]):
    """Bytes of one streamed body in, typed events out (accumulated as they are handed on).

    ``read`` turns one frame into an event (None: nothing to hand on, e.g. a ``ping``) or
    raises the :class:`APIError` a failure frame means; ``finished`` says whether the
    answer's last event (``last``) has come.
    """

    __slots__ = ("_frames", "_read", "sink", "response", "_finished", "_last", "_pending",
                 "error")  # fmt: skip

    def __init__(
        self,
        frames: FrameDecoder[F],
        read: Callable[[F], E | None],
        response: httpx.Response,
        *,
        sink: Sink | None = None,
        finished: Callable[[], bool],
        last: str,
    ) -> None:
        self._frames = frames
        self._read = read
        self.sink: Sink = sink if sink is not None else Discard()
        self.response = response
        self._finished = finished
        self._last = last
        self._pending: list[E] = []
        #: A failure found after some events of a chunk: raised once they are handed on.
        self.error: APIError | None = None

    def decode(self, data: bytes) -> Iterable[E]:
        """The events in ``data``, to accumulate as they are handed on; a failure frame
        after some of them is raised once they are (an iterator that ends by raising)."""
        events = self._decode(data)
        return events if self.error is None else self._then_raise(events, self.error)

    @staticmethod
    def _then_raise(events: list[E], error: APIError) -> Iterator[E]:
        yield from events
        raise error

    def _decode(self, data: bytes) -> list[E]:
        try:
            frames = self._frames.feed(data)
        except _FRAME_ERRORS as exc:
            raise self._corrupt(exc) from exc
        out: list[E] = []
        read = self._read
        for frame in frames:
            try:
                event = read(frame)
            except APIError as exc:
                self.error = exc
                break
            except _UNREADABLE as exc:  # a reader only parses: the frame is what is wrong
                self.error = invalid(self.response, f"Got an unreadable event ({exc!r})")
                self.error.__cause__ = exc
                break
            if event is not None:
                out.append(event)
        return out

    def prime(self, data: bytes) -> bool:
        """Feed ``data`` while opening the stream: True once there are events to hand on
        (kept for the first :meth:`step`); a failure before any event is raised here."""
        self._pending = events = self._decode(data)
        if not events and self.error is not None:
            raise self.error
        return bool(events)

    def pending(self) -> Iterable[E]:
        """The events :meth:`prime` kept (then the failure after them, if there was one)."""
        events, self._pending = self._pending, []
        return events if self.error is None else self._then_raise(events, self.error)

    def end(self) -> None:
        """The body ended: on a frame boundary, after the answer's last event."""
        self._close_frames()
        if not self._finished():
            raise APIConnectionError(
                f"Connection error: the event stream ended before its {self._last} event.",
                self.response.request,
            )

    def nothing_yet(self) -> APIError:
        """The error of a body that ended before its first event."""
        wrong = self._not_a_stream()
        if wrong is not None:
            return wrong
        try:
            self._close_frames()
        except APIError as exc:
            return exc
        return APIConnectionError(
            "Connection error: the event stream ended before its first event.",
            self.response.request,
        )

    def _not_a_stream(self) -> APIError | None:
        """The error of a body that is not an event stream at all, as its content type says
        (a JSON document, a proxy's page): an unreadable answer, not a connection cut short."""
        media = self.response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media and media not in _STREAM_TYPES:
            what = f"Got a body of type {media} where an event stream was expected"
            return invalid(self.response, what)
        return None

    def _close_frames(self) -> None:
        try:
            self._frames.close()
        except _CUT as exc:
            wrong = self._not_a_stream()
            if wrong is not None:
                raise wrong from None
            where = "an event" if isinstance(exc, TruncatedEvent) else "a frame"
            raise APIConnectionError(
                f"Connection error: the event stream was cut inside {where} ({exc}).",
                self.response.request,
            ) from exc
        except _FRAME_ERRORS as exc:
            raise self._corrupt(exc) from exc

    def _corrupt(self, exc: Exception) -> APIResponseValidationError:
        return invalid(self.response, f"Got a corrupt event stream ({exc})")


class Relay(_Stage[E]):
    """Events decoded elsewhere (Converse events translated to Anthropic ones), accumulated
    the same way as a :class:`Pipeline`'s."""

    __slots__ = ("sink", "response")

    def __init__(self, sink: Sink, response: httpx.Response) -> None:
        self.sink = sink
        self.response = response

    def pending(self) -> tuple[E, ...]:
        return ()

    def decode(self, event: E) -> tuple[E]:
        return (event,)
