"""Typed Converse responses and stream events, named and shaped as botocore's service model.

Field names are Bedrock's own (``stopReason``, ``toolUseId``...), as in boto3's dicts and
AWS's documentation, so code moving from ``response["output"]["message"]`` to
``response.output.message`` keeps every name. Blobs (image and document bytes, redacted
reasoning) are ``bytes``: base64 on the wire, decoded when the JSON is parsed. Unknown
fields are kept (``extra="allow"``): a field Bedrock adds shows up instead of breaking.
``to_dict()`` gives boto3's dict for the same answer.
"""

from __future__ import annotations

import builtins
from typing import Annotated, Any, Literal

import pydantic

from ._base import BaseModel, _CallFacts

__all__ = [
    "CachePointBlock", "Citation", "CitationsContentBlock", "ContentBlock",
    "ContentBlockDelta", "ContentBlockDeltaEvent", "ContentBlockStart",
    "ContentBlockStartEvent", "ContentBlockStopEvent", "ConverseMetrics", "ConverseOutput",
    "ConverseResponse", "ConverseStreamEvent", "DocumentBlock", "DocumentSource", "ImageBlock",
    "ImageSource", "Message", "MessageStartEvent", "MessageStopEvent", "MetadataEvent",
    "ReasoningContentBlock", "ReasoningContentBlockDelta", "ReasoningTextBlock", "StreamEvent",
    "TokenUsage", "ToolResultBlock", "ToolResultContentBlock", "ToolUseBlock",
    "ToolUseBlockDelta", "ToolUseBlockStart", "UnknownStreamEvent",
]  # fmt: skip


class _Shape(BaseModel):
    model_config = pydantic.ConfigDict(val_json_bytes="base64", ser_json_bytes="base64")

    def to_dict(
        self,
        *,
        mode: Literal["json", "python"] = "python",
        exclude_unset: bool = True,
        exclude_none: bool = True,
    ) -> dict[str, Any]:
        """boto3's dict for this value (``mode="json"``: the wire JSON, blobs in base64)."""
        return self.model_dump(
            mode=mode, by_alias=True, exclude_unset=exclude_unset, exclude_none=exclude_none
        )


class ImageSource(_Shape):
    bytes: builtins.bytes | None = None
    s3Location: dict[str, Any] | None = None


class ImageBlock(_Shape):
    format: str
    source: ImageSource


class DocumentSource(_Shape):
    bytes: builtins.bytes | None = None
    text: str | None = None
    content: list[dict[str, Any]] | None = None
    s3Location: dict[str, Any] | None = None


class DocumentBlock(_Shape):
    format: str | None = None
    name: str
    source: DocumentSource
    context: str | None = None
    citations: dict[str, Any] | None = None


class ToolUseBlock(_Shape):
    toolUseId: str
    name: str
    input: Any = None
    type: str | None = None


class ToolResultContentBlock(_Shape):
    json_: Any = pydantic.Field(default=None, alias="json")
    text: str | None = None
    image: ImageBlock | None = None
    document: DocumentBlock | None = None
    searchResult: dict[str, Any] | None = None


class ToolResultBlock(_Shape):
    toolUseId: str
    content: list[ToolResultContentBlock]
    status: str | None = None
    type: str | None = None


class CachePointBlock(_Shape):
    type: str = "default"
    ttl: str | None = None


class ReasoningTextBlock(_Shape):
    text: str
    signature: str | None = None


class ReasoningContentBlock(_Shape):
    reasoningText: ReasoningTextBlock | None = None
    redactedContent: builtins.bytes | None = None


class Citation(_Shape):
    title: str | None = None
    source: str | None = None
    sourceContent: list[dict[str, Any]] | None = None
    location: dict[str, Any] | None = None


class CitationsContentBlock(_Shape):
    content: list[dict[str, Any]] | None = None
    citations: list[Citation] | None = None


class ContentBlock(_Shape):
    """A union: exactly one member is set (others Bedrock may add are kept as extras)."""

    text: str | None = None
    image: ImageBlock | None = None
    document: DocumentBlock | None = None
    toolUse: ToolUseBlock | None = None
    toolResult: ToolResultBlock | None = None
    cachePoint: CachePointBlock | None = None
    reasoningContent: ReasoningContentBlock | None = None
    citationsContent: CitationsContentBlock | None = None
    searchResult: dict[str, Any] | None = None


class Message(_Shape):
    role: str
    content: list[ContentBlock]


class ConverseOutput(_Shape):
    message: Message | None = None


class TokenUsage(_Shape):
    inputTokens: int
    outputTokens: int
    totalTokens: int
    cacheReadInputTokens: int | None = None
    cacheWriteInputTokens: int | None = None
    cacheDetails: list[dict[str, Any]] | None = None


class ConverseMetrics(_Shape):
    latencyMs: int


class ConverseResponse(_Shape, _CallFacts):
    """What ``client.converse.create`` returns (botocore's ``ConverseResponse``)."""

    output: ConverseOutput
    stopReason: str
    usage: TokenUsage
    metrics: ConverseMetrics
    additionalModelResponseFields: Any = None
    trace: dict[str, Any] | None = None
    performanceConfig: dict[str, Any] | None = None
    serviceTier: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The text of the answer: every text (and cited text) block, joined."""
        message = self.output.message
        parts: list[str] = []
        for block in message.content if message is not None else []:
            if block.text is not None:
                parts.append(block.text)
            elif block.citationsContent is not None:
                parts += [str(p.get("text", "")) for p in block.citationsContent.content or []]
        return "".join(parts)


# --------------------------------------------------------------------------- stream events


class MessageStartEvent(_Shape):
    type: Literal["messageStart"] = "messageStart"
    role: str


class ToolUseBlockStart(_Shape):
    toolUseId: str
    name: str
    type: str | None = None


class ContentBlockStart(_Shape):
    toolUse: ToolUseBlockStart | None = None
    toolResult: dict[str, Any] | None = None
    image: dict[str, Any] | None = None


class ContentBlockStartEvent(_Shape):
    type: Literal["contentBlockStart"] = "contentBlockStart"
    start: ContentBlockStart
    contentBlockIndex: int


class ToolUseBlockDelta(_Shape):
    input: str


class ReasoningContentBlockDelta(_Shape):
    text: str | None = None
    redactedContent: builtins.bytes | None = None
    signature: str | None = None


class ContentBlockDelta(_Shape):
    text: str | None = None
    toolUse: ToolUseBlockDelta | None = None
    reasoningContent: ReasoningContentBlockDelta | None = None
    citation: Citation | None = None
    toolResult: list[dict[str, Any]] | None = None
    image: dict[str, Any] | None = None


class ContentBlockDeltaEvent(_Shape):
    type: Literal["contentBlockDelta"] = "contentBlockDelta"
    delta: ContentBlockDelta
    contentBlockIndex: int


class ContentBlockStopEvent(_Shape):
    type: Literal["contentBlockStop"] = "contentBlockStop"
    contentBlockIndex: int


class MessageStopEvent(_Shape):
    type: Literal["messageStop"] = "messageStop"
    stopReason: str
    additionalModelResponseFields: Any = None


class MetadataEvent(_Shape):
    type: Literal["metadata"] = "metadata"
    usage: TokenUsage
    metrics: ConverseMetrics
    trace: dict[str, Any] | None = None
    performanceConfig: dict[str, Any] | None = None
    serviceTier: dict[str, Any] | None = None


class UnknownStreamEvent(_Shape):
    """An event type this version does not know yet: kept, never fatal."""

    type: str


ConverseStreamEvent = Annotated[
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageStopEvent
    | MetadataEvent,
    pydantic.Field(discriminator="type"),
]

#: What a stream yields: a known event, or one this version does not know yet.
StreamEvent = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageStopEvent
    | MetadataEvent
    | UnknownStreamEvent
)

#: Event classes by ``:event-type`` header (the member names of ``ConverseStreamOutput``).
EVENT_CLASSES: dict[str, type[StreamEvent]] = {
    "messageStart": MessageStartEvent,
    "contentBlockStart": ContentBlockStartEvent,
    "contentBlockDelta": ContentBlockDeltaEvent,
    "contentBlockStop": ContentBlockStopEvent,
    "messageStop": MessageStopEvent,
    "metadata": MetadataEvent,
}
