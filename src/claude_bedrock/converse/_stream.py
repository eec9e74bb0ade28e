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
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import pydantic
import pydantic_core

from .._body import describe, invalid
from .._stream_decode import bedrock_failure
from .._stream_iter import REQUEST_ID, AsyncReader, SyncReader, aexpand, arun, expand, run
from .._stream_pipeline import Pipeline, Reader, Relay, Sink
from ..types import converse as c
from ..wire.eventstream import Decoder
from ..wire.eventstream import Message as Frame

if TYPE_CHECKING:
    from ..types.message import Cost

__all__ = ["AsyncConverseStream", "ConverseStream", "FrameReader", "aiter_events", "iter_events"]

_PADDING_KEY = "p"
log = logging.getLogger("claude_bedrock")


class FrameReader(Reader):
    """One ``converse-stream`` frame -> one typed Converse event (a pipeline reader).

    Notes when the ``metadata`` event, the last of an answer, has come (:attr:`finished`).
    """

    __slots__ = ("finished",)

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self.finished = False

    def __call__(self, frame: Frame) -> c.StreamEvent | None:
        if frame.message_type != "event":
            raise bedrock_failure(frame, self._response)
        name = frame.event_type or ""
        cls = c.EVENT_CLASSES.get(name)
        if cls is None:
            return self._unknown(name, frame.payload)
        try:
            event = cls.model_validate_json(frame.payload)
        except pydantic.ValidationError as exc:
            raise invalid(
                self._response, f"Got an unreadable {name} event ({describe(exc)})", frame.payload
            ) from None
        if event.__pydantic_extra__:
            event.__pydantic_extra__.pop(_PADDING_KEY, None)
        if name == "metadata":
            self.finished = True
        return event

    def _unknown(self, name: str, payload: bytes) -> c.StreamEvent | None:
        """An event type newer than this client: handed on as an ``UnknownStreamEvent``
        when its payload is a JSON object (every Converse event's is), else skipped."""
        try:
            data = pydantic_core.from_json(payload or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            log.debug("skipping %r event whose payload is not a JSON object", name)
            return None
        data.pop(_PADDING_KEY, None)
        return c.UnknownStreamEvent.model_validate({**data, "type": name})


def converse_pipeline(
    response: httpx.Response, sink: Sink | None = None
) -> Pipeline[Frame, c.StreamEvent]:
    """The pipeline of a ``converse-stream`` body (accumulated into ``sink`` if given)."""
    reader = FrameReader(response)
    return Pipeline(
        Decoder(), reader, response,
        sink=sink, finished=lambda: reader.finished, last="metadata",
    )  # fmt: skip


def iter_events(response: httpx.Response) -> Generator[c.StreamEvent]:
    """The typed events of a ``converse-stream`` response; closes it at the end."""
    return run(converse_pipeline(response), response.iter_bytes(), response)


def aiter_events(response: httpx.Response) -> AsyncGenerator[c.StreamEvent]:
    """Async :func:`iter_events`."""
    return arun(converse_pipeline(response), response.aiter_bytes(), response)


class _Accumulator:
    """Rebuilds the whole :class:`ConverseResponse` from the events seen so far."""

    def __init__(self) -> None:
        self.error: Exception | None = None
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


def _text_of(event: Any) -> tuple[str, ...]:
    if isinstance(event, c.ContentBlockDeltaEvent) and event.delta.text is not None:
        return (event.delta.text,)
    return ()


class _StreamBase:
    """How :class:`ConverseStream` and :class:`AsyncConverseStream` start, with their driver.

    ``events``: the response's events already read up to the first one (see the sender's
    ``send_stream``: a failure before it was retried); else the body is read here.
    """

    _drive: ClassVar[Callable[..., Any]]  # _stream_iter.run or arun
    _body: ClassVar[Callable[..., Any]]  # iter_bytes or aiter_bytes
    _expand: ClassVar[Callable[..., Any]]  # _stream_iter.expand or aexpand
    _generators: tuple[Any, ...]

    def __init__(
        self,
        response: httpx.Response,
        *,
        cost: Callable[[Any], Cost | None] | None = None,
        events: Any = None,
    ) -> None:
        self.response = response
        self._acc = _Accumulator()
        self._cost = cost
        if events is None:
            stage: Any = converse_pipeline(response, self._acc)
            events = type(self)._body(response)
        else:
            stage = Relay(self._acc, response)
        self._iterator = self._source = type(self)._drive(stage, events, response)
        #: The text deltas only (the other events still count for the final response).
        self.text_stream = type(self)._expand(self._iterator, _text_of)
        self._generators = (self.text_stream, self._iterator)

    @property
    def request_id(self) -> str | None:
        """Bedrock's ``x-amzn-RequestId`` for this call."""
        value: str | None = self.response.headers.get(REQUEST_ID)
        return value

    def _final(self) -> c.ConverseResponse:
        try:
            final = self._acc.response()
        except ValueError as exc:  # tool input that is not JSON, a field of the wrong type
            raise invalid(
                self.response, f"Got an unreadable ConverseStream answer ({exc})"
            ) from None
        final._request_id = self.request_id
        if self._cost is not None:
            final._cost = self._cost(final.usage)
        return final


class ConverseStream(_StreamBase, SyncReader[c.StreamEvent]):
    """What ``client.converse.stream(...)`` returns: iterate it, or use it in ``with``."""

    _drive = staticmethod(run)
    _body = staticmethod(httpx.Response.iter_bytes)
    _expand = staticmethod(expand)
    text_stream: Generator[str]

    def get_final_response(self) -> c.ConverseResponse:
        """Read to the end; the whole answer, shaped as ``converse.create`` returns it."""
        self.until_done()
        return self._final()


class AsyncConverseStream(_StreamBase, AsyncReader[c.StreamEvent]):
    """Async :class:`ConverseStream` (``async for`` / ``async with``)."""

    _drive = staticmethod(arun)
    _body = staticmethod(httpx.Response.aiter_bytes)
    _expand = staticmethod(aexpand)
    text_stream: AsyncGenerator[str]

    async def get_final_response(self) -> c.ConverseResponse:
        """Read to the end; the whole answer, shaped as ``converse.create`` returns it."""
        await self.until_done()
        return self._final()
