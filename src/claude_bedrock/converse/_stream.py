"""``converse-stream`` bodies: AWS event-stream frames -> typed Converse events.

:class:`ConverseStream` (and :class:`AsyncConverseStream`) iterate the typed events
(``messageStart``, ``contentBlockStart/Delta/Stop``, ``messageStop``, ``metadata``), close
the HTTP response when done or closed, and rebuild the whole answer as a
:class:`~._types.ConverseResponse` (:meth:`~ConverseStream.get_final_response`).

Failures end the iteration with the matching error class: an exception frame
(``throttlingException``...) through :func:`~claude_bedrock._exceptions.status_error_for`,
a corrupt frame :class:`APIResponseValidationError`, a connection lost or a body that ends
before the ``metadata`` event :class:`APIConnectionError`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx
import pydantic

from .._base_client import connection_error
from .._exceptions import APIConnectionError, APIError, APIResponseValidationError, status_error_for
from .._stream_decode import EXCEPTION_STATUS
from ..types import converse as c
from ..wire.eventstream import Decoder, EventStreamError, TruncatedFrame
from ..wire.eventstream import Message as Frame

if TYPE_CHECKING:
    from ..types.message import Cost

__all__ = ["AsyncConverseStream", "ConverseStream", "FrameReader"]

_PADDING_KEY = "p"


class FrameReader:
    """Incremental: HTTP body chunks in, typed Converse events out.

    A failure found in a chunk does not discard the events before it: ``feed`` returns
    them and leaves the error in :attr:`error`, for the caller to raise after them.
    """

    __slots__ = ("_frames", "_response", "finished", "error")

    def __init__(self, response: httpx.Response) -> None:
        self._frames = Decoder()
        self._response = response
        self.finished = False
        self.error: APIError | None = None

    def feed(self, chunk: bytes) -> list[c.StreamEvent]:
        try:
            frames = self._frames.feed(chunk)
        except EventStreamError as exc:
            raise self._corrupt(exc) from exc
        events: list[c.StreamEvent] = []
        for frame in frames:
            try:
                events.append(self._event(frame))
            except APIError as exc:
                self.error = exc
                break
        return events

    def close(self) -> None:
        """The body ended: it must end on a frame boundary, after the ``metadata`` event."""
        request = self._response.request
        try:
            self._frames.close()
        except TruncatedFrame as exc:
            message = f"Connection error: the event stream was cut inside a frame ({exc})."
            raise APIConnectionError(message, request) from exc
        except EventStreamError as exc:
            raise self._corrupt(exc) from exc
        if not self.finished:
            message = "Connection error: the event stream ended before its metadata event."
            raise APIConnectionError(message, request)

    def _corrupt(self, exc: Exception) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"Bedrock sent a corrupt event stream: {exc}", self._response
        )

    def _event(self, frame: Frame) -> c.StreamEvent:
        kind = frame.message_type
        if kind != "event":
            raise self._failure(frame)
        name = frame.event_type or ""
        cls = c.EVENT_CLASSES.get(name)
        try:
            if cls is None:
                data = json.loads(frame.payload or b"{}")
                data.pop(_PADDING_KEY, None)
                return c.UnknownStreamEvent.model_validate({**data, "type": name})
            event = cls.model_validate_json(frame.payload)
        except (ValueError, pydantic.ValidationError) as exc:
            raise APIResponseValidationError(
                f"unreadable {name} event ({exc})", self._response, body=frame.payload
            ) from None
        if event.__pydantic_extra__:
            event.__pydantic_extra__.pop(_PADDING_KEY, None)
        if name == "metadata":
            self.finished = True
        return event

    def _failure(self, frame: Frame) -> APIError:
        if frame.message_type == "error":
            code = frame.error_code or "InternalServerException"
            status = EXCEPTION_STATUS.get(code[:1].lower() + code[1:], 500)
            message = frame.error_message or f"{code} in the event stream"
            return status_error_for(status, message, error_type=code, response=self._response)
        name = frame.exception_type or "internalServerException"
        try:
            body: Any = json.loads(frame.payload)
        except ValueError:
            body = frame.payload.decode("utf-8", "replace")
        message = (
            str(body.get("message") or body.get("Message") or "") if isinstance(body, dict) else ""
        )
        if isinstance(body, dict) and body.get("originalStatusCode") is not None:
            message += (
                f" (model status {body['originalStatusCode']}: {body.get('originalMessage') or ''})"
            )
        status = EXCEPTION_STATUS.get(name[:1].lower() + name[1:], 500)
        return status_error_for(
            status, message.strip() or name, error_type=name, response=self._response, body=body
        )


def iter_events(response: httpx.Response) -> Generator[c.StreamEvent]:
    """The typed events of a ``converse-stream`` response; closes it at the end."""
    reader = FrameReader(response)
    try:
        for chunk in response.iter_bytes():
            yield from reader.feed(chunk)
            if reader.error is not None:
                raise reader.error
        reader.close()
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from None
    finally:
        response.close()


async def aiter_events(response: httpx.Response) -> AsyncGenerator[c.StreamEvent]:
    """Async twin of :func:`iter_events`."""
    reader = FrameReader(response)
    try:
        async for chunk in response.aiter_bytes():
            for event in reader.feed(chunk):
                yield event
            if reader.error is not None:
                raise reader.error
        reader.close()
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from None
    finally:
        await response.aclose()


class _Accumulator:
    """Rebuilds the whole :class:`ConverseResponse` from the events seen so far."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.stop: c.MessageStopEvent | None = None
        self.metadata: c.MetadataEvent | None = None

    def apply(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "contentBlockStart" and event.start.toolUse is not None:
            use = event.start.toolUse
            self.blocks[event.contentBlockIndex] = {"toolUse": {**use.to_dict(), "input": ""}}
        elif kind == "contentBlockDelta":
            self._delta(event.contentBlockIndex, event.delta)
        elif kind == "messageStop":
            self.stop = event
        elif kind == "metadata":
            self.metadata = event

    def _delta(self, index: int, delta: c.ContentBlockDelta) -> None:
        block = self.blocks.setdefault(index, {})
        reasoning = delta.reasoningContent
        if delta.text is not None:
            if "citationsContent" in block:
                block["citationsContent"]["content"][0]["text"] += delta.text
            else:
                block["text"] = block.get("text", "") + delta.text
        elif delta.toolUse is not None and "toolUse" in block:
            block["toolUse"]["input"] += delta.toolUse.input
        elif reasoning is not None and reasoning.redactedContent is not None:
            block["reasoningContent"] = {"redactedContent": reasoning.redactedContent}
        elif reasoning is not None:
            text = block.setdefault("reasoningContent", {}).setdefault(
                "reasoningText", {"text": ""}
            )
            text["text"] += reasoning.text or ""
            if reasoning.signature is not None:
                text["signature"] = reasoning.signature
        elif delta.citation is not None:
            content = block.pop("text", "")
            cited = block.setdefault(
                "citationsContent", {"content": [{"text": content}], "citations": []}
            )
            cited["citations"].append(delta.citation.to_dict())

    def response(self) -> c.ConverseResponse:
        if self.stop is None or self.metadata is None:
            raise RuntimeError("the stream has not ended yet (no messageStop / metadata event)")
        content = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if "toolUse" in block:
                raw = block["toolUse"]["input"]
                block = {"toolUse": {**block["toolUse"], "input": json.loads(raw) if raw else {}}}
            content.append(block)
        meta = self.metadata
        return c.ConverseResponse.model_validate({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": self.stop.stopReason,
            "additionalModelResponseFields": self.stop.additionalModelResponseFields,
            "usage": meta.usage, "metrics": meta.metrics, "trace": meta.trace,
            "performanceConfig": meta.performanceConfig, "serviceTier": meta.serviceTier,
        })  # fmt: skip


def _texts(events: Iterator[c.StreamEvent]) -> Generator[str]:
    for event in events:
        if isinstance(event, c.ContentBlockDeltaEvent) and event.delta.text is not None:
            yield event.delta.text


async def _atexts(events: AsyncIterator[c.StreamEvent]) -> AsyncGenerator[str]:
    async for event in events:
        if isinstance(event, c.ContentBlockDeltaEvent) and event.delta.text is not None:
            yield event.delta.text


class _StreamBase:
    response: httpx.Response
    _acc: _Accumulator
    _cost: Callable[[Any], Cost | None] | None

    @property
    def request_id(self) -> str | None:
        """Bedrock's ``x-amzn-RequestId`` for this call."""
        value: str | None = self.response.headers.get("x-amzn-requestid")
        return value

    def _final(self) -> c.ConverseResponse:
        final = self._acc.response()
        final._request_id = self.request_id
        if self._cost is not None:
            final._cost = self._cost(final.usage)
        return final


class ConverseStream(_StreamBase):
    """What ``client.converse.stream(...)`` returns: iterate it, or use it in ``with``."""

    def __init__(
        self,
        response: httpx.Response,
        *,
        cost: Callable[[Any], Cost | None] | None = None,
        events: Generator[c.StreamEvent] | None = None,
    ) -> None:
        self.response = response
        self._acc = _Accumulator()
        self._cost = cost
        # ``events``: the response's events already read up to the first (see the sender's
        # send_stream), so that a failure before it was retried; else read them here.
        self._iterator = self._run(events if events is not None else iter_events(response))
        #: The text deltas only (the other events still count for the final response).
        self.text_stream: Generator[str] = _texts(self._iterator)

    def _run(self, events: Generator[c.StreamEvent]) -> Generator[c.StreamEvent]:
        try:
            for event in events:
                self._acc.apply(event)
                yield event
        finally:
            events.close()

    def __iter__(self) -> Iterator[c.StreamEvent]:
        return self._iterator

    def __next__(self) -> c.StreamEvent:
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
        self.text_stream.close()
        self._iterator.close()
        self.response.close()

    def until_done(self) -> None:
        """Read the stream to its end (every event still counts for the final response)."""
        deque(self._iterator, maxlen=0)

    def get_final_response(self) -> c.ConverseResponse:
        """Read to the end; the whole answer, shaped as ``converse.create`` returns it."""
        self.until_done()
        return self._final()


class AsyncConverseStream(_StreamBase):
    """Async twin of :class:`ConverseStream` (``async for`` / ``async with``)."""

    def __init__(
        self,
        response: httpx.Response,
        *,
        cost: Callable[[Any], Cost | None] | None = None,
        events: AsyncGenerator[c.StreamEvent] | None = None,
    ) -> None:
        self.response = response
        self._acc = _Accumulator()
        self._cost = cost
        # ``events``: the response's events already read up to the first (see the sender's
        # send_stream), so that a failure before it was retried; else read them here.
        self._iterator = self._run(events if events is not None else aiter_events(response))
        #: The text deltas only (the other events still count for the final response).
        self.text_stream: AsyncGenerator[str] = _atexts(self._iterator)

    async def _run(self, events: AsyncGenerator[c.StreamEvent]) -> AsyncGenerator[c.StreamEvent]:
        try:
            async for event in events:
                self._acc.apply(event)
                yield event
        finally:
            await events.aclose()

    def __aiter__(self) -> AsyncGenerator[c.StreamEvent]:
        return self._iterator

    async def __anext__(self) -> c.StreamEvent:
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
        await self.text_stream.aclose()
        await self._iterator.aclose()
        await self.response.aclose()

    async def until_done(self) -> None:
        """Read the stream to its end (every event still counts for the final response)."""
        async for _ in self._iterator:
            pass

    async def get_final_response(self) -> c.ConverseResponse:
        """Read to the end; the whole answer, shaped as ``converse.create`` returns it."""
        await self.until_done()
        return self._final()
