"""Typed request and response shapes."""

from typing import TYPE_CHECKING

from . import stream_events
from ._base import BaseModel
from .count_tokens import MessageTokensCount
from .message import (
    ContentBlock,
    Cost,
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UnknownBlock,
    Usage,
)
from .stream_events import *  # noqa: F403  (its ``__all__``: one list, not two)

if TYPE_CHECKING:
    from .parsed import ParsedMessage, ParsedTextBlock

__all__ = [
    "BaseModel",
    "ContentBlock",
    "Cost",
    "Message",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "StopReason",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "Usage",
    "MessageTokensCount",
    "ParsedMessage",
    "ParsedTextBlock",
    *stream_events.__all__,
]


def __getattr__(name: str) -> object:
    """``ParsedMessage`` / ``ParsedTextBlock`` on first use (only ``parse`` needs them)."""
    if name in ("ParsedMessage", "ParsedTextBlock"):
        from . import parsed

        return getattr(parsed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
