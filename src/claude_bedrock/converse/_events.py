"""Converse stream events -> the Anthropic SDK's typed stream events, for
``messages.create(stream=True, api="converse")``.

The translation is :class:`claude_bedrock.wire.converse.ToAnthropic` (plain dicts); this
wrapper feeds it each typed Converse event as boto3's dict and validates what comes out
into the typed events InvokeModel streams give, in one pydantic-core call per event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pydantic

from ..types.converse import ContentBlockDeltaEvent
from ..types.stream_events import RawMessageStreamEvent
from ..wire import converse as _wire
from ._errors import ConverseTranslationError

__all__ = ["ToAnthropic"]


@functools.cache
def _validator() -> Callable[[Any], RawMessageStreamEvent]:
    """Built on first use (a few ms), so importing the package stays cheap."""
    return pydantic.TypeAdapter(RawMessageStreamEvent).validate_python


class ToAnthropic:
    """Turns typed Converse stream events into the Anthropic SDK's raw stream events."""

    __slots__ = ("_typed", "_wire")

    def __init__(self, message_id: str, model: str) -> None:
        self._wire = _wire.ToAnthropic(message_id, model)
        self._typed = _validator()

    @property
    def done(self) -> bool:
        """True once the ``metadata`` event (and so the message's end) went through."""
        return self._wire.done

    def feed(self, event: Any) -> Iterator[RawMessageStreamEvent]:
        """The typed Anthropic events for one Converse event (typed, or boto3's dict)."""
        payload = _payload(event)
        try:
            out = self._wire.feed(payload.get("type"), payload)
        except _wire.ConverseTranslationError as exc:
            raise ConverseTranslationError.from_wire(exc) from None
        typed = self._typed
        for item in out:
            yield typed(item)


def _payload(event: Any) -> Mapping[str, Any]:
    """boto3's dict for a typed event; a text delta (nearly every event) without a full
    ``model_dump``, which would cost more than the translation itself."""
    if type(event) is ContentBlockDeltaEvent and event.delta.text is not None:
        return {
            "type": "contentBlockDelta",
            "contentBlockIndex": event.contentBlockIndex,
            "delta": {"text": event.delta.text},
        }
    if hasattr(event, "model_dump"):
        return event.model_dump(by_alias=True, exclude_none=True)  # type: ignore[no-any-return]
    return event  # type: ignore[no-any-return]
