"""The Messages API's Server-Sent Events -> typed Anthropic events (a pipeline reader).

The Messages API (Anthropic's own, and Bedrock's on ``bedrock-mantle`` and on
``bedrock-runtime``'s ``/anthropic`` path) streams the same events InvokeModel wraps in
event-stream frames, as SSE (https://docs.anthropic.com/en/api/messages-streaming)::

    event: message_start
    data: {"type": "message_start", "message": {...}}

    event: ping
    data: {"type": "ping"}

    event: error
    data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

So a surface speaking it only adds a URL and a body: :func:`sse_pipeline` plugs
:mod:`.wire.sse` into the same pipeline, the same event parsing
(:func:`._parse.parse_event`) and the same accumulation as InvokeModel streams. An
``error`` event raises its error class (``overloaded_error`` -> 529 ...), the status the
Anthropic API gives that error type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._body import invalid
from ._parse import anthropic_error, parse_event
from ._stream_accumulate import message_pipeline
from ._stream_pipeline import Pipeline, Reader
from .wire.sse import Decoder, Event

if TYPE_CHECKING:
    import httpx

    from .types.stream_events import RawMessageStreamEvent

__all__ = ["EVENT_STREAM", "SSEReader", "sse_pipeline"]

EVENT_STREAM = "text/event-stream"


def sse_pipeline(response: httpx.Response) -> Pipeline[Event, RawMessageStreamEvent]:
    """The pipeline of a Messages API SSE body, accumulating a Message."""
    return message_pipeline(Decoder(), SSEReader(response), response)


class SSEReader(Reader):
    """One SSE event -> one Anthropic event (None for ``ping`` and unknown events)."""

    def __call__(self, event: Event) -> RawMessageStreamEvent | None:
        if event.event == "ping":
            return None
        if event.event == "error":
            return self._error(event)
        return parse_event(event.data, self._response)

    def _error(self, event: Event) -> RawMessageStreamEvent | None:
        import pydantic_core

        try:
            data = pydantic_core.from_json(event.data)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise invalid(self._response, "Got an unreadable error event", event.data)
        raise anthropic_error(data, self._response)
