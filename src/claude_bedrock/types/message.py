"""Typed Messages API responses, as Bedrock's InvokeModel returns them for Claude.

A reply newer than this client still parses (the call was billed; the answer is the
user's): a content block of a type not listed here becomes an :class:`UnknownBlock` that
keeps its ``type`` and every field, a stop reason not listed in :data:`StopReason` is kept
as its string, and usage fields we do not know stay on :class:`Usage` (``extra="allow"``).
The official SDK reads such replies too (it builds its models without validating them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic

from ._base import BaseModel, _CallFacts

__all__ = [
    "TextBlock",
    "ToolUseBlock",
    "ServerToolUseBlock",
    "ThinkingBlock",
    "RedactedThinkingBlock",
    "UnknownBlock",
    "ContentBlock",
    "Usage",
    "Cost",
    "Message",
    "StopReason",
]

StopReason = Literal[
    "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
    "model_context_window_exceeded",
]  # fmt: skip


class TextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str
    citations: list[dict[str, Any]] | None = None


class ToolUseBlock(BaseModel):
    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: Any


class ServerToolUseBlock(BaseModel):
    type: Literal["server_tool_use"] = "server_tool_use"
    id: str
    name: str
    input: Any


class ThinkingBlock(BaseModel):
    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str


class RedactedThinkingBlock(BaseModel):
    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str


class UnknownBlock(BaseModel):
    """A content block of a type this client does not know yet (a newer API's).

    Kept as sent: ``.type`` names it, its other fields are attributes and appear in
    ``model_dump()`` / ``to_dict()``, so a program can pass it on or skip it.
    """

    type: str


_KNOWN_BLOCKS: dict[str, type[BaseModel]] = {
    "text": TextBlock, "tool_use": ToolUseBlock, "server_tool_use": ServerToolUseBlock,
    "thinking": ThinkingBlock, "redacted_thinking": RedactedThinkingBlock,
}  # fmt: skip


def block_class(kind: object) -> type[BaseModel]:
    """The class for a block's ``type``: a known one, else :class:`UnknownBlock`."""
    return _KNOWN_BLOCKS.get(kind, UnknownBlock) if isinstance(kind, str) else UnknownBlock


def _block_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _KNOWN_BLOCKS else "unknown"


ContentBlock = Annotated[
    Annotated[TextBlock, pydantic.Tag("text")]
    | Annotated[ToolUseBlock, pydantic.Tag("tool_use")]
    | Annotated[ServerToolUseBlock, pydantic.Tag("server_tool_use")]
    | Annotated[ThinkingBlock, pydantic.Tag("thinking")]
    | Annotated[RedactedThinkingBlock, pydantic.Tag("redacted_thinking")]
    | Annotated[UnknownBlock, pydantic.Tag("unknown")],
    pydantic.Discriminator(_block_tag),
]


class Usage(BaseModel):
    input_tokens: pydantic.NonNegativeInt = 0
    output_tokens: pydantic.NonNegativeInt = 0
    cache_creation_input_tokens: pydantic.NonNegativeInt | None = None
    cache_read_input_tokens: pydantic.NonNegativeInt | None = None
    service_tier: str | None = None
    # The official SDK's other fields, None when the answer leaves them out: frameworks read
    # them unguarded (agno: ``usage.server_tool_use``). As sent when present (dicts).
    cache_creation: Any = None
    inference_geo: str | None = None
    output_tokens_details: Any = None
    server_tool_use: Any = None
    speed: str | None = None


class Cost(BaseModel):
    """What a call cost, in USD, from its usage and Bedrock's price for that endpoint type.

    Not part of the Anthropic API: we compute it from the catalogue, so it is an estimate
    from list prices (no discounts, no taxes).
    """

    usd: float
    model: str
    endpoint_type: Literal["global", "regional"]
    batch: bool = False


class Message(_CallFacts):
    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[ContentBlock]
    #: One of :data:`StopReason`, or a newer reason kept as its string.
    stop_reason: StopReason | str | None = None
    stop_sequence: str | None = None
    usage: Usage

    # Not serialised: facts about the call that Bedrock gives outside the Messages body.
    _invocation_metrics: dict[str, Any] | None = pydantic.PrivateAttr(default=None)

    @property
    def invocation_metrics(self) -> dict[str, Any] | None:
        """``amazon-bedrock-invocationMetrics`` of a streamed call (token counts, latency)."""
        return self._invocation_metrics
