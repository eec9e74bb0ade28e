"""Typed stream events: the Anthropic SDK's names, fields and ``type`` discriminators.

Two families, as in the Anthropic SDK:

* the *raw* events Bedrock sends (``RawMessageStartEvent`` ... ``RawMessageStopEvent``,
  with the SDK's short aliases ``MessageStartEvent`` etc.), which
  ``messages.create(stream=True)`` yields;
* the *helper* events ``messages.stream(...)`` adds on top (``TextEvent``,
  ``InputJsonEvent``, ``ThinkingEvent``, ``SignatureEvent``, ``CitationEvent``, and the
  ``ContentBlockStopEvent`` / ``MessageStopEvent`` that carry the finished block / message).

Bedrock adds ``amazon-bedrock-invocationMetrics`` to the ``message_stop`` event; it is the
``invocation_metrics`` field here, never dropped.

The helper events' ``snapshot`` (everything accumulated so far) is computed on first
access: building it eagerly copies the whole text once per delta, which makes a long
stream quadratic (that copy is most of the Anthropic SDK's per-token cost). It behaves as
a plain field otherwise: attribute access, ``repr``, ``==``, ``to_dict()`` and
``model_dump()`` all see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import pydantic

from ._base import BaseModel
from .message import ContentBlock, Message, StopReason

__all__ = [
    "TextDelta",
    "InputJSONDelta",
    "ThinkingDelta",
    "SignatureDelta",
    "CitationsDelta",
    "UnknownDelta",
    "RawContentBlockDelta",
    "RawMessageStartEvent",
    "RawContentBlockStartEvent",
    "RawContentBlockDeltaEvent",
    "RawContentBlockStopEvent",
    "RawMessageDeltaEvent",
    "RawMessageStopEvent",
    "RawMessageStreamEvent",
    "MessageStartEvent",
    "ContentBlockStartEvent",
    "ContentBlockDeltaEvent",
    "MessageDeltaEvent",
    "Delta",
    "MessageDeltaUsage",
    "TextEvent",
    "InputJsonEvent",
    "ThinkingEvent",
    "SignatureEvent",
    "CitationEvent",
    "ContentBlockStopEvent",
    "MessageStopEvent",
    "MessageStreamEvent",
]

# --------------------------------------------------------------------------- deltas


class TextDelta(BaseModel):
    type: Literal["text_delta"] = "text_delta"
    text: str


class InputJSONDelta(BaseModel):
    type: Literal["input_json_delta"] = "input_json_delta"
    partial_json: str


class ThinkingDelta(BaseModel):
    type: Literal["thinking_delta"] = "thinking_delta"
    thinking: str


class SignatureDelta(BaseModel):
    type: Literal["signature_delta"] = "signature_delta"
    signature: str


class CitationsDelta(BaseModel):
    type: Literal["citations_delta"] = "citations_delta"
    #: One citation, shaped as in ``TextBlock.citations`` (``char_location``, ...).
    citation: dict[str, Any]


class UnknownDelta(BaseModel):
    """A block delta of a type this client does not know yet: kept as sent (``.type`` and
    its fields); the accumulator leaves the block as it is."""

    type: str


RawContentBlockDelta = Annotated[
    (TextDelta | InputJSONDelta | ThinkingDelta | SignatureDelta | CitationsDelta),
    pydantic.Field(discriminator="type"),
]

# --------------------------------------------------------------------------- raw events


class RawMessageStartEvent(BaseModel):
    type: Literal["message_start"] = "message_start"
    message: Message


class RawContentBlockStartEvent(BaseModel):
    type: Literal["content_block_start"] = "content_block_start"
    index: pydantic.NonNegativeInt
    content_block: ContentBlock


class RawContentBlockDeltaEvent(BaseModel):
    type: Literal["content_block_delta"] = "content_block_delta"
    index: pydantic.NonNegativeInt
    delta: RawContentBlockDelta


class RawContentBlockStopEvent(BaseModel):
    type: Literal["content_block_stop"] = "content_block_stop"
    index: pydantic.NonNegativeInt


class Delta(BaseModel):
    stop_reason: StopReason | str | None = None
    stop_sequence: str | None = None


class MessageDeltaUsage(BaseModel):
    """Cumulative counts: ``output_tokens`` is the running total, not an increment."""

    output_tokens: pydantic.NonNegativeInt
    input_tokens: pydantic.NonNegativeInt | None = None
    cache_creation_input_tokens: pydantic.NonNegativeInt | None = None
    cache_read_input_tokens: pydantic.NonNegativeInt | None = None


class RawMessageDeltaEvent(BaseModel):
    type: Literal["message_delta"] = "message_delta"
    delta: Delta
    usage: MessageDeltaUsage


class RawMessageStopEvent(BaseModel):
    type: Literal["message_stop"] = "message_stop"
    #: Bedrock's ``amazon-bedrock-invocationMetrics`` (``inputTokenCount``,
    #: ``outputTokenCount``, ``invocationLatency``, ``firstByteLatency``, ...).
    invocation_metrics: dict[str, Any] | None = pydantic.Field(
        default=None, alias="amazon-bedrock-invocationMetrics"
    )


RawMessageStreamEvent = Annotated[
    (
        RawMessageStartEvent
        | RawContentBlockStartEvent
        | RawContentBlockDeltaEvent
        | RawContentBlockStopEvent
        | RawMessageDeltaEvent
        | RawMessageStopEvent
    ),
    pydantic.Field(discriminator="type"),
]

# The Anthropic SDK's short names for the raw events.
MessageStartEvent = RawMessageStartEvent
ContentBlockStartEvent = RawContentBlockStartEvent
ContentBlockDeltaEvent = RawContentBlockDeltaEvent
MessageDeltaEvent = RawMessageDeltaEvent

# --------------------------------------------------------------------------- helper events


class SnapshotSource:
    """Where a lazy ``snapshot`` comes from: implemented by the stream's accumulator."""

    __slots__ = ()

    def snapshot_at(self, upto: int) -> Any:
        raise NotImplementedError


class _LazySnapshot(BaseModel):
    """A model whose ``snapshot`` field may be computed on first use (see module doc).

    A lazily built event has no ``snapshot`` key in its ``__dict__`` and a
    ``(source, upto)`` pair in its private storage; every way of reading the model
    first fills the key in, so it is indistinguishable from an eagerly built one.
    """

    _snapshot_source: tuple[SnapshotSource, int] | None = pydantic.PrivateAttr(default=None)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name == "snapshot":
                return self._fill_snapshot()
            return super().__getattr__(name)

    def _fill_snapshot(self) -> Any:
        values = self.__dict__
        if "snapshot" not in values:
            private = self.__pydantic_private__ or {}
            source = private.get("_snapshot_source")
            if source is None:
                raise AttributeError("snapshot")
            values["snapshot"] = source[0].snapshot_at(source[1])
        return values["snapshot"]

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        self._fill_snapshot()
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        self._fill_snapshot()
        return super().model_dump_json(**kwargs)

    def __repr_args__(self) -> Any:
        self._fill_snapshot()
        return super().__repr_args__()

    def __eq__(self, other: object) -> bool:
        # Not pydantic's: the private snapshot source must not make equal events differ.
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _LazySnapshot)
        self._fill_snapshot()
        other._fill_snapshot()
        return (
            self.__dict__ == other.__dict__ and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[Any, Any]:
        self._fill_snapshot()
        return super().__getstate__()


class TextEvent(_LazySnapshot):
    type: Literal["text"] = "text"
    #: The text delta.
    text: str
    #: All the text of this block so far (this delta included).
    snapshot: str


class InputJsonEvent(_LazySnapshot):
    type: Literal["input_json"] = "input_json"
    #: A piece of the tool input's JSON text, e.g. ``'"San Francisco,'``.
    partial_json: str
    #: The input parsed from all the pieces so far (incomplete JSON parsed leniently).
    snapshot: object


class ThinkingEvent(_LazySnapshot):
    type: Literal["thinking"] = "thinking"
    thinking: str
    #: All the thinking of this block so far.
    snapshot: str


class SignatureEvent(BaseModel):
    type: Literal["signature"] = "signature"
    signature: str


class CitationEvent(BaseModel):
    type: Literal["citation"] = "citation"
    citation: dict[str, Any]
    #: All the citations of this block so far.
    snapshot: list[dict[str, Any]]


class ContentBlockStopEvent(RawContentBlockStopEvent):
    """``content_block_stop`` as ``messages.stream`` yields it: with the finished block."""

    content_block: ContentBlock


class MessageStopEvent(RawMessageStopEvent):
    """``message_stop`` as ``messages.stream`` yields it: with the finished message."""

    message: Message


MessageStreamEvent = Annotated[
    (
        TextEvent
        | CitationEvent
        | ThinkingEvent
        | SignatureEvent
        | InputJsonEvent
        | RawMessageStartEvent
        | RawMessageDeltaEvent
        | MessageStopEvent
        | RawContentBlockStartEvent
        | RawContentBlockDeltaEvent
        | ContentBlockStopEvent
    ),
    pydantic.Field(discriminator="type"),
]
